package dev.sparkspeed.zero.backend.cuda;

import static org.bytedeco.cuda.global.nccl.*;

import dev.sparkspeed.zero.comm.CommException;
import dev.sparkspeed.zero.tensor.DType;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclConfig_t;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/** NCCL calls. Communicators are created non-blocking, so no call here waits for a peer. */
final class Nccl {
  static final int SUCCESS = ncclSuccess;
  static final int IN_PROGRESS = ncclInProgress;

  private Nccl() {}

  /** A fresh unique id (rank 0 creates it; every rank passes it to {@link #initRank}). */
  static byte[] uniqueId() {
    try (ncclUniqueId id = new ncclUniqueId()) {
      check(ncclGetUniqueId(id), "ncclGetUniqueId");
      byte[] bytes = new byte[NCCL_UNIQUE_ID_BYTES];
      id.internal().capacity(bytes.length).get(bytes);
      return bytes;
    }
  }

  /**
   * Starts {@code ncclCommInitRankConfig} with {@code blocking = 0}: it returns at once, and the
   * caller polls {@link #asyncState} until the communicator is ready.
   */
  static ncclComm initRank(int world, byte[] uniqueId, int rank) {
    if (uniqueId.length != NCCL_UNIQUE_ID_BYTES) {
      throw new CommException(
          "NCCL unique id has " + uniqueId.length + " bytes, expected " + NCCL_UNIQUE_ID_BYTES);
    }
    ncclComm comm = new ncclComm();
    try (ncclUniqueId id = new ncclUniqueId();
        ncclConfig_t config = nonBlockingConfig()) {
      for (int i = 0; i < uniqueId.length; i++) {
        id.internal(i, uniqueId[i]);
      }
      int rc = ncclCommInitRankConfig(comm, world, id, rank, config);
      if (rc != SUCCESS && rc != IN_PROGRESS) {
        throw new CommException(
            "ncclCommInitRankConfig (rank "
                + rank
                + " of "
                + world
                + ") failed: "
                + describe(rc, null));
      }
    }
    return comm;
  }

  /** NCCL_CONFIG_INITIALIZER with blocking = 0: every other field left to NCCL's default. */
  private static ncclConfig_t nonBlockingConfig() {
    int undef = Integer.MIN_VALUE; // NCCL_CONFIG_UNDEF_INT
    ncclConfig_t c = new ncclConfig_t();
    c.size(Loader.sizeof(ncclConfig_t.class))
        .magic(NCCL_API_MAGIC)
        .version(NCCL_VERSION_CODE)
        .blocking(0)
        .cgaClusterSize(undef)
        .minCTAs(undef)
        .maxCTAs(undef)
        .netName(null)
        .splitShare(undef)
        .trafficClass(undef)
        .commName(null)
        .collnetEnable(undef)
        .CTAPolicy(undef)
        .shrinkShare(undef)
        .nvlsCTAs(undef)
        .nChannelsPerNetPeer(undef)
        .nvlinkCentricSched(undef)
        .graphUsageMode(undef)
        .numRmaCtx(undef);
    return c;
  }

  /** The communicator's state: SUCCESS, IN_PROGRESS or an error code. */
  static int asyncState(ncclComm comm) {
    int[] state = new int[1];
    int rc = ncclCommGetAsyncError(comm, state);
    return rc != SUCCESS ? rc : state[0];
  }

  static String describe(int rc, ncclComm comm) {
    String text = ncclGetErrorString(rc).getString();
    if (comm != null && !comm.isNull()) {
      BytePointer last = ncclGetLastError(comm);
      if (last != null && !last.isNull() && !last.getString().isBlank()) {
        text += " (" + last.getString() + ")";
      }
    }
    return text + " [" + rc + "]";
  }

  static void abort(ncclComm comm) {
    ncclCommAbort(comm);
  }

  static int finish(ncclComm comm) {
    return ncclCommFinalize(comm);
  }

  static int destroy(ncclComm comm) {
    return ncclCommDestroy(comm);
  }

  static int allReduce(long send, long recv, long count, DType t, ncclComm comm, CUstream_st s) {
    return ncclAllReduce(Cuda.at(send), Cuda.at(recv), count, type(t), ncclSum, comm, s);
  }

  static int reduceScatter(
      long send, long recv, long recvCount, DType t, ncclComm comm, CUstream_st s) {
    return ncclReduceScatter(Cuda.at(send), Cuda.at(recv), recvCount, type(t), ncclSum, comm, s);
  }

  static int allGather(
      long send, long recv, long sendCount, DType t, ncclComm comm, CUstream_st s) {
    return ncclAllGather(Cuda.at(send), Cuda.at(recv), sendCount, type(t), comm, s);
  }

  /**
   * Reduce-scatter with unequal parts: one ncclReduce per rank inside a group, rank j's part
   * (counts[j] elements at offset starts[j] of send) summed into recv on rank j.
   */
  static int reduceScatterV(
      long send,
      long recv,
      long[] starts,
      int[] counts,
      int rank,
      DType t,
      ncclComm comm,
      CUstream_st s) {
    int eb = t.bytes();
    int rc = ncclGroupStart();
    for (int j = 0; j < counts.length && rc == SUCCESS; j++) {
      if (counts[j] > 0) {
        long dst = j == rank ? recv : send + starts[j] * eb;
        rc =
            ncclReduce(
                Cuda.at(send + starts[j] * eb),
                Cuda.at(dst),
                counts[j],
                type(t),
                ncclSum,
                j,
                comm,
                s);
      }
    }
    int end = ncclGroupEnd();
    return rc != SUCCESS ? rc : end;
  }

  /** All-gather with unequal parts: one ncclBroadcast per rank inside a group. */
  static int allGatherV(
      long send,
      long recv,
      long[] starts,
      int[] counts,
      int rank,
      DType t,
      ncclComm comm,
      CUstream_st s) {
    int eb = t.bytes();
    int rc = ncclGroupStart();
    for (int j = 0; j < counts.length && rc == SUCCESS; j++) {
      if (counts[j] > 0) {
        long src = j == rank ? send : recv + starts[j] * eb;
        rc =
            ncclBroadcast(
                Cuda.at(src), Cuda.at(recv + starts[j] * eb), counts[j], type(t), j, comm, s);
      }
    }
    int end = ncclGroupEnd();
    return rc != SUCCESS ? rc : end;
  }

  static int broadcast(long buf, long count, DType t, int root, ncclComm comm, CUstream_st s) {
    return ncclBroadcast(Cuda.at(buf), Cuda.at(buf), count, type(t), root, comm, s);
  }

  static int type(DType t) {
    return switch (t) {
      case FP32 -> ncclFloat32;
      case BF16 -> ncclBfloat16;
      case FP16 -> ncclFloat16;
      case INT32 -> throw new IllegalArgumentException("collectives on INT32 are not supported");
    };
  }

  private static void check(int rc, String call) {
    if (rc != SUCCESS) {
      throw new CommException(call + " failed: " + describe(rc, null));
    }
  }
}
