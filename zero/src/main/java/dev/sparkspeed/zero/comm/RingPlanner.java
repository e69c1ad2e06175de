package dev.sparkspeed.zero.comm;

import dev.sparkspeed.zero.comm.RingHeader.Kind;
import dev.sparkspeed.zero.comm.RingPlan.Recv;
import dev.sparkspeed.zero.comm.RingPlan.Send;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns each collective into a {@link RingPlan} for one rank: the bandwidth-optimal ring
 * algorithms, cut into chunks so consecutive steps overlap.
 *
 * <p>All-reduce is a reduce-scatter followed by an all-gather over N segments of near-equal size
 * (the first n mod N segments one element longer), N−1 steps each. In reduce-scatter step s rank r
 * sends segment (r−s) and adds the received segment (r−s−1) to its own, so segment j is summed in
 * the fixed order x_j + x_(j+1) + … + x_(j−1) (indices mod N), in FP32, and rounded once at its
 * last rank; every rank then receives that same result, so all ranks end bit-identical.
 * Reduce-scatter alone runs the same steps shifted by one, so rank r finishes segment r (summed
 * from x_(r+1)). Partial sums travel as FP32 even for 16-bit data.
 *
 * <p>The steps' chunks are interleaved in waves (see {@link #WAVE_LAG_CHUNKS}), so a chunk moves on
 * to the next step a few chunks after it arrived rather than after the whole segment.
 */
final class RingPlanner {
  /**
   * How far the steps trail each other: chunk k of step s is sent in wave k + s·lag, lag being 4
   * chunks but at most 4 MiB. A chunk then goes on to the next step while it is still in cache, yet
   * late enough that the sender rarely waits for its reduction; sending whole segments in turn
   * instead cost about 7% more CPU per 2-rank all-reduce on loopback.
   */
  private static final int WAVE_LAG_CHUNKS = 4;

  private static final int WAVE_LAG_BYTES = 4 << 20;

  /** FP32 working memory for partial sums that have no home in the caller's tensors. */
  interface FloatScratch {
    /** A native-order buffer of at least {@code elements} floats, position 0. */
    ByteBuffer floats(int elements);
  }

  private final int rank;
  private final int world;
  private final int chunkBytes;
  private final FloatScratch scratch;

  RingPlanner(int rank, int world, int chunkBytes, FloatScratch scratch) {
    this.rank = rank;
    this.world = world;
    this.chunkBytes = chunkBytes;
    this.scratch = scratch;
  }

  RingPlan allReduce(long seq, Tensor t) {
    DType dt = t.dtype();
    int n = t.intSize();
    int eb = dt.bytes();
    boolean half = dt.isHalf();
    Builder b = new Builder(Kind.ALL_REDUCE, seq, n, dt, -1, chunkBytes / 4);
    if (world == 1) {
      return b.build();
    }
    ByteBuffer buf = t.bytes();
    // FP32 partial sums live in the buffer itself; 16-bit data needs an FP32 home for them.
    ByteBuffer partials = half ? scratch.floats(segLen(n, 0)) : null;
    for (int s = 0; s < world - 1; s++) {
      int ss = mod(rank - s);
      int rs = mod(rank - s - 1);
      boolean fin = s == world - 2;
      boolean wireHalf = half && s == 0;
      long sendAt = segStart(n, ss);
      long recvAt = segStart(n, rs);
      b.step(
          segLen(n, ss),
          (off, len) ->
              wireHalf || !half ? slice(buf, sendAt + off, len, eb) : slice(partials, off, len, 4),
          s > 0,
          segLen(n, rs),
          (off, len, after) -> {
            ByteBuffer local = slice(buf, recvAt + off, len, eb);
            ByteBuffer dst = fin || !half ? local : slice(partials, off, len, 4);
            return reduce(dt, wireHalf, local, dst, half && fin, len, after);
          },
          half && s > 0 && !fin);
    }
    for (int s = 0; s < world - 1; s++) {
      long sendAt = segStart(n, mod(rank + 1 - s));
      long recvAt = segStart(n, mod(rank - s));
      b.step(
          segLen(n, mod(rank + 1 - s)),
          (off, len) -> slice(buf, sendAt + off, len, eb),
          true,
          segLen(n, mod(rank - s)),
          (off, len, after) -> direct(slice(buf, recvAt + off, len, eb), after),
          false);
    }
    return b.build();
  }

