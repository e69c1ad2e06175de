package dev.sparkspeed.trainer.rank;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.feed.FeedCursor;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.checkpoint.HadoopCheckpointStore;
import dev.sparkspeed.zero.config.DeepSpeedConfig;
import dev.sparkspeed.zero.config.SparkSpeedConfig;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.engine.checkpoint.ByteExchange;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Extras;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Resumed;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rank's checkpoints in the barrier stage: at the start of every stage attempt the ranks resume
 * from the newest committed checkpoint at the run's location (engine state and every rank's feed
 * position), then save every {@code save_interval} steps and at the end. Every method is a
 * collective over the training ring: all ranks call them at the same steps.
 *
 * <p>The location is the DeepSpeed config's {@code sparkspeed.checkpoint_dir}, else {@code
 * <output>/checkpoints}; without either nothing is saved or resumed. The manifest's data cursor
 * holds every rank's {@link FeedCursor}, gathered to rank 0, which writes the manifest.
 */
final class RankCheckpoints implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RankCheckpoints.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Sub-directory of the output that holds the checkpoints. */
  static final String SUBDIR = "checkpoints";

  private final ZeroEngine engine;
  private final HadoopCheckpointStore store;
  private final EngineCheckpoint ck;
  private final long saveEvery;
  private final JsonNode deepspeed;

  private RankCheckpoints(
      ZeroEngine engine,
      HadoopCheckpointStore store,
      EngineCheckpoint ck,
      long saveEvery,
      JsonNode deepspeed) {
    this.engine = engine;
    this.store = store;
    this.ck = ck;
    this.saveEvery = saveEvery;
    this.deepspeed = deepspeed;
  }

  /** Where the run's checkpoints live, or null when it keeps none. */
  static String location(TrainOptions o, SparkSpeedConfig s) {
    if (s.checkpointDir() != null) {
      return s.checkpointDir();
    }
    if (o.output() == null) {
      return null;
    }
    return new Path(new Path(o.output()), SUBDIR).toString();
  }

  /**
   * Checkpoints for {@code engine} as {@code o} and the config say; an instance that does nothing
   * when the run has no checkpoint location.
   */
  static RankCheckpoints open(
      TrainOptions o, DeepSpeedConfig cfg, ZeroEngine engine, Configuration hadoop)
      throws IOException {
    SparkSpeedConfig s = cfg.sparkspeed();
    String where = location(o, s);
    if (where == null) {
      return new RankCheckpoints(engine, null, null, 0, null);
    }
    HadoopCheckpointStore store = new HadoopCheckpointStore(new Path(where).toUri(), hadoop);
    long every = o.saveEvery() >= 0 ? o.saveEvery() : s.saveInterval();
    JsonNode ds;
    try {
      ds = JSON.readTree(cfg.toJson());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the resolved DeepSpeed config is not JSON", e);
    }
    return new RankCheckpoints(
        engine, store, new EngineCheckpoint(engine, store, s.keepLast(), s.asyncSave()), every, ds);
  }

  /** The checkpoint root, or null when the run keeps none. */
  String describe() {
    return store == null ? null : store.describe();
  }

  /**
   * Loads the newest committed checkpoint, if any, and moves {@code feed} to where this rank's feed
   * stood then.
   *
   * @return what was loaded; empty when starting afresh
   */
  Optional<Resumed> resume(StepFeed feed) throws IOException {
    if (ck == null) {
      return Optional.empty();
    }
    Optional<Resumed> r = EngineCheckpoint.resumeLatest(engine, store);
    if (r.isEmpty()) {
      return r;
    }
    Resumed res = r.get();
    Optional<FeedCursor> cursor = feedCursor(res);
    if (cursor.isPresent()) {
      feed.resume(cursor.get());
    } else {
      LOG.warn(
          "rank {}: checkpoint {} has no feed position for {} ranks (saved by {}); the data order"
              + " restarts from its first batch",
          rank(),
          res.tag(),
          engine.communicator().worldSize(),
          res.savedWorldSize());
    }
    return r;
  }

  /** This rank's saved feed position, when the checkpoint was saved at this world size. */
  private Optional<FeedCursor> feedCursor(Resumed res) {
    JsonNode feeds = res.dataCursor().path("feeds");
    int world = engine.communicator().worldSize();
    if (!feeds.isArray() || feeds.size() != world || res.savedWorldSize() != world) {
      return Optional.empty();
    }
    JsonNode mine = feeds.get(rank());
    if (!mine.isObject()) {
      throw new IllegalArgumentException(
          "checkpoint "
              + res.tag()
              + " in "
              + store.describe()
              + ": data_cursor.feeds["
              + rank()
              + "] is not a feed cursor object");
    }
    return Optional.of(FeedCursor.fromJson(mine.toString()));
  }

  /**
   * Commits a save still in flight from the step before, then saves when {@code step} (1-based) is
   * due or is {@code lastStep}.
   */
  void afterStep(long step, long lastStep, StepFeed feed) throws IOException {
    if (ck == null) {
      return;
    }
    ck.commitPending();
    if ((saveEvery > 0 && step % saveEvery == 0) || step == lastStep) {
      save(step, feed);
    }
  }

  /** Saves now as {@code global_step<N>}, N the engine's step count. */
  private void save(long step, StepFeed feed) throws IOException {
    List<String> cursors =
        ByteExchange.allGatherStrings(
            engine.backend(), engine.communicator(), feed.cursor().toJson());
    ObjectNode cursor = JSON.createObjectNode();
    cursor.put("next_step", step);
    ArrayNode feeds = cursor.putArray("feeds");
    for (String c : cursors) {
      feeds.add(JSON.readTree(c));
    }
    String tag = EngineCheckpoint.defaultTag(engine.globalSteps());
    ck.save(tag, new Extras(deepspeed, cursor, null));
    LOG.info("rank {}: saved {} at step {} to {}", rank(), tag, step, store.describe());
  }

  /** Commits a save still in flight. */
  void finish() throws IOException {
    if (ck != null) {
      ck.commitPending();
    }
  }

  private int rank() {
    return engine.communicator().rank();
  }

  @Override
  public void close() {
    if (ck != null) {
      ck.close();
    }
  }
}
