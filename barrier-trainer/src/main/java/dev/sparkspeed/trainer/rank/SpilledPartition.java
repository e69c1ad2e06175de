package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.feed.FeedException;
import dev.sparkspeed.feed.RecordBatchSource;
import dev.sparkspeed.feed.RecordBatchStream;
import dev.sparkspeed.feed.spark.ArrowBatchStream;
import dev.sparkspeed.feed.spark.FeedSchema;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A barrier task's partition, read once from Spark and kept as an Arrow IPC stream in a local file,
 * so the feed can read it again for counting, every epoch and every wrap-around. A task's row
 * iterator can only be read once, and holding the rows on the heap would tie memory to the
 * partition's size; the file keeps memory at one record batch. The file is deleted on close.
 */
public final class SpilledPartition implements RecordBatchSource {
  private final Path file;
  private final BufferAllocator allocator;
  private final long rows;
  private final long rowsSkipped;
  private final long bytes;
  private ArrowStreamReader open;

  private SpilledPartition(
      Path file, BufferAllocator allocator, long rows, long rowsSkipped, long bytes) {
    this.file = file;
    this.allocator = allocator;
    this.rows = rows;
    this.rowsSkipped = rowsSkipped;
    this.bytes = bytes;
  }

  /**
   * Reads {@code rows} to the end through the feed's row-to-Arrow conversion (checking types and
   * null policies) and writes the batches to a new file in {@code dir}.
   *
   * @throws FeedException for a row that breaks the schema or a null under the ERROR policy
   */
  public static SpilledPartition write(
      Iterator<Row> rows,
      StructType schema,
      FeedSchema feed,
      BufferAllocator allocator,
      ArrowBatchStream.Options options,
      Path dir) {
    Path file;
    try {
      file = Files.createTempFile(dir, "sparkspeed-partition-", ".arrows");
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot create the partition spill file in " + dir + " (java.io.tmpdir)", e);
    }
    try (ArrowBatchStream in = new ArrowBatchStream(rows, schema, feed, allocator, options);
        FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ArrowStreamWriter writer = null;
      try {
        while (in.hasNext()) {
          VectorSchemaRoot root = in.next();
          if (writer == null) {
            writer = new ArrowStreamWriter(root, null, Channels.newOutputStream(out));
            writer.start();
          }
          if (root.getRowCount() > 0) {
            writer.writeBatch();
          }
        }
        if (writer != null) {
          writer.end();
        }
      } finally {
        if (writer != null) {
          writer.close();
        }
      }
      return new SpilledPartition(
          file, allocator, in.rowsSeen() - in.rowsSkipped(), in.rowsSkipped(), Files.size(file));
    } catch (IOException e) {
      deleteQuietly(file);
      throw new UncheckedIOException("cannot write the partition spill file " + file, e);
    } catch (RuntimeException | Error e) {
      deleteQuietly(file);
      throw e;
    }
  }

  /** Rows kept (those not dropped by a SKIP null policy). */
  public long rows() {
    return rows;
  }

  /** Rows dropped because a SKIP column was null. */
  public long rowsSkipped() {
    return rowsSkipped;
  }

  /** Size of the spill file in bytes. */
  public long bytes() {
    return bytes;
  }

  @Override
  public RecordBatchStream open() {
    closeOpen();
    if (bytes == 0) {
      return new Empty();
    }
    try {
      InputStream in = Files.newInputStream(file);
      ArrowStreamReader reader = new ArrowStreamReader(in, allocator);
      open = reader;
      return new Pass(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the partition spill file " + file, e);
    }
  }

  private void closeOpen() {
    if (open != null) {
      ArrowStreamReader r = open;
      open = null;
      try {
        r.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close the partition spill file " + file, e);
      }
    }
  }

  @Override
  public void close() {
    try {
      closeOpen();
    } finally {
      deleteQuietly(file);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // A leftover spill file in the temp directory is harmless; the task's outcome stands.
    }
  }

  /** One pass over the file, one record batch at a time. */
  private final class Pass implements RecordBatchStream {
    private final ArrowStreamReader reader;
    private boolean loaded;
    private boolean done;

    Pass(ArrowStreamReader reader) {
      this.reader = reader;
    }

    @Override
    public boolean hasNext() {
      if (!loaded && !done) {
        try {
          loaded = reader.loadNextBatch();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read the partition spill file " + file, e);
        }
        done = !loaded;
      }
      return loaded;
    }

    @Override
    public VectorSchemaRoot next() {
      if (!hasNext()) {
        throw new NoSuchElementException("the spilled partition has no more batches");
      }
      loaded = false;
      try {
        return reader.getVectorSchemaRoot();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the partition spill file " + file, e);
      }
    }

    @Override
    public void close() {
      if (open == reader) {
        closeOpen();
      }
    }
  }

  /** The pass over a partition that had no rows. */
  private static final class Empty implements RecordBatchStream {
    @Override
    public boolean hasNext() {
      return false;
    }

    @Override
    public VectorSchemaRoot next() {
      throw new NoSuchElementException("the partition is empty");
    }

    @Override
    public void close() {}
  }
}
