package dev.sparkspeed.zero.checkpoint;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A file opened for positioned reads, so a reader can fetch one tensor (or a slice of one) without
 * streaming the bytes before it. Not thread-safe.
 */
public interface SeekableInput extends AutoCloseable {

  /** File size in bytes, fixed while open. */
  long size() throws IOException;

  /**
   * Fills {@code dst} from its position to its limit with the bytes at {@code position} onward.
   * Fails with {@link EOFException} when the file ends first; {@code dst}'s position then is
   * unspecified.
   */
  void readFully(long position, ByteBuffer dst) throws IOException;

  @Override
  void close() throws IOException;

  /** An input over bytes already in memory (a downloaded file, a test fixture). */
  static SeekableInput of(ByteBuffer bytes) {
    ByteBuffer data = bytes.duplicate();
    data.position(0);
    return new SeekableInput() {
      @Override
      public long size() {
        return data.limit();
      }

      @Override
      public void readFully(long position, ByteBuffer dst) throws IOException {
        int n = dst.remaining();
        if (position < 0 || position > data.limit() - (long) n) {
          throw new EOFException(
              "read of " + n + " bytes at " + position + " past the end (" + data.limit() + ")");
        }
        dst.put(data.slice((int) position, n));
      }

      @Override
      public void close() {}
    };
  }
}
