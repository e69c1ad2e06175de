package dev.sparkspeed.zero.backend.cuda;

import dev.sparkspeed.zero.comm.CommException;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.comm.Rendezvous;
import dev.sparkspeed.zero.comm.nccl.AsyncInitWaiter;
import dev.sparkspeed.zero.comm.nccl.NcclBootstrap;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Communicator} over NCCL, one GPU per rank. Collectives are queued on the backend's stream,
 * after the kernels that produced their input, and a {@link Communicator.Handle} completes when the
 * stream passes them. The communicator is created non-blocking and every wait polls with a
 * deadline: a dead or stalled peer aborts it ({@code ncclCommAbort}) and surfaces as a {@link
 * CommException} instead of a hang.
 *
 * <p>16-bit reductions are NCCL's own: it adds in FP32 and rounds to 16 bits at each step of the
 * ring, not once at the end.
 */
public final class NcclCommunicator implements Communicator {
  /** The setting to raise when the job is slow rather than broken. */
  public static final String TIMEOUT_SETTING = "sparkspeed.comm.timeout";

  private static final Logger LOG = LoggerFactory.getLogger(NcclCommunicator.class);

  private final CudaBackend backend;
  private final int rank;
  private final int world;
  private final Duration timeout;
  private final ncclComm comm;
  private final AsyncInitWaiter initWaiter = AsyncInitWaiter.systemClock(Duration.ofMillis(5));
  private final AsyncInitWaiter opWaiter =
      new AsyncInitWaiter(System::nanoTime, LockSupport::parkNanos, Duration.ofNanos(20_000));
  private final Tensor barrierScratch;
  private volatile String broken;
  private boolean closed;

  private NcclCommunicator(CudaBackend backend, Rendezvous rendezvous, Duration timeout) {
    this.backend = backend;
    this.rank = rendezvous.rank();
    this.world = rendezvous.worldSize();
    this.timeout = timeout;
    backend.bind();
    NcclBootstrap.Peers peers =
        NcclBootstrap.exchange(rendezvous, backend.uuid(), hostName(), Nccl::uniqueId);
    this.comm = Nccl.initRank(world, peers.uniqueId(), rank);
    String what = "NCCL init (rank " + rank + " of " + world + ", GPU " + backend.uuid() + ")";
    initWaiter.await(what, timeout, TIMEOUT_SETTING, this::commState, this::abort);
    this.barrierScratch = backend.allocate("comm_scratch", DType.FP32, 1);
  }

  /**
   * Joins the job's NCCL communicator: exchanges GPU UUIDs and rank 0's unique id through the
   * rendezvous, checks that no two ranks share a GPU, and initializes within {@code timeout}.
   *
   * @throws CommException when a GPU is shared, a peer is missing, or initialization fails
   */
  public static NcclCommunicator create(
      CudaBackend backend, Rendezvous rendezvous, Duration timeout) {
    return new NcclCommunicator(backend, rendezvous, timeout);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "unknown-host";
    }
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int worldSize() {
    return world;
  }

  @Override
  public Handle allReduce(Tensor buf) {
    long p = ptr(buf);
    return issue(
        "allReduce", () -> Nccl.allReduce(p, p, buf.size(), buf.dtype(), comm, backend.stream()));
  }

  @Override
  public Handle reduceScatter(Tensor out, Tensor in) {
    requireSizes("reduceScatter", in, out);
    long pin = ptr(in);
    long pout = ptr(out);
    return issue(
        "reduceScatter",
        () -> Nccl.reduceScatter(pin, pout, out.size(), out.dtype(), comm, backend.stream()));
  }

  @Override
  public Handle allGather(Tensor out, Tensor in) {
    requireSizes("allGather", out, in);
    long pin = ptr(in);
    long pout = ptr(out);
    return issue(
        "allGather",
        () -> Nccl.allGather(pin, pout, in.size(), in.dtype(), comm, backend.stream()));
  }

  @Override
  public Handle reduceScatterV(Tensor out, Tensor in, int[] counts) {
    long[] starts = starts(counts, in.size(), out.size(), "reduceScatterV");
    long pin = ptr(in);
    long pout = ptr(out);
    int[] c = counts.clone();
    return issue(
        "reduceScatterV",
        () -> Nccl.reduceScatterV(pin, pout, starts, c, rank, in.dtype(), comm, backend.stream()));
  }

  @Override
  public Handle allGatherV(Tensor out, Tensor in, int[] counts) {
    long[] starts = starts(counts, out.size(), in.size(), "allGatherV");
    long pin = ptr(in);
    long pout = ptr(out);
    int[] c = counts.clone();
    return issue(
        "allGatherV",
        () -> Nccl.allGatherV(pin, pout, starts, c, rank, in.dtype(), comm, backend.stream()));
  }

