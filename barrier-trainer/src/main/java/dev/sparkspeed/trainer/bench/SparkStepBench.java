package dev.sparkspeed.trainer.bench;

import dev.sparkspeed.trainer.CliLogging;
import dev.sparkspeed.trainer.SparkSpeed;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.TrainResult;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.train.Args;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code bench step --spark}: the step time of StepBench's model and settings when the steps run
 * through Spark, as a barrier stage of {@code --ranks} tasks ({@code local[ranks]} unless {@code
 * --master}) training on a DataFrame of random token ids. Options: {@code --model gpt2-124m --batch
 * 4 --seq 64 --steps K --warmup W --ranks N --zero-stage S --precision fp32|bf16|fp16 --seed X
 * --master URL}. Prints rank 0's step times, then {@code RESULT step_s=… tokens_per_s=…
 * model_gflops_per_s=… ranks=… fit_s=… outside_steps_s=…}: the median step (warm-up excluded), and
 * the rest of the fit (preflight, reading the partitions, rendezvous, returning the result).
 */
public final class SparkStepBench {
  private static final Set<String> OPTIONS =
      Set.of(
          "spark!",
          "model",
          "batch",
          "seq",
          "steps",
          "warmup",
          "ranks",
          "zero-stage",
          "precision",
          "seed",
          "master",
          "task-cpus");
  private static final int ROW_TOKENS = 1024;

  private SparkStepBench() {}

  public static void main(String[] argv) {
    CliLogging.quiet();
    Args a = new Args(argv, 0, OPTIONS);
    String model = a.get("model", "gpt2-124m");
    Gpt2Config cfg = Gpt2Config.preset(model);
    int b = a.getInt("batch", 4);
    int t = a.getInt("seq", 64);
    int steps = a.getInt("steps", 5);
    int warmup = a.getInt("warmup", 1);
    int ranks = a.getInt("ranks", 1);
    String precision = a.get("precision", "fp32").toLowerCase(Locale.ROOT);
    int taskCpus = a.getInt("task-cpus", 1);
    SparkSession spark =
        SparkSession.builder()
            .appName("sparkspeed-bench-step")
            .master(a.get("master", "local[" + ranks * taskCpus + "]"))
            .config("spark.task.cpus", String.valueOf(taskCpus))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.barrier.sync.timeout", "600s")
            .getOrCreate();
    try {
      long tokens = (long) (steps + warmup) * b * t + 1;
      Dataset<Row> data =
          tokens(
              spark,
              ranks,
              (int) ((tokens + ROW_TOKENS - 1) / ROW_TOKENS),
              cfg,
              a.getInt("seed", 1));
      TrainResult r =
          SparkSpeed.fit(
              data,
              TrainOptions.builder()
                  .model(model)
                  .deepspeed(config(b, a.getInt("zero-stage", 0), precision))
                  .tokensColumn("ids")
                  .worldSize(ranks)
                  .maxSteps(steps + warmup)
                  .seqLen(t)
                  .build());
      report(r, cfg, b, t, ranks, warmup);
    } finally {
      spark.stop();
    }
  }

  static String config(int micro, int stage, String precision) {
    return String.format(
        Locale.ROOT,
        "{\"train_micro_batch_size_per_gpu\": %d, \"gradient_accumulation_steps\": 1,"
            + " \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 1e-4, \"weight_decay\": 0.0}},"
            + " \"zero_optimization\": {\"stage\": %d},"
            + " \"bf16\": {\"enabled\": %b}, \"fp16\": {\"enabled\": %b}}",
        micro,
        stage,
        precision.equals("bf16"),
        precision.equals("fp16"));
  }

  /** {@code rowsPerRank} rows of random ids per rank, already in one partition per rank. */
  private static Dataset<Row> tokens(
      SparkSession spark, int ranks, int rowsPerRank, Gpt2Config cfg, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ranks * rowsPerRank; i++) {
      int[] ids = new int[ROW_TOKENS];
      for (int k = 0; k < ids.length; k++) {
        ids[k] = r.nextInt(cfg.vocabSize());
      }
      rows.add(RowFactory.create((Object) ids));
    }
    StructType schema =
        new StructType().add("ids", DataTypes.createArrayType(DataTypes.IntegerType, false));
    return spark.createDataFrame(rows, schema).repartition(ranks);
  }

  private static void report(TrainResult r, Gpt2Config cfg, int b, int t, int ranks, int warmup) {
    double[] all = r.stepSeconds();
    for (int i = 0; i < all.length; i++) {
      System.out.printf(Locale.ROOT, "step %d  %.3f s  loss %.4f%n", i + 1, all[i], r.losses()[i]);
    }
    double[] timed = Arrays.copyOfRange(all, Math.min(warmup, all.length - 1), all.length);
    Arrays.sort(timed);
    int n = timed.length;
    double median = n % 2 == 1 ? timed[n / 2] : (timed[n / 2 - 1] + timed[n / 2]) / 2;
    double flopsPerToken =
        6.0 * Gpt2Model.table(cfg).totalElements() + 6.0 * cfg.nLayer() * cfg.nEmbd() * t;
    double tokens = (double) b * t * ranks;
    System.out.printf(
        Locale.ROOT,
        "RESULT step_s=%.4f tokens_per_s=%.1f model_gflops_per_s=%.2f ranks=%d fit_s=%.2f"
            + " outside_steps_s=%.2f feed_s=%.3f%n",
        median,
        tokens / median,
        tokens * flopsPerToken / median / 1e9,
        ranks,
        r.wallSeconds(),
        r.wallSeconds() - Arrays.stream(all).sum(),
        r.feedSeconds());
  }
}
