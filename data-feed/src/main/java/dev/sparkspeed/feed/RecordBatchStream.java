package dev.sparkspeed.feed;

import java.util.Iterator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One pass over a partition as Arrow record batches. {@link #next()} may return the same {@link
 * VectorSchemaRoot} refilled each time: a batch is valid until the next call or {@link #close()}.
 * Closing frees every Arrow buffer the stream holds. Single-threaded.
 */
public interface RecordBatchStream extends Iterator<VectorSchemaRoot>, AutoCloseable {
  @Override
  void close();
}
