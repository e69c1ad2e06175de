package dev.sparkspeed.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EpochPlanTest {
  @Test
  void wrapRunsTheLongestPartitionsBatchesAndTrimTheShortestsFullOnes() {
    long[] rows = {100, 37, 64};
    EpochPlan wrap = EpochPlan.forRows(rows, 8, EpochPolicy.WRAP);
    EpochPlan trim = EpochPlan.forRows(rows, 8, EpochPolicy.TRIM);
    assertEquals(13, wrap.steps(), "ceil(100 / 8)");
    assertEquals(4, trim.steps(), "floor(37 / 8)");
    assertEquals(5, wrap.batchesPerPass(1), "ceil(37 / 8)");
    assertEquals(3, wrap.world());
  }

  @Test
  void tokenPlansCountBlocksThatNeedOneExtraTokenUnlessTheStreamWraps() {
    // 65 tokens, T = 8: trim has floor(64 / 8) = 8 blocks; wrap ceil(65 / 8) = 9.
    assertEquals(2, EpochPlan.forTokens(new long[] {65}, 4, 8, EpochPolicy.TRIM).steps());
    assertEquals(3, EpochPlan.forTokens(new long[] {65}, 4, 8, EpochPolicy.WRAP).steps());
    assertEquals(1, EpochPlan.forTokens(new long[] {64}, 7, 9, EpochPolicy.TRIM).steps());
    // 64 tokens hold only 7 blocks of 8 + 1 under trim.
    assertEquals(1, EpochPlan.forTokens(new long[] {64}, 4, 8, EpochPolicy.TRIM).steps());
    assertEquals(2, EpochPlan.forTokens(new long[] {64}, 4, 8, EpochPolicy.WRAP).steps());
  }

  @Test
  void emptyPartitionsFailWithMessagesThatSayWhatToDo() {
    FeedException all =
        assertThrows(
            FeedException.class, () -> EpochPlan.forRows(new long[] {0, 0}, 4, EpochPolicy.WRAP));
    assertTrue(all.getMessage().contains("every partition is empty"), all.getMessage());
    FeedException some =
        assertThrows(
            FeedException.class,
            () -> EpochPlan.forRows(new long[] {10, 0, 3, 0}, 4, EpochPolicy.WRAP));
    assertTrue(some.getMessage().contains("ranks [1, 3] have empty partitions"), some.getMessage());
    assertTrue(some.getMessage().contains("repartition(4)"), some.getMessage());
    FeedException trim =
        assertThrows(
            FeedException.class, () -> EpochPlan.forRows(new long[] {10, 3}, 4, EpochPolicy.TRIM));
    assertTrue(trim.getMessage().contains("rank 1 holds less than one batch"), trim.getMessage());
  }

  @Test
  void aTinyButNonEmptyTokenPartitionStillWrapsToFullBatches() {
    EpochPlan plan = EpochPlan.forTokens(new long[] {1000, 3}, 2, 16, EpochPolicy.WRAP);
    assertEquals(32, plan.steps(), "ceil(ceil(1000 / 16) / 2)");
    assertEquals(1, plan.batchesPerPass(1));
  }

  @Test
  void badArgumentsAreRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> EpochPlan.forRows(new long[0], 4, EpochPolicy.WRAP));
    assertThrows(
        IllegalArgumentException.class,
        () -> EpochPlan.forRows(new long[] {5, -1}, 4, EpochPolicy.WRAP));
    assertThrows(
        IllegalArgumentException.class,
        () -> EpochPlan.forTokens(new long[] {5}, 4, 0, EpochPolicy.WRAP));
  }
}
