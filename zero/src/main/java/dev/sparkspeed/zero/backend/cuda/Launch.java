package dev.sparkspeed.zero.backend.cuda;

/** Grid-size arithmetic for kernel launches. */
final class Launch {
  private Launch() {}

  static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /**
   * Blocks for a grid-stride loop over n elements: one element per thread up to {@code maxBlocks}
   * blocks, then each thread loops. At least 1.
   */
  static long gridStrideBlocks(long n, int threadsPerBlock, long maxBlocks) {
    return Math.max(1, Math.min(ceilDiv(n, threadsPerBlock), maxBlocks));
  }

  /** Chunks of rows for column-reduction kernels: enough blocks to fill the device. */
  static int rowsPerChunk(int rows, long columnTiles, int multiprocessors) {
    long wantedChunks = Math.max(1, (long) multiprocessors * 4 / Math.max(1, columnTiles));
    long perChunk = ceilDiv(rows, Math.min(wantedChunks, 65535));
    return (int) Math.max(1, perChunk);
  }
}
