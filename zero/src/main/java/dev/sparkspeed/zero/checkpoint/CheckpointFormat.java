package dev.sparkspeed.zero.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Constants and the binary header of checkpoint tensor files.
 *
 * <p>Layout of a checkpoint under a store root:
 *
 * <pre>
 * latest                      the tag of the last committed checkpoint (a hint, see CheckpointLocator)
 * &lt;tag&gt;/manifest.json        model and training config, training state, every tensor's place
 * &lt;tag&gt;/rank_&lt;r&gt;.bin         one rank's tensors (optimizer shard, stage-3 parameter shard)
 * &lt;tag&gt;/model_states.bin     optional whole weights
 * &lt;tag&gt;/COMMITTED            written last; names the manifest's SHA-256
 * </pre>
 *
 * <p>A tensor file starts with a {@value #HEADER_BYTES}-byte header: the 8 ASCII bytes {@code
 * SSPDCKPT}, the format version (int32 little-endian), the writing rank (int32, -1 for a file not
 * tied to one rank), then zeros. Tensor data follows, each tensor starting at a multiple of {@value
 * #ALIGNMENT} bytes, elements little-endian.
 */
public final class CheckpointFormat {
  /** The only version this build writes and reads. */
  public static final int VERSION = 1;

  /** Bytes before the first tensor of a file. */
  public static final int HEADER_BYTES = 64;

  /** Every tensor's byte offset is a multiple of this (cache line, direct-I/O friendly). */
  public static final int ALIGNMENT = 64;

  /** The manifest's file name inside a tag directory. */
  public static final String MANIFEST = "manifest.json";

  /** The completion marker's file name inside a tag directory. */
  public static final String MARKER = "COMMITTED";

  /** The file name for whole model weights inside a tag directory. */
  public static final String MODEL_STATES = "model_states.bin";

  /** The file at the root naming the last committed tag. */
  public static final String LATEST = "latest";

  /** The value of the manifest's {@code format} field. */
  public static final String FORMAT_NAME = "sparkspeed-checkpoint";

  /** Largest manifest a reader accepts, in bytes (a GPT-2-XL manifest is well under 1 MiB). */
  public static final int MAX_MANIFEST_BYTES = 256 << 20;

  /** Largest marker or {@code latest} file a reader accepts, in bytes. */
  public static final int MAX_SMALL_FILE_BYTES = 64 << 10;

  private static final byte[] MAGIC = "SSPDCKPT".getBytes(StandardCharsets.US_ASCII);

  private CheckpointFormat() {}

  /** The file name of rank {@code rank}'s tensors. */
  public static String rankFile(int rank) {
    return "rank_" + rank + ".bin";
  }

  /** The header of a file written by {@code rank} (-1: not tied to a rank). */
  static ByteBuffer header(int rank) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).putInt(VERSION).putInt(rank);
    return b.position(0);
  }

  /** Checks a header read from {@code file}, which the manifest says {@code rank} wrote. */
  static void checkHeader(ByteBuffer header, String file, int rank)
      throws CorruptCheckpointException {
    ByteBuffer b = header.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0);
    byte[] magic = new byte[MAGIC.length];
    b.get(magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new CorruptCheckpointException(
          file + " does not start with the checkpoint magic SSPDCKPT");
    }
    int version = b.getInt();
    if (version != VERSION) {
      throw new CorruptCheckpointException(
          file + " has format version " + version + "; this build reads version " + VERSION);
    }
    int r = b.getInt();
    if (r != rank) {
      throw new CorruptCheckpointException(
          file + " was written by rank " + r + " but the manifest lists it for rank " + rank);
    }
  }

  /** Round {@code offset} up to the next multiple of {@link #ALIGNMENT}. */
  static long align(long offset) {
    return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  /** Tensor bytes are written as they lie in host memory, which must therefore be little-endian. */
  static void requireLittleEndianHost() throws IOException {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new IOException(
          "checkpoints store little-endian tensors; this host is " + ByteOrder.nativeOrder());
    }
  }
}