  RingPlan reduceScatter(long seq, Tensor out, Tensor in) {
    int[] counts = new int[world];
    java.util.Arrays.fill(counts, out.intSize());
    return reduceScatterV(seq, out, in, counts);
  }

  /**
   * Reduce-scatter with rank j's part being counts[j] elements at offset Σ counts[0..j). In step s
   * rank r sends part (r−s−1) and adds the received part (r−s−2); the part sent is always the one
   * received the step before, so unequal parts chain chunk by chunk as equal ones do.
   */
  RingPlan reduceScatterV(long seq, Tensor out, Tensor in, int[] counts) {
    DType dt = in.dtype();
    long[] starts = starts(counts);
    int m = out.intSize();
    int max = 0;
    boolean equal = true;
    for (int c : counts) {
      max = Math.max(max, c);
      equal &= c == counts[0];
    }
    int eb = dt.bytes();
    boolean half = dt.isHalf();
    Builder b = new Builder(Kind.REDUCE_SCATTER, seq, starts[world], dt, -1, chunkBytes / 4);
    ByteBuffer src = in.bytes();
    ByteBuffer dstAll = out.bytes();
    if (world == 1) {
      b.local = () -> copy(src, dstAll);
      return b.build();
    }
    // FP32 partials can use the output as working memory unless it overlaps the input.
    boolean partialsInOut = equal && !half && !overlaps(out, in);
    ByteBuffer partials = partialsInOut ? dstAll : scratch.floats(Math.max(1, max));
    // The last step adds into this rank's own part; when out is that part of the input, the sum
    // goes in place (the kernels take the same buffer object to mean the same memory).
    boolean inPlace = sameBytes(in, starts[rank], out);
    for (int s = 0; s < world - 1; s++) {
      int ss = mod(rank - s - 1);
      int rs = mod(rank - s - 2);
      boolean first = s == 0;
      boolean fin = s == world - 2;
      boolean wireHalf = half && first;
      long sendAt = starts[ss];
      long recvAt = starts[rs];
      b.step(
          counts[ss],
          (off, len) -> first ? slice(src, sendAt + off, len, eb) : slice(partials, off, len, 4),
          s > 0,
          counts[rs],
          (off, len, after) -> {
            ByteBuffer local = slice(src, recvAt + off, len, eb);
            ByteBuffer dst =
                fin
                    ? (inPlace ? local : slice(dstAll, off, len, eb))
                    : slice(partials, off, len, 4);
            return reduce(dt, wireHalf, local, dst, half && fin, len, after);
          },
          s > 0 && (!fin || partialsInOut));
    }
    if (counts[rank] != m) {
      throw new IllegalArgumentException(
          "reduceScatterV: out holds "
              + m
              + " elements but counts["
              + rank
              + "] is "
              + counts[rank]);
    }
    return b.build();
  }

  RingPlan allGather(long seq, Tensor out, Tensor in) {
    int[] counts = new int[world];
    java.util.Arrays.fill(counts, in.intSize());
    return allGatherV(seq, out, in, counts);
  }

  /** All-gather with rank j contributing counts[j] elements at offset Σ counts[0..j) of out. */
  RingPlan allGatherV(long seq, Tensor out, Tensor in, int[] counts) {
    DType dt = in.dtype();
    long[] starts = starts(counts);
    int eb = dt.bytes();
    Builder b = new Builder(Kind.ALL_GATHER, seq, starts[world], dt, -1, chunkBytes / eb);
    ByteBuffer dst = out.bytes();
    ByteBuffer own = slice(dst, starts[rank], counts[rank], eb);
    ByteBuffer src = in.bytes();
    if (!sameBytes(out, starts[rank], in)) {
      b.local = () -> copy(src, own);
    }
    for (int s = 0; s < world - 1; s++) {
      int ss = mod(rank - s);
      int rs = mod(rank - s - 1);
      long sendAt = starts[ss];
      long recvAt = starts[rs];
      b.step(
          counts[ss],
          (off, len) -> slice(dst, sendAt + off, len, eb),
          s > 0,
          counts[rs],
          (off, len, after) -> direct(slice(dst, recvAt + off, len, eb), after),
          false);
    }
    return b.build();
  }

