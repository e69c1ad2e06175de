package dev.sparkspeed.feed.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparkspeed.feed.ColumnSpec;
import dev.sparkspeed.feed.EpochPlan;
import dev.sparkspeed.feed.EpochPolicy;
import dev.sparkspeed.feed.FeatureBatch;
import dev.sparkspeed.feed.FeatureBatcher;
import dev.sparkspeed.feed.TokenBatch;
import dev.sparkspeed.feed.TokenBatcher;
import dev.sparkspeed.zero.tensor.Allocator;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rows as a real Spark job hands them to a task (deserialized by Spark itself, not built by hand)
 * go through the feed unchanged: array columns, ML vectors from VectorAssembler, long labels.
 */
class LocalSparkRowsIT {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[1]")
            .appName("feed-rows-test")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void tokenArraysFromAPartitionInsideATaskMatchTheDriversView() {
    // Row i holds the ids i, i+1, ..., 2i (i + 1 tokens).
    Dataset<Row> df =
        spark
            .sql(
                "SELECT sequence(CAST(id AS INT), CAST(2 * id AS INT)) AS tokens FROM range(0, 40)")
            .coalesce(1);
    StructType schema = df.schema();
    List<Integer> stream = new ArrayList<>();
    for (Row r : df.collectAsList()) {
      r.<Integer>getList(0).forEach(stream::add);
    }
    List<int[]> firstInputs =
        df.javaRDD()
            .mapPartitions(
                (Iterator<Row> rows) -> List.of(firstBatchInside(rows, schema)).iterator())
            .collect();
    assertEquals(1, firstInputs.size());
    int[] want = stream.stream().mapToInt(Integer::intValue).limit(4 * 8).toArray();
    assertArrayEquals(want, firstInputs.get(0));
  }

  /** Runs in the task: this partition's rows, read once and kept for the second pass. */
  private static int[] firstBatchInside(Iterator<Row> rows, StructType schema) {
    List<Row> partition = new ArrayList<>();
    rows.forEachRemaining(partition::add);
    ColumnSpec col = ColumnSpec.tokenIds("tokens");
    try (BufferAllocator arrow = new RootAllocator(1L << 20);
        Allocator host = new Allocator("task");
        RowBatchSource src =
            new RowBatchSource(
                partition::iterator,
                schema,
                FeedSchema.of(col),
                arrow,
                ArrowBatchStream.Options.defaults());
        TokenBatcher batcher =
            new TokenBatcher(TokenBatcher.Config.of(col, 4, 8), null, src, host)) {
      batcher.start(0, EpochPlan.single(batcher.countTokens(), 4, 8, EpochPolicy.TRIM));
      TokenBatch b = batcher.next();
      int[] in = new int[32];
      b.inputs().ints().get(in);
      return in;
    }
  }

  @Test
  void assembledVectorsAndLongLabelsBecomeFeatureBatches() {
    Dataset<Row> raw =
        spark.sql(
            "SELECT CAST(id AS DOUBLE) AS a, CAST(-id AS DOUBLE) AS b, id % 3 AS y FROM range(0, 12)");
    Dataset<Row> df =
        new VectorAssembler()
            .setInputCols(new String[] {"a", "b"})
            .setOutputCol("x")
            .transform(raw);
    ColumnSpec x = ColumnSpec.features("x", 2);
    ColumnSpec y = ColumnSpec.label("y");
    FeedSchema feed = FeedSchema.of(x, y);
    feed.validate(df.schema());
    List<Row> rows = df.collectAsList();
    try (BufferAllocator arrow = new RootAllocator(1L << 20);
        Allocator host = new Allocator("driver");
        RowBatchSource src =
            new RowBatchSource(
                rows::iterator, df.schema(), feed, arrow, ArrowBatchStream.Options.defaults());
        FeatureBatcher batcher =
            new FeatureBatcher(FeatureBatcher.Config.classification(x, y, 4, 3), src, host)) {
      batcher.start(0, EpochPlan.forRows(new long[] {batcher.countRows()}, 4, EpochPolicy.TRIM));
      batcher.next();
      FeatureBatch b = batcher.next();
      float[] f = new float[8];
      b.features().floats().get(f);
      // VectorAssembler makes row 0 (all zeros) sparse and the others dense.
      assertArrayEquals(new float[] {4, -4, 5, -5, 6, -6, 7, -7}, f);
      int[] labels = new int[4];
      b.labels().ints().get(labels);
      assertArrayEquals(new int[] {1, 2, 0, 1}, labels);
    }
  }
}
