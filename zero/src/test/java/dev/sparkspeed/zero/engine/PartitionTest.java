package dev.sparkspeed.zero.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PartitionTest {

  @Test
  void divisibleTotalHasNoPadding() {
    Partition p = new Partition(12, 4);
    assertEquals(3, p.shardSize());
    assertEquals(12, p.padded());
    assertEquals(6, p.start(2));
    assertEquals(9, p.end(2));
    assertArrayEquals(new int[] {3, 3, 3, 3}, p.counts(0, 12));
  }

  @Test
  void indivisibleTotalPadsTheLastShard() {
    Partition p = new Partition(10, 4);
    assertEquals(3, p.shardSize());
    assertEquals(12, p.padded());
    assertEquals(9, p.start(3));
    assertEquals(10, p.end(3));
    assertArrayEquals(new int[] {3, 3, 3, 1}, p.counts(0, 10));
    assertArrayEquals(new int[] {1, 3, 1, 0}, p.counts(2, 7));
    // a range inside the padding belongs to the last rank's padded shard
    assertArrayEquals(new int[] {0, 0, 0, 2}, p.counts(10, 12));
  }

  @Test
  void moreRanksThanElementsLeavesEmptyShards() {
    Partition p = new Partition(3, 5);
    assertEquals(1, p.shardSize());
    assertEquals(5, p.padded());
    assertArrayEquals(new int[] {1, 1, 1, 0, 0}, p.counts(0, 3));
    assertEquals(p.start(3), p.end(3));
    assertEquals(p.start(4), p.end(4));
    assertEquals(3, p.end(2));
  }

  @Test
  void emptyAndInvalid() {
    Partition p = new Partition(0, 3);
    assertEquals(0, p.shardSize());
    assertArrayEquals(new int[] {0, 0, 0}, p.counts(0, 0));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Partition(10, 0));
    assertTrue(e.getMessage().contains("0 ranks"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Partition(-1, 2));
  }

  @Test
  void shardsTileTheSpaceAndCountsAddUp() {
    SplittableRandom r = new SplittableRandom(5);
    for (int trial = 0; trial < 500; trial++) {
      long total = r.nextInt(0, 200);
      int world = r.nextInt(1, 17);
      Partition p = new Partition(total, world);
      assertTrue(p.padded() >= total && p.padded() - total < world, "padding below one per rank");
      long real = 0;
      for (int k = 0; k < world; k++) {
        assertEquals(k * p.shardSize(), p.start(k));
        assertTrue(p.end(k) >= p.start(k) && p.end(k) <= p.start(k) + p.shardSize());
        real += p.end(k) - p.start(k);
      }
      assertEquals(total, real, "real elements over all shards, total " + total + " N " + world);
      long from = total == 0 ? 0 : r.nextLong(0, total);
      long to = total == 0 ? 0 : r.nextLong(from, total + 1);
      int sum = 0;
      for (int c : p.counts(from, to)) {
        sum += c;
      }
      assertEquals(to - from, sum, "counts of [" + from + ", " + to + ")");
    }
  }
}