  private long[] starts(int[] counts) {
    if (counts.length != world) {
      throw new IllegalArgumentException(
          "counts has " + counts.length + " entries for a world of " + world + " ranks");
    }
    long[] st = new long[world + 1];
    for (int j = 0; j < world; j++) {
      if (counts[j] < 0) {
        throw new IllegalArgumentException("counts[" + j + "] is negative: " + counts[j]);
      }
      st[j + 1] = st[j] + counts[j];
    }
    return st;
  }

  RingPlan broadcast(long seq, Tensor t, int root) {
    DType dt = t.dtype();
    int n = t.intSize();
    int eb = dt.bytes();
    int chunk = chunkBytes / eb;
    Builder b = new Builder(Kind.BROADCAST, seq, n, dt, root, chunk);
    ByteBuffer buf = t.bytes();
    int pos = mod(rank - root);
    // Along the ring from the root: receive a chunk, forward it, unless the right is the root.
    for (int off = 0; off < n && world > 1; off += chunk) {
      ByteBuffer unit = slice(buf, off, Math.min(chunk, n - off), eb);
      if (pos == 0) {
        b.sends.add(new Send(unit, 0));
        continue;
      }
      b.recvs.add(direct(unit, 0));
      if (pos < world - 1) {
        b.sends.add(new Send(unit.duplicate(), b.recvs.size()));
      }
    }
    return b.build();
  }

  RingPlan barrier(long seq) {
    Builder b = new Builder(Kind.BARRIER, seq, 0, null, -1, 1);
    // A one-byte token goes N−1 steps around the ring, as in an all-gather: once a rank has
    // received N−1 tokens, every rank has entered the barrier.
    for (int s = 0; s < world - 1; s++) {
      b.step(
          1,
          (off, len) -> ByteBuffer.allocate(1),
          s > 0,
          1,
          (off, len, after) -> direct(ByteBuffer.allocate(1), after),
          false);
    }
    return b.build();
  }

  private static Recv reduce(
      DType dt,
      boolean wireHalf,
      ByteBuffer local,
      ByteBuffer dst,
      boolean dstHalf,
      int len,
      int after) {
    return new Recv(
        null,
        len * (wireHalf ? 2 : 4),
        (wire, kernels) -> kernels.add(dt, wire, wireHalf, local, dst, dstHalf, len),
        after);
  }

  private static Recv direct(ByteBuffer into, int after) {
    return new Recv(into, into.remaining(), null, after);
  }

  private int mod(int i) {
    return Math.floorMod(i, world);
  }

  private int segLen(int n, int j) {
    return n / world + (j < n % world ? 1 : 0);
  }

  private long segStart(int n, int j) {
    return (long) j * (n / world) + Math.min(j, n % world);
  }

  static ByteBuffer slice(ByteBuffer base, long first, int count, int elemBytes) {
    return base.slice(Math.toIntExact(first * elemBytes), count * elemBytes)
        .order(ByteOrder.nativeOrder());
  }

  private static void copy(ByteBuffer src, ByteBuffer dst) {
    dst.duplicate().put(src.duplicate());
  }

  static boolean overlaps(Tensor a, Tensor b) {
    return a.storage() == b.storage()
        && a.offset() < b.offset() + b.size()
        && b.offset() < a.offset() + a.size();
  }

  static boolean sameBytes(Tensor whole, long offset, Tensor part) {
    return whole.storage() == part.storage() && whole.offset() + offset == part.offset();
  }

  @FunctionalInterface
  private interface SendUnit {
    ByteBuffer at(int offset, int len);
  }

  @FunctionalInterface
  private interface RecvUnit {
    Recv at(int offset, int len, int afterSends);
  }

  /**
   * Accumulates one plan's units. Ring steps are recorded per (step, chunk) and put in wave order
   * at {@link #build()}.
   */
  private final class Builder {
    final Kind kind;
    final long seq;
    final String name;
    final int chunk;
    final List<Send> sends = new ArrayList<>();
    final List<Recv> recvs = new ArrayList<>();
    Runnable local;
    private final List<StepSend> stepSends = new ArrayList<>();
    private final List<StepRecv> stepRecvs = new ArrayList<>();
    private int steps;

