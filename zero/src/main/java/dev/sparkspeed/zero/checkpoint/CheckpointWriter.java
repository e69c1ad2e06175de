package dev.sparkspeed.zero.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Streams tensors into one tensor file of a checkpoint ({@code <tag>/rank_<r>.bin} or a shared file
 * such as {@code model_states.bin}), computing chunked CRC-32C checksums on the way, and returns a
 * {@link FileReport} for rank 0 to commit.
 *
 * <p>Protocol for a save of tag T by W ranks: rank 0 calls {@link CheckpointCommitter#begin};
 * barrier; each rank writes its file with a CheckpointWriter and {@link #finish()}es it; the
 * reports' JSON is gathered on rank 0; rank 0 calls {@link CheckpointCommitter#commit}. Until the
 * commit writes the marker, nothing of T is visible to readers.
 *
 * <p>Not thread-safe. Closing without {@link #finish()} abandons the file (it stays incomplete and
 * invisible).
 */
public final class CheckpointWriter implements AutoCloseable {
  /** Bytes per checksum chunk unless told otherwise: small enough for cheap slice reads. */
  public static final int DEFAULT_CHUNK_BYTES = 1 << 20;

  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(CheckpointFormat.ALIGNMENT);

  private final String fileName;
  private final int rank;
  private final int chunkBytes;
  private final String where;
  private final WritableByteChannel out;
  private final CRC32C crc = new CRC32C();
  private final List<TensorEntry> entries = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  private long position;
  private FileReport report;

  private CheckpointWriter(
      CheckpointStore store, String tag, String fileName, int rank, int chunkBytes)
      throws IOException {
    CheckpointFormat.requireLittleEndianHost();
    if (!StorePaths.isName(tag)) {
      throw new IllegalArgumentException("invalid checkpoint tag '" + tag + "'");
    }
    if (!StorePaths.isName(fileName) || !fileName.endsWith(".bin")) {
      throw new IllegalArgumentException("tensor file name '" + fileName + "' must end in .bin");
    }
    if (chunkBytes < ManifestCodec.MIN_CHUNK_BYTES || chunkBytes > ManifestCodec.MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException(
          "checksum chunk of "
              + chunkBytes
              + " bytes outside ["
              + ManifestCodec.MIN_CHUNK_BYTES
              + ", "
              + ManifestCodec.MAX_CHUNK_BYTES
              + "]");
    }
    this.fileName = fileName;
    this.rank = rank;
    this.chunkBytes = chunkBytes;
    this.where = store.describe() + "/" + tag + "/" + fileName;
    this.out = store.create(tag + "/" + fileName);
    writeFully(CheckpointFormat.header(rank));
  }

  /** Opens {@code <tag>/rank_<rank>.bin} with the default checksum chunk. */
  public static CheckpointWriter forRank(CheckpointStore store, String tag, int rank)
      throws IOException {
    if (rank < 0) {
      throw new IllegalArgumentException("rank " + rank + " is negative");
    }
    return new CheckpointWriter(
        store, tag, CheckpointFormat.rankFile(rank), rank, DEFAULT_CHUNK_BYTES);
  }

  /** Opens {@code <tag>/model_states.bin} (whole weights, not tied to a rank). */
  public static CheckpointWriter forModelStates(CheckpointStore store, String tag)
      throws IOException {
    return new CheckpointWriter(store, tag, CheckpointFormat.MODEL_STATES, -1, DEFAULT_CHUNK_BYTES);
  }

  /**
   * Opens any tensor file of a tag.
   *
   * @param fileName e.g. "model_states.bin"; must end in .bin
   * @param rank the writing rank, or -1 for a file not tied to one rank
   * @param chunkBytes bytes per CRC-32C; every file of one checkpoint must use the same
   */
  public static CheckpointWriter open(
      CheckpointStore store, String tag, String fileName, int rank, int chunkBytes)
      throws IOException {
    return new CheckpointWriter(store, tag, fileName, rank, chunkBytes);
  }

  /** Appends one tensor; its bytes are read from position to limit and not modified. */
  public void write(NamedTensor t) throws IOException {
    if (report != null) {
      throw new IllegalStateException(where + " is already finished");
    }
    if (!names.add(t.name())) {
      throw new IllegalArgumentException("tensor " + t.name() + " written twice to " + where);
    }
    long aligned = CheckpointFormat.align(position);
    writeFully(ZEROS.duplicate().limit((int) (aligned - position)));
    ByteBuffer data = t.data().duplicate();
    long length = data.remaining();
    int[] crcs = new int[(int) ((length + chunkBytes - 1) / chunkBytes)];
    int start = data.position();
    for (int i = 0; i < crcs.length; i++) {
      int from = start + i * chunkBytes;
      int to = (int) Math.min(from + (long) chunkBytes, data.limit());
      ByteBuffer piece = data.duplicate().limit(to).position(from);
      crc.reset();
      crc.update(piece.duplicate());
      crcs[i] = (int) crc.getValue();
      writeFully(piece);
    }
    entries.add(
        new TensorEntry(
            t.name(), t.dtype(), t.shape(), fileName, aligned, length, crcs, t.partOf()));
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      position += out.write(b);
    }
  }

  /** Closes the file and returns what it holds. The file is complete once this returns. */
  public FileReport finish() throws IOException {
    if (report == null) {
      out.close();
      report = new FileReport(new FileEntry(fileName, rank, position), chunkBytes, entries);
    }
    return report;
  }

  /** Bytes written so far, header and padding included. */
  public long position() {
    return position;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
