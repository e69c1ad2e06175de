package dev.sparkspeed.zero.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import dev.sparkspeed.zero.checkpoint.LocalCheckpointStore;
import dev.sparkspeed.zero.engine.Precision;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Extras;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Resumed;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.tensor.Allocator;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run stopped after step k, saved, and resumed in fresh engines (initialised from another seed,
 * so nothing survives but the checkpoint) ends bit for bit where the uninterrupted run ends.
 */
class ExactResumeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** Parameters after {@code steps} uninterrupted steps, and the per-step skip flags. */
  private static float[] uninterrupted(int world, TrainSettings s, int steps) throws Exception {
    return TrainingRanks.run(
            world,
            s,
            (e, host) -> {
              TrainingRanks.train(e, host, 0, steps);
              return TrainingRanks.params(e, host);
            })
        .get(0);
  }

  /** Trains k steps and saves (optionally asynchronously); returns each rank's global steps. */
  private static long save(int world, TrainSettings s, CheckpointStore store, int k, boolean async)
      throws Exception {
    return TrainingRanks.run(
            world,
            s,
            (e, host) -> {
              try (EngineCheckpoint ck = new EngineCheckpoint(e, store, 2, async)) {
                TrainingRanks.train(e, host, 0, k);
                ck.save(
                    EngineCheckpoint.defaultTag(e.globalSteps()),
                    new Extras(
                        JSON.readTree("{\"zero_optimization\":{\"stage\":" + s.stage() + "}}"),
                        JSON.readTree("{\"next_step\":" + k + "}"),
                        JSON.readTree("{\"data_seed\":7}")));
                // Steps after an asynchronous save must not leak into it.
                TrainingRanks.train(e, host, k, k + 1);
                ck.commitPending();
              }
              return e.globalSteps() - 1;
            })
        .get(0);
  }

  private static float[] resume(int world, TrainSettings s, CheckpointStore store, int k, int steps)
      throws Exception {
    return TrainingRanks.run(
            world,
            s,
            (e, host) -> {
              Resumed r = EngineCheckpoint.resumeLatest(e, store).orElseThrow();
              assertEquals(EngineCheckpoint.defaultTag(k), r.tag());
              assertEquals(k, r.globalSteps());
              assertEquals(k, r.dataCursor().get("next_step").asInt());
              assertEquals(7, r.rngStates().get("data_seed").asInt());
              assertEquals(s.stage(), r.deepspeedConfig().at("/zero_optimization/stage").asInt());
              TrainingRanks.train(e, host, (int) r.globalSteps(), steps);
              return TrainingRanks.params(e, host);
            })
        .get(0);
  }

  private static TrainSettings reseeded(TrainSettings s) {
    return TrainingRanks.settings(s.stage(), s.precision(), s.lossScaler(), s.seed() + 100);
  }

  @Test
  void fp32StoppedAndResumedEqualsUninterruptedBitForBit() throws Exception {
    for (int stage : new int[] {0, 3}) {
      TrainSettings s = TrainingRanks.fp32(stage);
      float[] ref = uninterrupted(2, s, 8);
      CheckpointStore store = new LocalCheckpointStore(dir.resolve("fp32-stage" + stage));
      save(2, s, store, 4, stage == 3);
      float[] resumed = resume(2, reseeded(s), store, 4, 8);
      assertArrayEquals(ref, resumed, "stage " + stage + ": resumed run differs");
    }
  }

  @Test
  void fp16WithDynamicLossScalerResumesExactly() throws Exception {
    TrainSettings s =
        TrainingRanks.settings(
            2, Precision.FP16, () -> LossScaler.dynamic(20, 3, 1, 1.0, false), 3);
    int k = 6;
    int steps = 11;
    float[] ref = uninterrupted(2, s, steps);
    // The stop must fall where the scaler has skipped steps and is about to change.
    List<long[]> at =
        TrainingRanks.run(
            2,
            s,
            (e, host) -> {
              TrainingRanks.train(e, host, 0, k);
              return new long[] {e.appliedSteps(), e.globalSteps()};
            });
    assertTrue(at.get(0)[0] < at.get(0)[1], "no overflow step was skipped before the stop");
    CheckpointStore store = new LocalCheckpointStore(dir.resolve("fp16"));
    save(2, s, store, k, true);
    float[] resumed = resume(2, reseeded(s), store, k, steps);
    assertArrayEquals(ref, resumed, "fp16 resumed run differs");
  }

  /** The engine's counters come back too, not only the tensors. */
  @Test
  void countersAndScalerAreRestored() throws Exception {
    TrainSettings s =
        TrainingRanks.settings(
            3, Precision.FP16, () -> LossScaler.dynamic(20, 3, 1, 1.0, false), 3);
    CheckpointStore store = new LocalCheckpointStore(dir.resolve("counters"));
    List<double[]> before =
        TrainingRanks.run(
            2,
            s,
            (e, host) -> {
              TrainingRanks.train(e, host, 0, 7);
              try (EngineCheckpoint ck = new EngineCheckpoint(e, store, 0, false)) {
                ck.save("t", Extras.none());
              }
              double[] st = e.lossScaler().state();
              return new double[] {e.appliedSteps(), e.globalSteps(), st[0], st[1], st[2], st[3]};
            });
    List<double[]> after =
        TrainingRanks.run(
            1,
            reseeded(s),
            (e, host) -> {
              EngineCheckpoint.resumeLatest(e, store).orElseThrow();
              double[] st = e.lossScaler().state();
              return new double[] {e.appliedSteps(), e.globalSteps(), st[0], st[1], st[2], st[3]};
            });
    assertArrayEquals(before.get(0), after.get(0));
  }

  @Test
  void emptyStoreResumesNothing() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir.resolve("empty"));
    List<Boolean> found =
        TrainingRanks.run(
            2,
            TrainingRanks.fp32(1),
            (ZeroEngine e, Allocator host) -> EngineCheckpoint.resumeLatest(e, store).isPresent());
    assertEquals(List.of(false, false), found);
  }
}
