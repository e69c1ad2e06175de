package dev.sparkspeed.feed.spark;

import dev.sparkspeed.feed.FeedException;
import dev.sparkspeed.feed.NullPolicy;
import dev.sparkspeed.feed.RecordBatchStream;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Reads a partition's {@link Row}s into Arrow record batches of at most {@code rowsPerBatch} rows
 * (fewer when the batch's data reaches {@code maxBatchBytes}), in the layout of {@link
 * dev.sparkspeed.feed.ArrowColumns}. One {@link VectorSchemaRoot} is refilled for every batch, so
 * memory stays at one batch: its buffers come from {@code allocator}, whose limit bounds the feed's
 * Arrow memory. Closing frees them all.
 *
 * <p>Null values follow each column's {@link NullPolicy}: SKIP drops the row (counted by {@link
 * #rowsSkipped()}), ERROR fails naming the column and the row's position in the partition.
 * Single-threaded.
 */
public final class ArrowBatchStream implements RecordBatchStream {
  /**
   * Batch-size settings.
   *
   * @param rowsPerBatch rows per record batch at most
   * @param maxBatchBytes a batch ends early once its data reaches this many bytes, so long
   *     documents cannot grow one batch without bound
   */
  public record Options(int rowsPerBatch, long maxBatchBytes) {
    public Options {
      if (rowsPerBatch < 1 || maxBatchBytes < 1) {
        throw new IllegalArgumentException(
            "rows per batch "
                + rowsPerBatch
                + " and max batch bytes "
                + maxBatchBytes
                + " must be at least 1");
      }
    }

    /** 4096 rows or 16 MiB per batch, whichever comes first. */
    public static Options defaults() {
      return new Options(4096, 16L << 20);
    }
  }

  private final Iterator<Row> rows;
  private final BufferAllocator allocator;
  private final Options options;
  private final List<FeedSchema.Resolved> columns;
  private final RowColumnWriter[] writers;
  private final VectorSchemaRoot root;
  private boolean allocated;
  private long rowsSeen;
  private long rowsSkipped;
  private long bytesWritten;
  private long batches;

  /**
   * @param rows the partition's rows; read once
   * @param schema the rows' schema (the DataFrame's), checked against {@code feed} at once
   * @param allocator Arrow memory for the batch; its limit is the stream's memory bound
   */
  public ArrowBatchStream(
      Iterator<Row> rows,
      StructType schema,
      FeedSchema feed,
      BufferAllocator allocator,
      Options options) {
    this.rows = rows;
    this.allocator = allocator;
    this.options = options;
    this.columns = feed.resolve(schema);
    this.root = VectorSchemaRoot.create(feed.arrowSchema(), allocator);
    this.writers = new RowColumnWriter[columns.size()];
    List<FieldVector> vectors = root.getFieldVectors();
    for (int i = 0; i < writers.length; i++) {
      writers[i] = RowColumnWriter.of(columns.get(i), vectors.get(i));
    }
  }

  /** True while rows remain; the next batch may still come out empty if they are all skipped. */
  @Override
  public boolean hasNext() {
    return rows.hasNext();
  }

  /** Refills and returns the stream's one root; the previous batch's contents are gone. */
  @Override
  public VectorSchemaRoot next() {
    if (!rows.hasNext()) {
      throw new NoSuchElementException("the partition has no more rows");
    }
    int n = 0;
    long bytes = 0;
    try {
      if (allocated) {
        for (FieldVector v : root.getFieldVectors()) {
          v.reset();
        }
      } else {
        for (FieldVector v : root.getFieldVectors()) {
          v.setInitialCapacity(options.rowsPerBatch());
        }
        root.allocateNew();
        allocated = true;
      }
      while (n < options.rowsPerBatch() && bytes < options.maxBatchBytes() && rows.hasNext()) {
        Row row = rows.next();
        long position = rowsSeen++;
        if (hasSkippedNull(row, position)) {
          rowsSkipped++;
          continue;
        }
        for (int c = 0; c < writers.length; c++) {
          bytes += writers[c].write(row.get(columns.get(c).index()), n, position);
        }
        n++;
      }
    } catch (OutOfMemoryException e) {
      throw new FeedException(
          "Arrow memory limit of "
              + allocator.getLimit()
              + " bytes reached while filling a batch"
              + " at row "
              + n
              + " ("
              + bytes
              + " bytes of data so far); lower rowsPerBatch ("
              + options.rowsPerBatch()
              + ") or maxBatchBytes ("
              + options.maxBatchBytes()
              + "), or raise the feed's memory limit",
          e);
    }
    root.setRowCount(n);
    bytesWritten += bytes;
    batches++;
    return root;
  }

  private boolean hasSkippedNull(Row row, long position) {
    boolean skip = false;
    for (FeedSchema.Resolved col : columns) {
      if (row.isNullAt(col.index())) {
        if (col.spec().nulls() == NullPolicy.ERROR) {
          throw new FeedException(
              "column '"
                  + col.spec().name()
                  + "' is null in row "
                  + position
                  + " of this partition; set its null policy to SKIP to drop such rows, or fill"
                  + " the nulls before training");
        }
        skip = true;
      }
    }
    return skip;
  }

  /** Rows read from the partition so far, skipped ones included. */
  public long rowsSeen() {
    return rowsSeen;
  }

  /** Rows dropped so far because a SKIP column was null. */
  public long rowsSkipped() {
    return rowsSkipped;
  }

  /** Bytes of column data written so far (ids, UTF-8 text, features, labels). */
  public long bytesWritten() {
    return bytesWritten;
  }

  /** Record batches produced so far. */
  public long batches() {
    return batches;
  }

  @Override
  public void close() {
    root.close();
  }
}
