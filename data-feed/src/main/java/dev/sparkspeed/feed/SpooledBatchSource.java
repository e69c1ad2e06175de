package dev.sparkspeed.feed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;

/**
 * Makes a partition that can be read only once (a Spark task's row iterator) readable once per
 * epoch: the first pass copies every record batch it hands out into an Arrow IPC stream file, and
 * later passes read that file back, one batch in memory at a time. A first pass that stops early (a
 * trimmed epoch) is finished, still spooling, when the next pass opens. The file takes about the
 * partition's column data on local disk and is deleted at {@link #close()}.
 *
 * <p>Single-threaded, like the batchers it feeds; at most one pass is open at a time.
 */
public final class SpooledBatchSource implements RecordBatchSource {
  private final RecordBatchStream upstream;
  private final Path file;
  private final BufferAllocator allocator;
  private FileChannel out;
  private WriteChannel channel;
  private long batchesWritten;
  private boolean spooled;
  private boolean teeOpened;
  private RecordBatchStream open;

  /**
   * @param upstream the one-shot pass to copy; this source closes it
   * @param file where to spool, on local disk (e.g. under the executor's local directory)
   * @param allocator Arrow memory for reading the file back
   */
  public SpooledBatchSource(RecordBatchStream upstream, Path file, BufferAllocator allocator) {
    this.upstream = upstream;
    this.file = file;
    this.allocator = allocator;
  }

  @Override
  public RecordBatchStream open() {
    closeOpen();
    if (!teeOpened) {
      teeOpened = true;
      open = new Tee();
      return open;
    }
    if (!spooled) {
      while (upstream.hasNext()) {
        write(upstream.next());
      }
      finish();
    }
    open = new FileReplay();
    return open;
  }

  /** True once the whole partition is in the file. */
  public boolean spooled() {
    return spooled;
  }

  /** Record batches in the file so far. */
  public long batchesWritten() {
    return batchesWritten;
  }

  private void write(VectorSchemaRoot root) {
    try {
      if (channel == null) {
        out =
            FileChannel.open(
                file,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        channel = new WriteChannel(out);
        MessageSerializer.serialize(channel, root.getSchema());
      }
      try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
        MessageSerializer.serialize(channel, batch);
      }
      batchesWritten++;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot spool feed batches to " + file, e);
    }
  }

  private void finish() {
    try {
      if (channel != null) {
        ArrowStreamWriter.writeEndOfStream(channel, IpcOption.DEFAULT);
        out.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot finish the feed spool " + file, e);
    } finally {
      spooled = true;
      upstream.close();
    }
  }

  /** The first pass: hands out upstream's batches and writes each to the file. */
  private final class Tee implements RecordBatchStream {
    @Override
    public boolean hasNext() {
      if (spooled) {
        return false;
      }
      if (upstream.hasNext()) {
        return true;
      }
      finish();
      return false;
    }

    @Override
    public VectorSchemaRoot next() {
      if (!hasNext()) {
        throw new NoSuchElementException("the partition has no more batches");
      }
      VectorSchemaRoot root = upstream.next();
      write(root);
      return root;
    }

    @Override
    public void close() {
      if (open == this) {
        open = null;
      }
    }
  }

  /** A later pass: the file's batches, loaded one at a time into the reader's root. */
  private final class FileReplay implements RecordBatchStream {
    private final ArrowStreamReader reader;
    private long read;

    FileReplay() {
      try {
        reader =
            batchesWritten == 0
                ? null
                : new ArrowStreamReader(FileChannel.open(file, StandardOpenOption.READ), allocator);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the feed spool " + file, e);
      }
    }

    @Override
    public boolean hasNext() {
      // The batch count is known, so asking does not load (and overwrite) the current batch.
      return read < batchesWritten;
    }

    @Override
    public VectorSchemaRoot next() {
      if (!hasNext()) {
        throw new NoSuchElementException("the spooled partition has no more batches");
      }
      try {
        if (!reader.loadNextBatch()) {
          throw new IllegalStateException(
              "the feed spool "
                  + file
                  + " ended after "
                  + read
                  + " of "
                  + batchesWritten
                  + " batches; was it changed or truncated?");
        }
        read++;
        return reader.getVectorSchemaRoot();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the feed spool " + file, e);
      }
    }

    @Override
    public void close() {
      try {
        if (reader != null) {
          reader.close();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close the feed spool " + file, e);
      } finally {
        if (open == this) {
          open = null;
        }
      }
    }
  }

  private void closeOpen() {
    if (open != null) {
      open.close();
    }
  }

  /** Closes any open pass and upstream, and deletes the spool file. */
  @Override
  public void close() {
    try {
      closeOpen();
      if (!spooled) {
        upstream.close();
        if (out != null) {
          out.close();
        }
      }
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the feed spool " + file, e);
    }
  }
}
