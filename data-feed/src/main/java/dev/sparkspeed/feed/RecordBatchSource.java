package dev.sparkspeed.feed;

/**
 * A partition that can be read from its first row more than once: once per epoch, and again
 * whenever a short partition wraps around. Reads must return the same rows in the same order each
 * time, or resuming from a {@link FeedCursor} fails its replay check.
 */
public interface RecordBatchSource extends AutoCloseable {
  /**
   * Starts a new pass from the first row. The caller closes the returned stream; a source may close
   * an earlier stream when a new one opens.
   */
  RecordBatchStream open();

  /** Releases what the source holds, including any open stream. */
  @Override
  void close();
}
