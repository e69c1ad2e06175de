package dev.sparkspeed.zero.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * Where checkpoints live: a local directory, HDFS or an S3 bucket. Every path is relative to the
 * store's root, uses {@code /} between names and is checked by {@link StorePaths#require}.
 *
 * <p>The SPI assumes no atomic rename (S3 has none) and no visibility before {@code close()}: a
 * file may appear only when its channel is closed, and a half-written file may remain after a
 * crash. Completeness of a checkpoint is therefore decided by a marker file written last, never by
 * a rename.
 *
 * <p>Threading: implementations are safe to call from several threads for different paths. One
 * channel or {@link SeekableInput} is used by one thread at a time.
 *
 * <p>Failure: every method throws {@link IOException} naming the path; nothing is retried here (the
 * underlying client retries transient errors where it can). A failed write leaves the file absent
 * or partial, never a committed checkpoint.
 */
public interface CheckpointStore {

  /**
   * Creates or replaces a file, making parent directories as needed. The bytes are visible and
   * durable (as far as the store promises) once the channel is closed without error.
   */
  WritableByteChannel create(String path) throws IOException;

  /** Opens a file for positioned reads. Fails with {@link java.io.FileNotFoundException}. */
  SeekableInput openRead(String path) throws IOException;

  /** True when a file (not a directory) exists at {@code path}. */
  boolean exists(String path) throws IOException;

  /** Size of a file in bytes; fails with {@link java.io.FileNotFoundException} when absent. */
  long size(String path) throws IOException;

  /**
   * Names (not paths) of the files and directories directly under {@code dir}, sorted; empty when
   * {@code dir} does not exist. Use {@code ""} for the root.
   */
  List<String> list(String dir) throws IOException;

  /** Deletes a file, or a directory with everything under it; absent paths are not an error. */
  void delete(String path) throws IOException;

  /** The root as a URI-like string, for messages ("hdfs://nn:8020/ckpt", "/tmp/ckpt"). */
  String describe();

  /**
   * Reads a whole small file (a manifest, a marker) into memory, refusing files larger than {@code
   * maxBytes} before allocating anything.
   */
  default byte[] readSmall(String path, int maxBytes) throws IOException {
    try (SeekableInput in = openRead(path)) {
      long size = in.size();
      if (size > maxBytes) {
        throw new CorruptCheckpointException(
            describe()
                + "/"
                + path
                + " is "
                + size
                + " bytes, more than the "
                + maxBytes
                + " allowed for this kind of file");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) size);
      in.readFully(0, buf);
      return buf.array();
    }
  }

  /** Creates or replaces a small file with {@code bytes}. */
  default void writeSmall(String path, byte[] bytes) throws IOException {
    try (WritableByteChannel ch = create(path);
        OutputStream out = Channels.newOutputStream(ch)) {
      out.write(bytes);
    }
  }
}
