package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The {@code "aio"} block: how NVMe swapping issues its reads and writes, with DeepSpeed's
 * defaults.
 *
 * @param blockSize bytes per I/O request
 * @param queueDepth requests kept in flight per thread
 * @param threadCount I/O threads per rank
 * @param singleSubmit submit requests one at a time instead of in batches
 * @param overlapEvents overlap submitting new requests with reaping completed ones
 */
public record AioConfig(
    long blockSize, int queueDepth, int threadCount, boolean singleSubmit, boolean overlapEvents) {

  static final long DEFAULT_BLOCK_SIZE = 1_048_576L;
  static final int DEFAULT_QUEUE_DEPTH = 8;
  static final int DEFAULT_THREAD_COUNT = 1;

  /** DeepSpeed's defaults, used when the block is absent. */
  public static AioConfig defaults() {
    return new AioConfig(
        DEFAULT_BLOCK_SIZE, DEFAULT_QUEUE_DEPTH, DEFAULT_THREAD_COUNT, false, true);
  }

  static AioConfig read(JsonBlock b) {
    b.expect("block_size", "queue_depth", "thread_count", "single_submit", "overlap_events");
    b.unsupported(
        "is a DeepSpeed setting this engine does not implement; remove it",
        "io_backend",
        "intra_op_parallelism",
        "use_gds");
    b.rejectUnknown();
    return new AioConfig(
        b.integer("block_size", DEFAULT_BLOCK_SIZE, 1),
        b.smallInteger("queue_depth", DEFAULT_QUEUE_DEPTH, 1),
        b.smallInteger("thread_count", DEFAULT_THREAD_COUNT, 1),
        b.bool("single_submit", false),
        b.bool("overlap_events", true));
  }

  void write(ObjectNode out) {
    out.put("block_size", blockSize);
    out.put("queue_depth", queueDepth);
    out.put("thread_count", threadCount);
    out.put("single_submit", singleSubmit);
    out.put("overlap_events", overlapEvents);
  }
}
