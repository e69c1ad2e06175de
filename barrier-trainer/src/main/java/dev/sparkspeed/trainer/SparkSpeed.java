package dev.sparkspeed.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.trainer.checkpoint.HadoopConfCopy;
import dev.sparkspeed.trainer.rank.BarrierTrainTask;
import dev.sparkspeed.trainer.rank.JobSecret;
import dev.sparkspeed.trainer.rank.RankJob;
import dev.sparkspeed.trainer.rank.RankResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Trains a model on a DataFrame with ZeRO data parallelism, one Spark barrier task per rank.
 *
 * <pre>{@code
 * TrainResult r = SparkSpeed.fit(df, TrainOptions.builder()
 *     .model("gpt2-tiny").deepspeed("conf/ds_config.json")
 *     .textColumn("text").worldSize(2).maxSteps(100).build());
 * }</pre>
 *
 * <p>The driver checks the settings ({@link Preflight}) and the input columns, gives the input one
 * partition per rank (a DataFrame that already has exactly that many partitions is used as it is,
 * keeping its order), and runs the barrier stage. The stage feeds a shuffle, so when a rank fails
 * Spark retries the whole stage (up to {@code spark.stage.maxConsecutiveAttempts}); rank 0 returns
 * the parameters through it, so they must fit {@code spark.driver.maxResultSize}.
 *
 * <p>With an output location (or the DeepSpeed config's {@code sparkspeed.checkpoint_dir}) the
 * ranks save checkpoints there every {@code sparkspeed.save_interval} steps and at the end, and
 * every stage attempt starts from the newest committed one: a second {@code fit} on the same output
 * continues the first (up to its {@code maxSteps} in all), and a retried stage loses only the steps
 * since the last checkpoint.
 */
public final class SparkSpeed {
  private static final Logger LOG = LoggerFactory.getLogger(SparkSpeed.class);
  private static final ClassTag<RankResult> RESULT = ClassTag$.MODULE$.apply(RankResult.class);

  /** How long the driver waits for executors to register before judging the task slots. */
  static final Duration EXECUTOR_WAIT = Duration.ofSeconds(60);

  private SparkSpeed() {}

  /**
   * Trains and returns the final parameters; saves them to {@link TrainOptions#output()} when set.
   *
   * @throws SparkSpeedException when a setting or the data rules the run out (the message names the
   *     setting, column or rank), or when Spark gives up on the stage
   */
  public static TrainResult fit(Dataset<Row> data, TrainOptions o) {
    long t0 = System.nanoTime();
    ModelSpec spec = ModelSpec.resolve(o.model());
    String ds = DeepSpeedText.read(o.deepspeed());
    FeedColumns.of(o, spec).validate(data.schema());
    SparkContext sc = data.sparkSession().sparkContext();
    Preflight.run(sc, o, ds, spec, EXECUTOR_WAIT);
    Dataset<Row> input =
        data.select(o.inputColumns().stream().map(functions::col).toArray(Column[]::new));
    if (input.rdd().getNumPartitions() != o.worldSize()) {
      input = input.repartition(o.worldSize());
    }
    RankJob job =
        new RankJob(
            o,
            spec,
            ds,
            JobSecret.generate(),
            UUID.randomUUID().toString(),
            input.schema(),
            HadoopConfCopy.of(sc.hadoopConfiguration()));
    LOG.info("SparkSpeed: training {} on {} ranks, {}", spec.kind(), o.worldSize(), o);
    sc.setJobDescription("SparkSpeed training: " + spec.kind() + " on " + o.worldSize() + " ranks");
    List<RankResult> results;
    try {
      RDD<RankResult> trained =
          input.rdd().barrier().mapPartitions(new BarrierTrainTask(job), false, RESULT);
      // The shuffle makes the barrier stage a map stage: Spark retries a failed map stage as a
      // whole, whereas a failed barrier result stage would abort the job.
      results =
          new ArrayList<>(
              JavaRDD.fromRDD(trained, RESULT)
                  .keyBy(RankResult::rank)
                  .partitionBy(new HashPartitioner(1))
                  .values()
                  .collect());
    } finally {
      sc.setJobDescription(null);
    }
    results.sort(Comparator.comparingInt(RankResult::rank));
    TrainResult r = assemble(spec, results, (System.nanoTime() - t0) / 1e9);
    if (r.resumedFrom() != null) {
      LOG.info(
          "SparkSpeed: stage attempt {} resumed from {} at step {}",
          r.stageAttempt(),
          r.resumedFrom(),
          r.startStep());
    }
    if (o.output() != null) {
      ModelIo.save(sc.hadoopConfiguration(), o.output(), spec, r.params(), summary(r, o));
      LOG.info("SparkSpeed: saved the model to {}", o.output());
    }
    return r;
  }

  private static TrainResult assemble(ModelSpec spec, List<RankResult> results, double wall) {
    RankResult r0 = results.get(0);
    if (r0.error() != null) {
      throw new SparkSpeedException("training did not start:\n" + r0.error());
    }
    long[] counts = results.stream().mapToLong(RankResult::count).toArray();
    long skipped = results.stream().mapToLong(RankResult::rowsSkipped).sum();
    return new TrainResult(
        spec,
        r0.params(),
        r0.losses(),
        r0.stepSeconds(),
        r0.stageAttempt(),
        r0.startStep(),
        r0.resumedFrom(),
        counts,
        skipped,
        results.stream().mapToDouble(RankResult::feedSeconds).max().orElse(0),
        r0.epochSteps(),
        r0.unitsPerStep(),
        ModelIo.sha256(r0.params()),
        wall);
  }

  private static ObjectNode summary(TrainResult r, TrainOptions o) {
    ObjectNode n = new ObjectMapper().createObjectNode();
    n.put("steps", r.totalSteps());
    if (r.steps() > 0) {
      n.put("final_loss", r.finalLoss());
    }
    n.put("world_size", o.worldSize());
    n.put("seq_len", r.model().seqLen(o.seqLen()));
    n.put("tokenizer", o.tokenizer());
    return n;
  }
}
