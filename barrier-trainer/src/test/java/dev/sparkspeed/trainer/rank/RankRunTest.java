package dev.sparkspeed.trainer.rank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.trainer.ModelSpec;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.checkpoint.HadoopConfCopy;
import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import dev.sparkspeed.zero.comm.CommException;
import dev.sparkspeed.zero.train.TinyCorpus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two ranks as threads through the whole rank path: spill, rendezvous, ring, training. */
@Timeout(60)
class RankRunTest {
  static final StructType SCHEMA = new StructType().add("text", DataTypes.StringType, true);
  static final String DS =
      "{\"train_micro_batch_size_per_gpu\": 2, \"zero_optimization\": {\"stage\": 2}}";

  static List<Row> lines(long seed) {
    List<Row> rows = new ArrayList<>();
    for (String l : TinyCorpus.generate(1_500, seed).split("\n")) {
      rows.add(RowFactory.create(l));
    }
    return rows;
  }

  static RankJob job(TrainOptions.Builder b) {
    return job(b, DS);
  }

  static RankJob job(TrainOptions.Builder b, String ds) {
    TrainOptions o =
        b.model("gpt2-tiny").deepspeed(ds).textColumn("text").worldSize(2).seqLen(16).build();
    return new RankJob(
        o,
        ModelSpec.resolve("gpt2-tiny"),
        ds,
        JobSecret.generate(),
        "test",
        SCHEMA,
        HadoopConfCopy.of(new Configuration()));
  }

  static List<Future<RankResult>> run(RankJob job, List<List<Row>> parts, int[] gpus) {
    ThreadRanks ranks = new ThreadRanks(2);
    return ranks.run(r -> RankRun.run(job, ranks.context(r, 0, gpus[r]), parts.get(r).iterator()));
  }

  @Test
  void ranksTrainTogetherAndRankZeroReturnsTheParameters() throws Exception {
    List<Future<RankResult>> out =
        run(
            job(TrainOptions.builder().maxSteps(3)),
            List.of(lines(1), lines(2)),
            new int[] {-1, -1});
    RankResult r0 = out.get(0).get();
    RankResult r1 = out.get(1).get();
    assertNull(r0.error());
    assertEquals(3, r0.steps());
    assertArrayEquals(r0.losses(), r1.losses(), "every rank sees the same global loss");
    assertEquals(ModelSpec.resolve("gpt2-tiny").table().totalElements(), r0.params().length);
    assertNull(r1.params());
    assertEquals(2L * 16, r0.unitsPerStep());
    assertTrue(r0.count() > 1000 && r1.count() > 1000, r0.count() + ", " + r1.count());
  }

  @Test
  void accumulatedMicroBatchesTrainLikeOneBatchOfTheirRows() throws Exception {
    String accum =
        "{\"train_micro_batch_size_per_gpu\": 1, \"gradient_accumulation_steps\": 2,"
            + " \"zero_optimization\": {\"stage\": 2}}";
    List<List<Row>> parts = List.of(lines(1), lines(2));
    float[] twoMicro =
        run(job(TrainOptions.builder().maxSteps(3), accum), parts, new int[] {-1, -1})
            .get(0)
            .get()
            .params();
    float[] oneBatch =
        run(job(TrainOptions.builder().maxSteps(3)), parts, new int[] {-1, -1})
            .get(0)
            .get()
            .params();
    double num = 0;
    double den = 0;
    for (int i = 0; i < oneBatch.length; i++) {
      num = Math.max(num, Math.abs(twoMicro[i] - oneBatch[i]));
      den = Math.max(den, Math.abs(oneBatch[i]));
    }
    assertTrue(num / den <= 1e-5, "relative difference " + num / den);
  }

  @Test
  void aBadRowOnOneRankIsReportedByBothInsteadOfHanging() throws Exception {
    List<Row> bad = new ArrayList<>(lines(2));
    bad.add(2, RowFactory.create((Object) null));
    List<Future<RankResult>> out =
        run(job(TrainOptions.builder().maxSteps(3)), List.of(lines(1), bad), new int[] {-1, -1});
    for (Future<RankResult> f : out) {
      RankResult r = f.get();
      assertEquals(0, r.steps());
      assertTrue(r.error().startsWith("rank 1: column 'text' is null in row 2"), r.error());
    }
  }

  @Test
  void anEmptyPartitionIsAnErrorForEveryRank() throws Exception {
    List<Future<RankResult>> out =
        run(job(TrainOptions.builder()), List.of(lines(1), List.of()), new int[] {-1, -1});
    for (Future<RankResult> f : out) {
      assertTrue(f.get().error().contains("ranks [1] have empty partitions"), f.get().error());
    }
  }

  @Test
  void twoRanksOnOneGpuAreRefused() throws Exception {
    List<Future<RankResult>> out =
        run(job(TrainOptions.builder().maxSteps(1)), List.of(lines(1), lines(2)), new int[] {0, 0});
    assertTrue(out.get(0).get().error().contains("both given GPU 0"), out.get(0).get().error());
  }

  @Test
  void cudaWithoutADriverIsReportedByEveryRankNotThrown() throws Exception {
    CudaProbe.Result here = CudaProbe.probe();
    Assumptions.assumeFalse(here.available(), "this machine has a usable GPU");
    String ds = "{\"train_micro_batch_size_per_gpu\": 2, \"sparkspeed\": {\"device\": \"cuda\"}}";
    List<Future<RankResult>> out =
        run(
            job(TrainOptions.builder().maxSteps(1), ds),
            List.of(lines(1), lines(2)),
            new int[] {0, 1});
    for (Future<RankResult> f : out) {
      String e = f.get().error();
      assertTrue(e.contains("rank 0: \"device\": \"cuda\" needs a usable CUDA GPU"), e);
      assertTrue(e.contains("rank 1: ") && e.contains(here.reason()), e);
      assertEquals(0, f.get().steps());
    }
  }

  @Test
  void aRankThatFailsMidTrainingReleasesItsPeer() throws Exception {
    List<Future<RankResult>> out =
        run(
            job(TrainOptions.builder().maxSteps(5).failStageAttempts(1)),
            List.of(lines(1), lines(2)),
            new int[] {-1, -1});
    ExecutionException e0 = assertThrows(ExecutionException.class, out.get(0)::get);
    assertInstanceOf(RankRun.InjectedFailure.class, e0.getCause());
    long t0 = System.nanoTime();
    ExecutionException e1 = assertThrows(ExecutionException.class, out.get(1)::get);
    assertInstanceOf(CommException.class, e1.getCause(), Arrays.toString(e1.getStackTrace()));
    assertTrue((System.nanoTime() - t0) / 1e9 < 20, "the surviving rank was released");
  }
}
