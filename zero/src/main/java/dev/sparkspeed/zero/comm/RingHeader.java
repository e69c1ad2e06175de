package dev.sparkspeed.zero.comm;

import dev.sparkspeed.zero.tensor.DType;
import java.nio.ByteBuffer;

/**
 * The header that opens every collective on each data connection: what this rank issued (kind,
 * sequence number, element count, dtype, broadcast root) and the chunk size it cuts the transfer
 * into. A rank checks its left neighbour's header against its own before it uses any of the data,
 * so ranks that issue different collectives, or chunk them differently (which interleaves the
 * steps' bytes differently), fail naming both instead of mixing up data.
 */
final class RingHeader {
  static final int BYTES = 36;
  private static final int MAGIC = 0x52494e47; // "RING"
  private static final int CHUNK_AT = 32;

  /** The collectives, in header order. */
  enum Kind {
    ALL_REDUCE("allReduce"),
    REDUCE_SCATTER("reduceScatter"),
    ALL_GATHER("allGather"),
    BROADCAST("broadcast"),
    BARRIER("barrier");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  private RingHeader() {}

  /**
   * @param dtype the DType ordinal, or -1 for a barrier
   * @param root the broadcast root, or -1
   */
  static ByteBuffer encode(
      Kind kind, long seq, long elements, int dtype, int root, int chunkBytes) {
    ByteBuffer h = ByteBuffer.allocate(BYTES);
    h.putInt(MAGIC).putInt(kind.ordinal()).putLong(seq).putLong(elements);
    h.putInt(dtype).putInt(root).putInt(chunkBytes).flip();
    return h;
  }

  /**
   * Throws naming both collectives when the left neighbour's header differs from this rank's.
   *
   * @param name how this rank's collective is named in errors
   */
  static void verify(ByteBuffer mine, ByteBuffer theirs, String name, int leftRank) {
    ByteBuffer m = mine.duplicate().rewind();
    ByteBuffer t = theirs.duplicate().rewind();
    if (m.equals(t)) {
      return;
    }
    int myChunk = m.getInt(CHUNK_AT);
    int theirChunk = t.getInt(CHUNK_AT);
    if (m.limit(CHUNK_AT).equals(t.limit(CHUNK_AT))) {
      throw new CommException(
          "this rank cuts "
              + name
              + " into chunks of "
              + myChunk
              + " bytes but its left neighbour rank "
              + leftRank
              + " into chunks of "
              + theirChunk
              + ": every rank needs the same RingConfig.chunkBytes");
    }
    throw new CommException(
        "this rank issued "
            + name
            + " but its left neighbour rank "
            + leftRank
            + " issued "
            + decode(t.rewind())
            + ": every rank must issue the same collectives in the same order with the same sizes");
  }

  private static String decode(ByteBuffer h) {
    if (h.getInt() != MAGIC) {
      return "something that is not a collective (corrupt stream)";
    }
    int kind = h.getInt();
    long seq = h.getLong();
    long elements = h.getLong();
    int dtype = h.getInt();
    int root = h.getInt();
    if (kind < 0 || kind >= Kind.values().length) {
      return "an unknown collective";
    }
    return describe(Kind.values()[kind], seq, elements, dtype, root);
  }

  /** E.g. "allReduce #7 (1048576 × FP32)", "broadcast #2 (10 × BF16, root 1)", "barrier #3". */
  static String describe(Kind kind, long seq, long elements, int dtype, int root) {
    StringBuilder s = new StringBuilder(kind.label).append(" #").append(seq);
    if (kind != Kind.BARRIER) {
      String type =
          dtype >= 0 && dtype < DType.values().length ? DType.values()[dtype].name() : "?";
      s.append(" (").append(elements).append(" × ").append(type);
      if (kind == Kind.BROADCAST) {
        s.append(", root ").append(root);
      }
      s.append(')');
    }
    return s.toString();
  }
}
