package dev.sparkspeed.trainer.checkpoint;

import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import dev.sparkspeed.zero.checkpoint.SeekableInput;
import dev.sparkspeed.zero.checkpoint.StorePaths;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.StreamCapabilities;

/**
 * A {@link CheckpointStore} over Hadoop's {@link FileSystem}: {@code file://}, {@code hdfs://},
 * {@code s3a://} and whatever else the cluster's Hadoop configuration knows.
 *
 * <p>Files are written in place; on S3 an object appears only when its stream is closed, and no
 * rename is ever used, so a checkpoint's completeness rests on its marker alone. With {@code
 * durable} set, each file is {@code hsync}'ed before close where the stream supports it (HDFS), so
 * a marker cannot outlive its data on a datanode crash; S3 uploads are durable once closed.
 *
 * <p>The {@link FileSystem} comes from Hadoop's shared cache ({@link FileSystem#get}) and is not
 * closed here. Thread-safe for different paths, like the file system itself.
 */
public final class HadoopCheckpointStore implements CheckpointStore {
  /** Bytes copied per write when the tensor data is off-heap (streams take byte arrays). */
  private static final int TRANSFER_BYTES = 1 << 20;

  private final FileSystem fs;
  private final Path root;
  private final boolean durable;

  /** A durable store at {@code root} (e.g. "hdfs://nn:8020/ckpt/run1", "s3a://bucket/run1"). */
  public HadoopCheckpointStore(URI root, Configuration conf) throws IOException {
    this(root, conf, true);
  }

  /**
   * @param root directory holding the checkpoints; scheme and authority pick the file system
   * @param conf Hadoop configuration with the file system's settings (endpoints, credentials)
   * @param durable hsync each file before closing it where the file system supports it
   */
  public HadoopCheckpointStore(URI root, Configuration conf, boolean durable) throws IOException {
    this.fs = FileSystem.get(root, conf);
    this.root = fs.makeQualified(new Path(root));
    this.durable = durable;
  }

  private Path resolve(String path) {
    return StorePaths.require(path).isEmpty() ? root : new Path(root, path);
  }

  @Override
  public WritableByteChannel create(String path) throws IOException {
    FSDataOutputStream out = fs.create(resolve(path), true);
    return new WritableByteChannel() {
      private byte[] transfer;
      private boolean open = true;

      @Override
      public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (src.hasArray()) {
          out.write(src.array(), src.arrayOffset() + src.position(), n);
          src.position(src.limit());
          return n;
        }
        if (transfer == null) {
          transfer = new byte[TRANSFER_BYTES];
        }
        while (src.hasRemaining()) {
          int k = Math.min(transfer.length, src.remaining());
          src.get(transfer, 0, k);
          out.write(transfer, 0, k);
        }
        return n;
      }

      @Override
      public boolean isOpen() {
        return open;
      }

      @Override
      public void close() throws IOException {
        if (!open) {
          return;
        }
        open = false;
        try (out) {
          if (durable && out.hasCapability(StreamCapabilities.HSYNC)) {
            out.hsync();
          }
        }
      }
    };
  }

  @Override
  public SeekableInput openRead(String path) throws IOException {
    Path p = resolve(path);
    long size = fs.getFileStatus(p).getLen();
    FSDataInputStream in = fs.open(p);
    boolean directReads = in.hasCapability(StreamCapabilities.PREADBYTEBUFFER);
    return new SeekableInput() {
      private byte[] transfer;

      @Override
      public long size() {
        return size;
      }

      @Override
      public void readFully(long position, ByteBuffer dst) throws IOException {
        if (dst.hasArray()) {
          int n = dst.remaining();
          in.readFully(position, dst.array(), dst.arrayOffset() + dst.position(), n);
          dst.position(dst.limit());
        } else if (directReads) {
          in.readFully(position, dst);
        } else {
          if (transfer == null) {
            transfer = new byte[TRANSFER_BYTES];
          }
          long pos = position;
          while (dst.hasRemaining()) {
            int k = Math.min(transfer.length, dst.remaining());
            in.readFully(pos, transfer, 0, k);
            dst.put(transfer, 0, k);
            pos += k;
          }
        }
      }

      @Override
      public void close() throws IOException {
        in.close();
      }
    };
  }

  @Override
  public boolean exists(String path) throws IOException {
    try {
      return fs.getFileStatus(resolve(path)).isFile();
    } catch (FileNotFoundException e) {
      return false;
    }
  }

  @Override
  public long size(String path) throws IOException {
    return fs.getFileStatus(resolve(path)).getLen();
  }

  @Override
  public List<String> list(String dir) throws IOException {
    FileStatus[] children;
    try {
      children = fs.listStatus(resolve(dir));
    } catch (FileNotFoundException e) {
      return List.of();
    }
    List<String> names = new ArrayList<>(children.length);
    for (FileStatus s : children) {
      names.add(s.getPath().getName());
    }
    names.sort(null);
    return names;
  }

  @Override
  public void delete(String path) throws IOException {
    fs.delete(resolve(path), true);
  }

  @Override
  public String describe() {
    return root.toString();
  }

  @Override
  public String toString() {
    return "HadoopCheckpointStore(" + root + ")";
  }
}
