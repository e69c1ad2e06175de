package dev.sparkspeed.feed.spark;

import dev.sparkspeed.feed.RecordBatchSource;
import dev.sparkspeed.feed.RecordBatchStream;
import java.util.Iterator;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A {@link RecordBatchSource} over rows that can be read again from the start: each {@link #open()}
 * asks {@code rows} for a fresh iterator and streams it through an {@link ArrowBatchStream}. At
 * most one stream is open at a time (opening closes the previous one), so the source's Arrow memory
 * is one batch. The schema is checked when the source is built.
 */
public final class RowBatchSource implements RecordBatchSource {
  private final Supplier<? extends Iterator<Row>> rows;
  private final StructType schema;
  private final FeedSchema feed;
  private final BufferAllocator allocator;
  private final ArrowBatchStream.Options options;
  private ArrowBatchStream current;
  private long passes;

  /**
   * @param rows returns the partition's rows from the first, in the same order on every call
   */
  public RowBatchSource(
      Supplier<? extends Iterator<Row>> rows,
      StructType schema,
      FeedSchema feed,
      BufferAllocator allocator,
      ArrowBatchStream.Options options) {
    feed.validate(schema);
    this.rows = rows;
    this.schema = schema;
    this.feed = feed;
    this.allocator = allocator;
    this.options = options;
  }

  @Override
  public RecordBatchStream open() {
    closeCurrent();
    ArrowBatchStream stream = new ArrowBatchStream(rows.get(), schema, feed, allocator, options);
    current = stream;
    passes++;
    return new RecordBatchStream() {
      @Override
      public boolean hasNext() {
        return stream.hasNext();
      }

      @Override
      public VectorSchemaRoot next() {
        return stream.next();
      }

      @Override
      public void close() {
        stream.close();
        if (current == stream) {
          current = null;
        }
      }
    };
  }

  /** The open stream, for its counters; null when none is open. */
  public ArrowBatchStream current() {
    return current;
  }

  /** Passes opened so far. */
  public long passes() {
    return passes;
  }

  private void closeCurrent() {
    if (current != null) {
      ArrowBatchStream s = current;
      current = null;
      s.close();
    }
  }

  @Override
  public void close() {
    closeCurrent();
  }
}
