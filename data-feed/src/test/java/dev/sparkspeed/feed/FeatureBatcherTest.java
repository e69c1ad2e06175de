package dev.sparkspeed.feed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FeatureBatcherTest {
  private static final int F = 3;
  private static final ColumnSpec X = ColumnSpec.features("x", F);
  private static final ColumnSpec Y = ColumnSpec.label("y");

  private BufferAllocator arrow;
  private Allocator host;

  @BeforeEach
  void open() {
    arrow = new RootAllocator(4L << 20);
    host = new Allocator("feature-batcher-test", 1L << 20);
  }

  @AfterEach
  void close() {
    host.close();
    assertEquals(0, arrow.getAllocatedMemory(), "Arrow bytes left after the test");
    arrow.close();
  }

  /** Row i has features (i, i + 0.5, -i) and label i % 4. */
  private ListBatchSource rows(int n, List<Integer> nullLabels) {
    List<float[]> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      x.add(new float[] {i, i + 0.5f, -i});
      y.add(nullLabels.contains(i) ? null : (double) (i % 4));
    }
    return new ListBatchSource(arrow, List.of(X, Y), List.of(x, y), 4);
  }

  private static float[] floats(FeatureBatch b) {
    float[] out = new float[b.features().intSize()];
    b.features().floats().get(out);
    return out;
  }

  @Test
  void regressionBatchesHoldTheRowsInOrderAsFp32() {
    try (ListBatchSource src = rows(10, List.of());
        FeatureBatcher batcher =
            new FeatureBatcher(FeatureBatcher.Config.regression(X, Y, 4), src, host)) {
      assertEquals(10, batcher.countRows());
      batcher.start(0, EpochPlan.forRows(new long[] {10}, 4, EpochPolicy.WRAP));
      List<Float> labels = new ArrayList<>();
      int batches = 0;
      while (batcher.hasNext()) {
        FeatureBatch b = batcher.next();
        assertArrayEquals(new int[] {4, F}, b.features().shape());
        assertEquals(DType.FP32, b.labels().dtype());
        float[] x = floats(b);
        for (int r = 0; r < 4; r++) {
          int i = (batches * 4 + r) % 10;
          assertArrayEquals(new float[] {i, i + 0.5f, -i}, Arrays.copyOfRange(x, r * F, r * F + F));
          labels.add(b.labels().floats().get(r));
        }
        batches++;
      }
      assertEquals(3, batches, "10 rows in batches of 4 with wrap: the last wraps to rows 0, 1");
      assertEquals(List.of(0f, 1f, 2f, 3f, 0f, 1f, 2f, 3f, 0f, 1f, 0f, 1f), labels);
    }
  }

  @Test
  void classificationLabelsAreInt32ClassIdsAndBadIdsFailNamingTheRow() {
    try (ListBatchSource src = rows(8, List.of());
        FeatureBatcher ok =
            new FeatureBatcher(FeatureBatcher.Config.classification(X, Y, 4, 4), src, host);
        FeatureBatcher tooFew =
            new FeatureBatcher(FeatureBatcher.Config.classification(X, Y, 4, 3), src, host)) {
      EpochPlan plan = EpochPlan.forRows(new long[] {8}, 4, EpochPolicy.TRIM);
      ok.start(0, plan);
      FeatureBatch b = ok.next();
      assertEquals(DType.INT32, b.labels().dtype());
      int[] y = new int[4];
      b.labels().ints().get(y);
      assertArrayEquals(new int[] {0, 1, 2, 3}, y);
      tooFew.start(0, plan);
      FeedException e = assertThrows(FeedException.class, tooFew::next);
      assertTrue(e.getMessage().contains("label column 'y' row 3 is 3.0"), e.getMessage());
      assertTrue(e.getMessage().contains("[0, 3)"), e.getMessage());
    }
  }

  @Test
  void nullLabelsAreSkippedOrRejectedAsConfigured() {
    try (ListBatchSource src = rows(9, List.of(2, 5))) {
      try (FeatureBatcher strict =
          new FeatureBatcher(FeatureBatcher.Config.regression(X, Y, 2), src, host)) {
        FeedException e = assertThrows(FeedException.class, strict::countRows);
        assertTrue(e.getMessage().contains("column 'y' is null in row 2"), e.getMessage());
      }
      ColumnSpec lenient = Y.withNulls(NullPolicy.SKIP);
      try (FeatureBatcher skip =
          new FeatureBatcher(FeatureBatcher.Config.regression(X, lenient, 2), src, host)) {
        assertEquals(7, skip.countRows());
        skip.start(0, EpochPlan.forRows(new long[] {7}, 2, EpochPolicy.TRIM));
        List<Float> firsts = new ArrayList<>();
        while (skip.hasNext()) {
          float[] x = floats(skip.next());
          firsts.add(x[0]);
          firsts.add(x[F]);
        }
        assertEquals(List.of(0f, 1f, 3f, 4f, 6f, 7f), firsts);
      }
    }
  }

  @Test
  void aShuffledEpochResumesIdenticallyFromItsCursor() {
    FeatureBatcher.Config cfg = FeatureBatcher.Config.regression(X, Y, 3).withShuffle(5, 11);
    try (ListBatchSource src = rows(20, List.of());
        FeatureBatcher first = new FeatureBatcher(cfg, src, host);
        FeatureBatcher second = new FeatureBatcher(cfg, src, host)) {
      EpochPlan plan = EpochPlan.forRows(new long[] {20, 31}, 3, EpochPolicy.WRAP);
      first.start(2, plan);
      List<String> all = new ArrayList<>();
      while (first.hasNext()) {
        all.add(Arrays.toString(floats(first.next())));
      }
      first.start(2, plan);
      for (int i = 0; i < 8; i++) {
        first.next();
      }
      FeedCursor cursor = FeedCursor.fromJson(first.cursor().toJson());
      second.resume(cursor, plan);
      List<String> rest = new ArrayList<>();
      while (second.hasNext()) {
        rest.add(Arrays.toString(floats(second.next())));
      }
      assertEquals(all.subList(8, all.size()), rest);
      assertEquals(plan.steps(), all.size());
    }
  }

  @Test
  void aWrongArrowColumnTypeIsASchemaErrorNamingTheColumn() {
    ColumnSpec wide = ColumnSpec.features("x", F + 1);
    try (ListBatchSource src = rows(4, List.of());
        FeatureBatcher batcher =
            new FeatureBatcher(FeatureBatcher.Config.regression(wide, Y, 2), src, host)) {
      FeedSchemaException e = assertThrows(FeedSchemaException.class, batcher::countRows);
      assertTrue(e.getMessage().contains("column 'x'"), e.getMessage());
      assertTrue(e.getMessage().contains("FixedSizeList(4)"), e.getMessage());
    }
  }

  @Test
  void aPartitionWhoseRowsAreAllSkippedFailsInsteadOfLoopingForever() {
    ColumnSpec lenient = Y.withNulls(NullPolicy.SKIP);
    try (ListBatchSource src = rows(3, List.of(0, 1, 2));
        FeatureBatcher batcher =
            new FeatureBatcher(FeatureBatcher.Config.regression(X, lenient, 2), src, host)) {
      assertEquals(0, batcher.countRows());
      // A plan built from wrong counts: the feed itself must notice the empty partition.
      batcher.start(0, EpochPlan.forRows(new long[] {4}, 2, EpochPolicy.WRAP));
      FeedException e = assertThrows(FeedException.class, batcher::next);
      assertTrue(e.getMessage().contains("found no data"), e.getMessage());
    }
  }
}
