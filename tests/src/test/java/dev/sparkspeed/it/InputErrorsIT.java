package dev.sparkspeed.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.feed.EpochPlan;
import dev.sparkspeed.feed.EpochPolicy;
import dev.sparkspeed.feed.NullPolicy;
import dev.sparkspeed.trainer.SparkSpeed;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.TrainResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Inputs that are uneven, empty, null or of the wrong shape: each trains under the configured
 * policy or fails with a message naming the column, the rank or the setting, and none hangs.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class InputErrorsIT {
  static final int T = 16;
  static final String DS =
      "{\"train_micro_batch_size_per_gpu\": 4, \"zero_optimization\": {\"stage\": 1}}";

  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSessions.local(2, Map.of());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static TrainOptions.Builder options() {
    return TrainOptions.builder()
        .model("gpt2-tiny")
        .deepspeed(DS)
        .textColumn("text")
        .worldSize(2)
        .seqLen(T);
  }

  private static Dataset<Row> frame(List<Row> a, List<Row> b) {
    return TestData.frame(spark, List.of(a, b), TestData.TEXT);
  }

  private static String failure(Dataset<Row> df, TrainOptions o) {
    Exception e = assertThrows(Exception.class, () -> SparkSpeed.fit(df, o));
    return String.valueOf(e.getMessage());
  }

  @Test
  void unevenPartitionsFollowTheEpochPolicy() {
    Dataset<Row> df = frame(TestData.textRows(2_000, 1), TestData.textRows(600, 2));
    TrainResult wrap = SparkSpeed.fit(df, options().epochPolicy(EpochPolicy.WRAP).build());
    TrainResult trim = SparkSpeed.fit(df, options().epochPolicy(EpochPolicy.TRIM).build());
    long[] counts = wrap.counts();
    assertTrue(counts[0] > 2 * counts[1], "rank token counts " + counts[0] + ", " + counts[1]);
    long longest = EpochPlan.single(counts[0], 4, T, EpochPolicy.WRAP).steps();
    long shortest = EpochPlan.single(counts[1], 4, T, EpochPolicy.TRIM).steps();
    assertEquals(longest, wrap.steps(), "wrap runs the longest partition's batches");
    assertEquals(shortest, trim.steps(), "trim runs the shortest partition's full batches");
    assertTrue(wrap.steps() > trim.steps());
  }

  @Test
  void emptyPartitionFailsNamingTheRanks() {
    String msg = failure(frame(TestData.textRows(2_000, 1), List.of()), options().build());
    assertTrue(msg.contains("ranks [1] have empty partitions"), msg);
    assertTrue(msg.contains("repartition"), msg);
  }

  @Test
  void nullsFailNamingTheColumnOrAreSkipped() {
    List<Row> withNulls = new ArrayList<>(TestData.textRows(1_500, 4));
    withNulls.add(3, RowFactory.create((Object) null));
    withNulls.add(RowFactory.create((Object) null));
    Dataset<Row> df = frame(TestData.textRows(1_500, 1), withNulls);
    String msg = failure(df, options().maxSteps(2).build());
    assertTrue(msg.contains("rank 1: column 'text' is null in row 3"), msg);
    TrainResult r = SparkSpeed.fit(df, options().maxSteps(2).nullPolicy(NullPolicy.SKIP).build());
    assertEquals(2, r.rowsSkipped());
    assertEquals(2, r.steps());
  }

  @Test
  void wrongColumnTypeFailsBeforeTraining() {
    StructType schema = new StructType().add("text", DataTypes.IntegerType, false);
    Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create(1)), schema);
    String msg = failure(df, options().build());
    assertTrue(msg.contains("column 'text' is int, expected string"), msg);
  }

  @Test
  void missingColumnFailsBeforeTraining() {
    Dataset<Row> df = frame(TestData.textRows(500, 1), TestData.textRows(500, 2));
    String msg = failure(df, options().textColumn("body").build());
    assertTrue(msg.contains("column 'body' not found"), msg);
    assertTrue(msg.contains("[text]"), msg);
  }
}