    Builder(Kind kind, long seq, long elements, DType dt, int root, int chunk) {
      this.kind = kind;
      this.seq = seq;
      this.chunk = chunk;
      int dtype = dt == null ? -1 : dt.ordinal();
      this.name = RingHeader.describe(kind, seq, elements, dtype, root);
      if (world > 1) {
        ByteBuffer mine = RingHeader.encode(kind, seq, elements, dtype, root, chunkBytes);
        int left = mod(rank - 1);
        sends.add(new Send(mine, 0));
        recvs.add(
            new Recv(
                ByteBuffer.allocate(RingHeader.BYTES),
                RingHeader.BYTES,
                (h, k) -> RingHeader.verify(mine, h, name, left),
                0));
      }
    }

    /**
     * One ring step: send {@code sendLen} elements, receive {@code recvLen}. When chained, send
     * chunk k waits for the previous step's receive of chunk k (the same segment); with a hazard,
     * receive chunk k is consumed only after this step's send of chunk k, whose memory it reuses.
     */
    void step(
        int sendLen, SendUnit send, boolean chained, int recvLen, RecvUnit recv, boolean hazard) {
      int s = steps++;
      int sendUnits = units(sendLen);
      for (int k = 0; k < sendUnits; k++) {
        stepSends.add(new StepSend(s, k, send.at(k * chunk, unitLen(sendLen, k)), chained));
      }
      for (int k = 0; k < units(recvLen); k++) {
        stepRecvs.add(
            new StepRecv(s, k, recv, k * chunk, unitLen(recvLen, k), hazard && k < sendUnits));
      }
    }

    private int units(int len) {
      return (len + chunk - 1) / chunk;
    }

    private int unitLen(int len, int k) {
      return Math.min(chunk, len - k * chunk);
    }

    RingPlan build() {
      // Both neighbours order the same (step, chunk) pairs by the same key, so this rank receives
      // in its left neighbour's send order, and every dependency points to an earlier wave.
      int lag = Math.max(1, Math.min(WAVE_LAG_CHUNKS, WAVE_LAG_BYTES / chunkBytes));
      Comparator<StepUnit> order =
          Comparator.comparingLong((StepUnit u) -> u.chunk() + (long) u.step() * lag)
              .thenComparingInt(StepUnit::step);
      stepSends.sort(order);
      stepRecvs.sort(order);
      Map<Long, Integer> sendAt = new HashMap<>();
      for (StepSend u : stepSends) {
        sendAt.put(key(u.step(), u.chunk()), sends.size() + sendAt.size());
      }
      Map<Long, Integer> recvAt = new HashMap<>();
      for (StepRecv u : stepRecvs) {
        recvAt.put(key(u.step(), u.chunk()), recvs.size() + recvAt.size());
      }
      for (StepSend u : stepSends) {
        int after = u.chained() ? recvAt.get(key(u.step() - 1, u.chunk())) + 1 : 0;
        sends.add(new Send(u.src(), after));
      }
      for (StepRecv u : stepRecvs) {
        int after = u.hazard() ? sendAt.get(key(u.step(), u.chunk())) + 1 : 0;
        recvs.add(u.unit().at(u.offset(), u.len(), after));
      }
      return new RingPlan(name, seq, local, List.copyOf(sends), List.copyOf(recvs));
    }
  }

  private static long key(int step, int chunk) {
    return ((long) step << 32) | chunk;
  }

  /** A chunk of a ring step, before it has a place in the plan. */
  private interface StepUnit {
    int step();

    int chunk();
  }

  /** Sends {@code src}; chained: after the previous step's receive of the same chunk. */
  private record StepSend(int step, int chunk, ByteBuffer src, boolean chained)
      implements StepUnit {}

  /**
   * Receives {@code len} elements at {@code offset}; hazard: after this step's send of the chunk.
   */
  private record StepRecv(int step, int chunk, RecvUnit unit, int offset, int len, boolean hazard)
      implements StepUnit {}
}
