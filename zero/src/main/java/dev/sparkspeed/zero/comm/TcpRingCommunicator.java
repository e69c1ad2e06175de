package dev.sparkspeed.zero.comm;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Communicator} for CPU ranks over TCP: the ranks form a ring, each sending to its right
 * neighbour and receiving from its left, and run the bandwidth-optimal ring algorithms, pipelined
 * in chunks of {@link RingConfig#chunkBytes()}. Data moves between the tensors' direct buffers and
 * the sockets without per-element serialization. Ranks may be threads of one JVM or separate
 * processes.
 *
 * <p>All-reduce is a reduce-scatter then an all-gather over N segments of near-equal size (the
 * first n mod N one element longer), N−1 steps each. Segment j is summed in FP32 in the fixed order
 * x_j + x_(j+1) + … + x_(j−1) (ranks mod N) and rounded once for BF16/FP16; every rank then
 * receives that one result, so all ranks end bit-identical and runs are reproducible.
 * Reduce-scatter gives rank r segment r (of equal size), summed from x_(r+1) onward; it leaves its
 * input unchanged, and its output may be the caller's own slice of the input. Broadcast forwards
 * chunks along the ring from the root; barrier passes a token N−1 steps.
 *
 * <p>Joining takes two phases so the ports are known before the addresses are exchanged:
 *
 * <pre>{@code
 * RingEndpoint endpoint = RingEndpoint.bind(ownAddress);
 * List<String> addresses = exchange(endpoint.address());   // e.g. BarrierTaskContext.allGather
 * Communicator comm = TcpRingCommunicator.connect(endpoint, RingConfig.of(rank, n, addresses, secret));
 * }</pre>
 *
 * <p>Every connection is authenticated with the job secret (HMAC-SHA256 challenge–response both
 * ways). Calls are queued to one daemon thread, "sparkspeed-ring-rank{r}", and run in issue order;
 * tensors must stay untouched until their handle completes. Host tensors only.
 */
public final class TcpRingCommunicator implements Communicator {
  private static final Logger log = LoggerFactory.getLogger(TcpRingCommunicator.class);
  private static final long JOIN_MILLIS = 10_000;

  private final int rank;
  private final int worldSize;
  private final Allocator memory;
  private final RingEngine engine;
  private final RingPlanner planner;
  private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private HostBuffer scratch;
  private CommException failure;
  private long nextSeq;
  private volatile boolean closed;

  private record Op(Supplier<RingPlan> plan, CompletableFuture<Void> done) {}

  private static final Op STOP = new Op(null, null);

  private TcpRingCommunicator(RingConfig cfg, RingLinks links) throws IOException {
    this.rank = cfg.rank();
    this.worldSize = cfg.worldSize();
    this.memory = new Allocator("ring-rank" + rank);
    this.engine = new RingEngine(cfg, links, memory);
    this.planner = new RingPlanner(rank, worldSize, cfg.chunkBytes(), this::scratchFloats);
    this.thread = new Thread(this::serve, "sparkspeed-ring-rank" + rank);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Joins the ring in one call, binding the address listed for this rank. Use this when the ports
   * are fixed in advance; otherwise bind first with {@link RingEndpoint#bind} and call {@link
   * #connect(RingEndpoint, RingConfig)}.
   */
  public static TcpRingCommunicator connect(RingConfig cfg) {
    if (cfg.worldSize() == 1) {
      return start(cfg, null);
    }
    HostPort own = HostPort.parse(cfg.addresses().get(cfg.rank()));
    InetAddress host;
    try {
      host = InetAddress.getByName(own.host());
    } catch (UnknownHostException e) {
      throw new CommException("rank " + cfg.rank() + ": cannot resolve own address " + own, e);
    }
    return connect(RingEndpoint.bind(host, own.port()), cfg);
  }

  /**
   * Joins the ring: connects to the right neighbour and accepts the left one, both authenticated,
   * within {@link RingConfig#connectTimeout()}. Takes ownership of {@code endpoint} and closes it
   * once the neighbours are connected.
   *
   * @throws CommException when a neighbour cannot be reached or fails authentication in time
   */
  public static TcpRingCommunicator connect(RingEndpoint endpoint, RingConfig cfg) {
    if (cfg.worldSize() == 1) {
      endpoint.close();
      return start(cfg, null);
    }
    String listed = cfg.addresses().get(cfg.rank());
    if (HostPort.parse(listed).port() != endpoint.port()) {
      endpoint.close();
      throw new IllegalArgumentException(
          "rank "
              + cfg.rank()
              + " listens on "
              + endpoint.address()
              + " but addresses["
              + cfg.rank()
              + "] is "
              + listed
              + "; publish endpoint.address() for this rank");
    }
    return start(cfg, RingLinks.establish(endpoint, cfg));
  }

  private static TcpRingCommunicator start(RingConfig cfg, RingLinks links) {
    try {
      TcpRingCommunicator comm = new TcpRingCommunicator(cfg, links);
      log.info("rank {} of {} joined the ring", cfg.rank(), cfg.worldSize());
      return comm;
    } catch (IOException | RuntimeException e) {
      if (links != null) {
        links.close();
      }
      throw new CommException("rank " + cfg.rank() + ": cannot start the ring: " + e, e);
    }
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int worldSize() {
    return worldSize;
  }

  @Override
  public Handle allReduce(Tensor buf) {
    requireHost(buf, "allReduce buf");
    requireReducible(buf.dtype(), "allReduce");
    return submit(() -> planner.allReduce(nextSeqFor(), buf));
  }

  @Override
  public Handle reduceScatter(Tensor out, Tensor in) {
    requireHost(out, "reduceScatter out");
    requireHost(in, "reduceScatter in");
    requireSameType(out, in, "reduceScatter");
    requireReducible(in.dtype(), "reduceScatter");
    if (in.size() != worldSize * out.size()) {
      throw new IllegalArgumentException(
          "reduceScatter: in holds "
              + in.size()
              + " elements but must hold worldSize "
              + worldSize
              + " × out "
              + out.size()
              + " = "
              + worldSize * out.size());
    }
    if (RingPlanner.overlaps(out, in)
        && !RingPlanner.sameBytes(in, (long) rank * out.size(), out)) {
      throw new IllegalArgumentException(
          "reduceScatter: out "
              + out
              + " overlaps in "
              + in
              + "; it may only be this rank's"
              + " slice of in (elements "
              + (long) rank * out.size()
              + " onward)");
    }
    return submit(() -> planner.reduceScatter(nextSeqFor(), out, in));
  }

  @Override
  public Handle allGather(Tensor out, Tensor in) {
    requireHost(out, "allGather out");
    requireHost(in, "allGather in");
    requireSameType(out, in, "allGather");
    if (out.size() != worldSize * in.size()) {
      throw new IllegalArgumentException(
          "allGather: out holds "
              + out.size()
              + " elements but must hold worldSize "
              + worldSize
              + " × in "
              + in.size()
              + " = "
              + worldSize * in.size());
    }
    if (RingPlanner.overlaps(out, in) && !RingPlanner.sameBytes(out, (long) rank * in.size(), in)) {
      throw new IllegalArgumentException(
          "allGather: in "
              + in
              + " overlaps out "
              + out
              + "; it may only be this rank's slice of"
              + " out (elements "
              + (long) rank * in.size()
              + " onward)");
    }
    return submit(() -> planner.allGather(nextSeqFor(), out, in));
  }

  @Override
  public Handle reduceScatterV(Tensor out, Tensor in, int[] counts) {
    requireHost(out, "reduceScatterV out");
    requireHost(in, "reduceScatterV in");
    requireSameType(out, in, "reduceScatterV");
    requireReducible(in.dtype(), "reduceScatterV");
    requireCounts(counts, in.size(), out.size(), "reduceScatterV", "in", "out");
    if (RingPlanner.overlaps(out, in)) {
      throw new IllegalArgumentException("reduceScatterV: out " + out + " overlaps in " + in);
    }
    int[] c = counts.clone();
    return submit(() -> planner.reduceScatterV(nextSeqFor(), out, in, c));
  }

  @Override
  public Handle allGatherV(Tensor out, Tensor in, int[] counts) {
    requireHost(out, "allGatherV out");
    requireHost(in, "allGatherV in");
    requireSameType(out, in, "allGatherV");
    requireCounts(counts, out.size(), in.size(), "allGatherV", "out", "in");
    int[] c = counts.clone();
    return submit(() -> planner.allGatherV(nextSeqFor(), out, in, c));
  }

  private void requireCounts(
      int[] counts, long whole, long part, String op, String wholeName, String partName) {
    if (counts.length != worldSize) {
      throw new IllegalArgumentException(
          op + ": counts has " + counts.length + " entries for world size " + worldSize);
    }
    long sum = 0;
    for (int c : counts) {
      sum += c;
    }
    if (sum != whole || counts[rank] != part) {
      throw new IllegalArgumentException(
          op
              + ": "
              + wholeName
              + " holds "
              + whole
              + " elements and "
              + partName
              + " "
              + part
              + ", but the counts sum to "
              + sum
              + " with counts["
              + rank
              + "] = "
              + counts[rank]);
    }
  }

  @Override
  public Handle broadcast(Tensor buf, int root) {
    requireHost(buf, "broadcast buf");
    if (root < 0 || root >= worldSize) {
      throw new IllegalArgumentException(
          "broadcast root " + root + " outside [0, " + worldSize + ")");
    }
    return submit(() -> planner.broadcast(nextSeqFor(), buf, root));
  }

  @Override
  public void barrier() {
    submit(() -> planner.barrier(nextSeqFor())).await();
  }

  /** Sequence numbers count calls in issue order; taken on the communication thread. */
  private long nextSeqFor() {
    return nextSeq++;
  }

  private Handle submit(Supplier<RingPlan> plan) {
    if (closed) {
      throw new IllegalStateException("rank " + rank + ": the communicator is closed");
    }
    Op op = new Op(plan, new CompletableFuture<>());
    queue.add(op);
    return () -> awaitOp(op);
  }

  private void awaitOp(Op op) {
    try {
      op.done().get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      // A fresh exception so the stack shows the awaiting caller; the cause keeps the origin.
      throw new CommException(c.getMessage(), c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommException("rank " + rank + ": interrupted while awaiting a collective", e);
    }
  }

  private void serve() {
    try {
      while (true) {
        Op op = queue.take();
        if (op == STOP) {
          break;
        }
        run(op);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      engine.close();
      if (scratch != null) {
        scratch.close();
      }
      CommException gone = new CommException("rank " + rank + ": the communicator is closed");
      for (Op op; (op = queue.poll()) != null; ) {
        if (op != STOP) {
          op.done().completeExceptionally(failure != null ? failure : gone);
        }
      }
    }
  }

  private void run(Op op) {
    if (failure != null) {
      op.done().completeExceptionally(failure);
      return;
    }
    try {
      engine.run(op.plan().get());
      op.done().complete(null);
    } catch (CommException e) {
      failure = e;
      op.done().completeExceptionally(e);
    } catch (RuntimeException | Error e) {
      failure = engine.abort("collective failed locally: " + e, e);
      op.done().completeExceptionally(failure);
      if (e instanceof Error err) {
        throw err;
      }
    }
  }

  private ByteBuffer scratchFloats(int elements) {
    if (scratch == null || scratch.elements() < elements) {
      if (scratch != null) {
        scratch.close();
      }
      scratch = memory.allocate("comm-partials", DType.FP32, elements);
    }
    return scratch.byteBuffer();
  }

  /**
   * Stops the communication thread and closes the sockets. A collective still running is aborted
   * (its handle fails, and the neighbours learn why); queued ones fail. Never throws because a peer
   * is gone.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    engine.requestClose();
    queue.add(STOP);
    try {
      thread.join(JOIN_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      // Its buffers stay allocated rather than be freed under a running thread.
      log.error("rank {}: communication thread did not stop within {} ms", rank, JOIN_MILLIS);
      return;
    }
    memory.close();
  }

  private void requireHost(Tensor t, String what) {
    if (!t.isHost()) {
      throw new IllegalArgumentException(
          what + " " + t + " is device memory; TcpRingCommunicator works on host tensors");
    }
  }

  private static void requireReducible(DType dt, String what) {
    if (dt != DType.FP32 && !dt.isHalf()) {
      throw new IllegalArgumentException(what + " sums FP32, BF16 or FP16 tensors, not " + dt);
    }
  }

  private static void requireSameType(Tensor out, Tensor in, String what) {
    if (out.dtype() != in.dtype()) {
      throw new IllegalArgumentException(
          what + ": out is " + out.dtype() + " but in is " + in.dtype());
    }
  }
}
