package dev.sparkspeed.feed.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparkspeed.feed.ColumnSpec;
import dev.sparkspeed.feed.EpochPlan;
import dev.sparkspeed.feed.EpochPolicy;
import dev.sparkspeed.feed.FeatureBatch;
import dev.sparkspeed.feed.FeatureBatcher;
import dev.sparkspeed.feed.FeedCursor;
import dev.sparkspeed.feed.TokenBatch;
import dev.sparkspeed.feed.TokenBatcher;
import dev.sparkspeed.feed.tokenizer.ByteTokenizer;
import dev.sparkspeed.zero.tensor.Allocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rows → Arrow → batches, end to end without a cluster. */
class RowBatchSourceTest {
  private BufferAllocator arrow;
  private Allocator host;

  @BeforeEach
  void open() {
    arrow = new RootAllocator(2L << 20);
    host = new Allocator("row-source-test", 1L << 20);
  }

  @AfterEach
  void close() {
    host.close();
    assertEquals(0, arrow.getAllocatedMemory(), "Arrow bytes left after the test");
    arrow.close();
  }

  @Test
  void textRowsBecomeTheSameTokenBatchesAfterAResume() {
    StructType schema = new StructType().add("text", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    List<Integer> stream = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String doc = "doc " + i + " — ünïcode " + "x".repeat(i % 7);
      rows.add(RowFactory.create(doc));
      for (byte b : doc.getBytes(StandardCharsets.UTF_8)) {
        stream.add(b & 0xff);
      }
      stream.add(ByteTokenizer.EOT);
    }
    ByteTokenizer tok = new ByteTokenizer(true);
    ColumnSpec text = ColumnSpec.text("text");
    TokenBatcher.Config cfg = TokenBatcher.Config.of(text, 4, 16).withEot(tok.eotId());
    ArrowBatchStream.Options small = new ArrowBatchStream.Options(7, 1 << 20);
    try (RowBatchSource src =
            new RowBatchSource(rows::iterator, schema, FeedSchema.of(text), arrow, small);
        TokenBatcher batcher = new TokenBatcher(cfg, tok, src, host);
        TokenBatcher shuffled = new TokenBatcher(cfg.withShuffle(16, 5), tok, src, host);
        TokenBatcher resumed = new TokenBatcher(cfg.withShuffle(16, 5), tok, src, host)) {
      long tokens = batcher.countTokens();
      assertEquals(stream.size(), tokens);
      EpochPlan plan = EpochPlan.single(tokens, 4, 16, EpochPolicy.WRAP);
      batcher.start(0, plan);
      TokenBatch first = batcher.next();
      int[] in = new int[64];
      first.inputs().ints().get(in);
      int[] want = stream.stream().mapToInt(Integer::intValue).limit(64).toArray();
      assertArrayEquals(want, in);
      assertEquals(7, src.current().rowsSeen(), "one record batch of 7 rows read so far");

      shuffled.start(0, plan);
      List<String> all = new ArrayList<>();
      while (shuffled.hasNext()) {
        all.add(describe(shuffled.next()));
      }
      shuffled.start(0, plan);
      for (int i = 0; i < 5; i++) {
        shuffled.next();
      }
      resumed.resume(FeedCursor.fromJson(shuffled.cursor().toJson()), plan);
      List<String> rest = new ArrayList<>();
      while (resumed.hasNext()) {
        rest.add(describe(resumed.next()));
      }
      assertEquals(all.subList(5, all.size()), rest);
    }
  }

  private static String describe(TokenBatch b) {
    int[] in = new int[b.inputs().intSize()];
    int[] out = new int[b.targets().intSize()];
    b.inputs().ints().get(in);
    b.targets().ints().get(out);
    return Arrays.toString(in) + Arrays.toString(out);
  }

  @Test
  void mlVectorRowsBecomeClassificationBatches() {
    StructType schema =
        new StructType()
            .add("features", SQLDataTypes.VectorType())
            .add("label", DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(
          RowFactory.create(
              i % 2 == 0
                  ? Vectors.dense(i, -i, 0.5)
                  : Vectors.sparse(3, new int[] {0}, new double[] {i}),
              i % 3));
    }
    ColumnSpec x = ColumnSpec.features("features", 3);
    ColumnSpec y = ColumnSpec.label("label");
    try (RowBatchSource src =
            new RowBatchSource(
                rows::iterator,
                schema,
                FeedSchema.of(x, y),
                arrow,
                ArrowBatchStream.Options.defaults());
        FeatureBatcher batcher =
            new FeatureBatcher(FeatureBatcher.Config.classification(x, y, 5, 3), src, host)) {
      batcher.start(0, EpochPlan.forRows(new long[] {batcher.countRows()}, 5, EpochPolicy.TRIM));
      batcher.next();
      FeatureBatch b = batcher.next();
      float[] f = new float[15];
      b.features().floats().get(f);
      assertArrayEquals(new float[] {5, 0, 0, 6, -6, 0.5f, 7, 0, 0, 8, -8, 0.5f, 9, 0, 0}, f);
      int[] labels = new int[5];
      b.labels().ints().get(labels);
      assertArrayEquals(new int[] {2, 0, 1, 2, 0}, labels);
    }
  }
}
