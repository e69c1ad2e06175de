package dev.sparkspeed.zero.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import dev.sparkspeed.zero.checkpoint.LocalCheckpointStore;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Extras;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Resumed;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.MlpConfig;
import dev.sparkspeed.zero.model.MlpModel;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint saved by 2 ranks at stage 1 loads at 1 and 4 ranks and at stage 3 (and stage 0), and
 * the next 10 steps match those of the run that never changed (FP32, within 1e-5: the gradient sums
 * are ordered differently at another world size, nothing else differs).
 */
class ElasticReloadTest {
  private static final int SAVED_AT = 5;
  private static final int MORE = 10;

  @TempDir Path dir;

  private record Outcome(float[] params, float[] losses) {}

  @Test
  void savedAtTwoRanksStageOneContinuesAtOtherSizesAndStages() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir);
    Outcome ref =
        TrainingRanks.run(
                2,
                TrainingRanks.fp32(1),
                (e, host) -> {
                  TrainingRanks.train(e, host, 0, SAVED_AT);
                  try (EngineCheckpoint ck = new EngineCheckpoint(e, store, 0, false)) {
                    ck.save("saved", Extras.none());
                  }
                  float[] losses = TrainingRanks.train(e, host, SAVED_AT, SAVED_AT + MORE);
                  return new Outcome(TrainingRanks.params(e, host), losses);
                })
            .get(0);
    int[][] targets = {{1, 1}, {4, 1}, {2, 3}, {4, 3}, {4, 0}};
    for (int[] t : targets) {
      int world = t[0];
      int stage = t[1];
      TrainSettings s =
          TrainingRanks.settings(
              stage,
              TrainingRanks.fp32(stage).precision(),
              TrainingRanks.fp32(stage).lossScaler(),
              99);
      Outcome got =
          TrainingRanks.run(
                  world,
                  s,
                  (e, host) -> {
                    Resumed r = EngineCheckpoint.resumeLatest(e, store).orElseThrow();
                    assertEquals(2, r.savedWorldSize());
                    assertEquals(1, r.savedStage());
                    float[] losses = TrainingRanks.train(e, host, SAVED_AT, SAVED_AT + MORE);
                    return new Outcome(TrainingRanks.params(e, host), losses);
                  })
              .get(0);
      String where = world + " ranks at stage " + stage;
      double d = TrainingRanks.relDiff(got.params(), ref.params());
      assertTrue(d <= 1e-5, where + ": parameters differ by " + d);
      for (int k = 0; k < MORE; k++) {
        assertEquals(
            ref.losses()[k],
            got.losses()[k],
            1e-5 * Math.abs(ref.losses()[k]),
            where + ": loss of step " + (SAVED_AT + k));
      }
    }
  }

  /**
   * Six parameters over five ranks: shards of two elements, so rank 3 holds nothing real and rank
   * 4's shard lies wholly past the end. Such ranks write empty rank files, and the load still
   * restores every element.
   */
  @Test
  void ranksWithEmptyShardsSaveAndLoad() throws Exception {
    MlpConfig cfg = new MlpConfig(1, new int[] {1}, 2, Activation.TANH);
    CheckpointStore store = new LocalCheckpointStore(dir.resolve("tiny"));
    float[] saved =
        TrainingRanks.run(
                5,
                TrainingRanks.fp32(3),
                (be, w) -> new MlpModel(cfg, be, 1),
                (e, host) -> {
                  for (int k = 0; k < 2; k++) {
                    Batch b = mlpBatch(host, e.communicator().rank(), k);
                    e.step(List.of(b));
                    b.inputs().storage().close();
                    b.targets().storage().close();
                  }
                  try (EngineCheckpoint ck = new EngineCheckpoint(e, store, 0, false)) {
                    ck.save("tiny", Extras.none());
                  }
                  return TrainingRanks.params(e, host);
                })
            .get(0);
    float[] loaded =
        TrainingRanks.run(
                1,
                TrainingRanks.fp32(0),
                (be, w) -> new MlpModel(cfg, be, 5),
                (e, host) -> {
                  EngineCheckpoint.resumeLatest(e, store).orElseThrow();
                  return TrainingRanks.params(e, host);
                })
            .get(0);
    assertEquals(6, saved.length);
    assertArrayEquals(saved, loaded);
  }

  private static Batch mlpBatch(Allocator host, int row, int step) {
    Tensor in = Tensor.whole(host.allocate("in", DType.FP32, 1));
    Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, 1));
    in.floats().put(0, (float) Math.sin(step * 5 + row));
    tg.ints().put(0, (step + row) % 2);
    return new Batch(in, tg);
  }
}
