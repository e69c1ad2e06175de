package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LaunchTest {

  @Test
  void gridStrideBlocksCoverSmallInputsExactlyAndCapLargeOnes() {
    assertEquals(1, Launch.gridStrideBlocks(0, 256, 4224));
    assertEquals(1, Launch.gridStrideBlocks(256, 256, 4224));
    assertEquals(2, Launch.gridStrideBlocks(257, 256, 4224));
    assertEquals(4224, Launch.gridStrideBlocks(10_000_000_000L, 256, 4224));
  }

  @Test
  void rowChunksKeepTheGridWithinLimitsAndCoverEveryRow() {
    for (int rows : new int[] {1, 7, 4096, 65536 * 3, 10_000_000}) {
      for (long tiles : new long[] {1, 3, 200}) {
        int chunk = Launch.rowsPerChunk(rows, tiles, 132);
        long chunks = Launch.ceilDiv(rows, chunk);
        assertTrue(chunk >= 1 && chunks <= 65535, rows + "/" + tiles + " -> " + chunk);
        assertTrue(chunks * chunk >= rows);
      }
    }
  }
}