  private long[] starts(int[] counts, long whole, long part, String op) {
    if (counts.length != world) {
      throw new IllegalArgumentException(
          op + ": counts has " + counts.length + " entries for " + world + " ranks");
    }
    long[] st = new long[world];
    long sum = 0;
    for (int j = 0; j < world; j++) {
      st[j] = sum;
      sum += counts[j];
    }
    if (sum != whole || counts[rank] != part) {
      throw new IllegalArgumentException(
          op
              + ": counts sum to "
              + sum
              + " (own "
              + counts[rank]
              + ") but the tensors hold "
              + whole
              + " and "
              + part);
    }
    return st;
  }

  @Override
  public Handle broadcast(Tensor buf, int root) {
    if (root < 0 || root >= world) {
      throw new IllegalArgumentException("broadcast root " + root + " outside 0.." + (world - 1));
    }
    long p = ptr(buf);
    return issue(
        "broadcast",
        () -> Nccl.broadcast(p, buf.size(), buf.dtype(), root, comm, backend.stream()));
  }

  @Override
  public void barrier() {
    allReduce(barrierScratch).await();
  }

  private long ptr(Tensor t) {
    backend.bind();
    Nccl.type(t.dtype());
    return backend.tensors().ptr(t);
  }

  private void requireSizes(String op, Tensor whole, Tensor part) {
    if (whole.dtype() != part.dtype() || whole.size() != (long) world * part.size()) {
      throw new IllegalArgumentException(
          op
              + ": "
              + whole
              + " must hold worldSize "
              + world
              + " × "
              + part
              + " of the same dtype");
    }
  }

  /** Queues one collective and returns a handle that waits for the stream to pass it. */
  private Handle issue(String op, IntSupplier call) {
    requireHealthy();
    String what = "NCCL " + op + " (rank " + rank + " of " + world + ")";
    int rc = call.getAsInt();
    if (rc == Nccl.IN_PROGRESS) {
      // A non-blocking communicator may still be enqueuing; it must settle before the next call.
      opWaiter.await(what + " enqueue", timeout, TIMEOUT_SETTING, this::commState, this::abort);
    } else if (rc != Nccl.SUCCESS) {
      abort();
      throw new CommException(what + " failed: " + Nccl.describe(rc, comm));
    }
    CUevent_st done = Cuda.createEvent(false);
    Cuda.record(done, backend.stream());
    return () -> {
      try {
        // The handle may be awaited on another thread, which needs the device context too.
        backend.bind();
        opWaiter.await(what, timeout, TIMEOUT_SETTING, () -> opState(done), this::abort);
      } finally {
        Cuda.destroyEvent(done);
      }
    };
  }

  private AsyncInitWaiter.Status commState() {
    int s = Nccl.asyncState(comm);
    if (s == Nccl.SUCCESS) {
      return AsyncInitWaiter.Status.DONE;
    }
    if (s == Nccl.IN_PROGRESS) {
      return AsyncInitWaiter.Status.IN_PROGRESS;
    }
    return AsyncInitWaiter.Status.failed(Nccl.describe(s, comm));
  }

  private AsyncInitWaiter.Status opState(CUevent_st done) {
    if (Cuda.isDone(done)) {
      return AsyncInitWaiter.Status.DONE;
    }
    AsyncInitWaiter.Status s = commState();
    return s.state() == AsyncInitWaiter.State.FAILED ? s : AsyncInitWaiter.Status.IN_PROGRESS;
  }

  private void requireHealthy() {
    if (closed) {
      throw new IllegalStateException("NCCL communicator of rank " + rank + " is closed");
    }
    if (broken != null) {
      throw new CommException("NCCL communicator of rank " + rank + " was aborted: " + broken);
    }
  }

  private void abort() {
    if (broken == null) {
      broken = "a collective or the initialization failed or timed out";
      Nccl.abort(comm);
    }
  }

  /** Finalizes (or, after a failure, aborts) the communicator; never throws for a dead peer. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      backend.bind();
      backend.free(barrierScratch);
      if (broken == null) {
        int rc = Nccl.finish(comm);
        if (rc == Nccl.SUCCESS || rc == Nccl.IN_PROGRESS) {
          initWaiter.await(
              "NCCL finalize (rank " + rank + ")",
              timeout,
              TIMEOUT_SETTING,
              this::commState,
              this::abort);
        }
        if (broken == null) {
          Nccl.destroy(comm);
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("rank {}: NCCL communicator closed after an error: {}", rank, e.getMessage());
      abort();
    }
  }
}
