package dev.sparkspeed.zero.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.checkpoint.LocalCheckpointStore;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Extras;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Resumed;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The in-process trainer's checkpoints: {@code --output DIR} resumes from the newest committed
 * checkpoint there and saves every {@code --save-every N} steps and at the end, keeping {@code
 * --keep-last K}; {@code --async-save} writes in the background and commits one step later.
 */
final class TrainerCheckpoints implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final LocalCheckpointStore store;
  private final EngineCheckpoint ck;
  private final int saveEvery;
  private final JsonNode settings;
  private long dataSeed;

  private TrainerCheckpoints(
      LocalCheckpointStore store,
      EngineCheckpoint ck,
      int saveEvery,
      JsonNode settings,
      long dataSeed) {
    this.store = store;
    this.ck = ck;
    this.saveEvery = saveEvery;
    this.settings = settings;
    this.dataSeed = dataSeed;
  }

  /**
   * @param settings the run's settings as DeepSpeed-style JSON, recorded in every checkpoint
   * @return an instance that saves nothing when there is no {@code --output}
   */
  static TrainerCheckpoints of(Args a, ZeroEngine engine, JsonNode settings, long seed) {
    int every = a.getInt("save-every", 0);
    int keep = a.getInt("keep-last", 2);
    if (every < 0) {
      throw new IllegalArgumentException("--save-every " + every + " must be 0 (end only) or more");
    }
    if (!a.has("output")) {
      if (a.has("save-every") || a.has("keep-last") || a.flag("async-save")) {
        throw new IllegalArgumentException(
            "--save-every, --keep-last and --async-save need --output DIR");
      }
      return new TrainerCheckpoints(null, null, 0, settings, seed);
    }
    LocalCheckpointStore store = new LocalCheckpointStore(Path.of(a.get("output", "")));
    return new TrainerCheckpoints(
        store,
        new EngineCheckpoint(engine, store, keep, a.flag("async-save")),
        every,
        settings,
        seed);
  }

  /**
   * Loads the newest checkpoint of --output, if any, and returns the steps already done (0 when
   * starting afresh). The data seed becomes the checkpoint's, so the data order continues.
   */
  int resume(ZeroEngine engine) throws IOException {
    if (ck == null) {
      return 0;
    }
    Optional<Resumed> r = EngineCheckpoint.resumeLatest(engine, store);
    if (r.isEmpty()) {
      return 0;
    }
    Resumed res = r.get();
    JsonNode seed = res.rngStates().get("data_seed");
    if (seed != null && seed.canConvertToLong()) {
      dataSeed = seed.asLong();
    }
    System.out.printf("resumed from %s at step %d%n", res.tag(), res.globalSteps());
    return Math.toIntExact(res.globalSteps());
  }

  /** The seed batches are drawn with (the checkpoint's after a resume). */
  long dataSeed() {
    return dataSeed;
  }

  /** Commits a save from the step before, then saves if this step is due (or the last). */
  void afterStep(ZeroEngine engine, int step, int lastStep) throws IOException {
    if (ck == null) {
      return;
    }
    ck.commitPending();
    if ((saveEvery > 0 && step % saveEvery == 0) || step == lastStep) {
      ObjectNode cursor = JSON.createObjectNode().put("next_step", step);
      ObjectNode rng = JSON.createObjectNode().put("data_seed", dataSeed);
      ck.save(EngineCheckpoint.defaultTag(engine.globalSteps()), new Extras(settings, cursor, rng));
    }
  }

  /** Commits a save still in flight. */
  void finish() throws IOException {
    if (ck != null) {
      ck.commitPending();
    }
  }

  @Override
  public void close() {
    if (ck != null) {
      ck.close();
    }
  }
}
