package dev.sparkspeed.zero.engine.checkpoint;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Exchanges small byte strings between the ranks of a job (checkpoint file reports, the tag to
 * load, error messages) over the training {@link Communicator}, which moves float tensors only.
 * Bytes are packed four to an FP32 element bit for bit; a gather copies elements and never computes
 * with them, so every pattern (NaN payloads included) arrives unchanged.
 *
 * <p>Every call is a collective: all ranks must call it in the same order.
 */
public final class ByteExchange {
  /** Largest string one rank may send, in bytes. */
  public static final int MAX_BYTES = 64 << 20;

  private ByteExchange() {}

  /**
   * Gathers every rank's bytes on every rank.
   *
   * @return the strings in rank order (this rank's included)
   */
  public static List<byte[]> allGather(Backend be, Communicator comm, byte[] mine) {
    if (mine.length > MAX_BYTES) {
      throw new IllegalArgumentException(
          "cannot exchange " + mine.length + " bytes; at most " + MAX_BYTES + " per rank");
    }
    int world = comm.worldSize();
    int[] lengths = gatherLengths(be, comm, mine.length);
    // One element more than the bytes need, so no rank's part is empty.
    int[] counts = new int[world];
    int total = 0;
    for (int r = 0; r < world; r++) {
      counts[r] = lengths[r] / 4 + 1;
      total = Math.addExact(total, counts[r]);
    }
    try (Allocator host = new Allocator("byte-exchange")) {
      Tensor in = Tensor.whole(host.allocate("exchange", DType.FP32, counts[comm.rank()]));
      Tensor out = Tensor.whole(host.allocate("exchange", DType.FP32, total));
      in.bytes().put(mine);
      Tensor devIn = be.allocate("exchange", DType.FP32, counts[comm.rank()]);
      Tensor devOut = be.allocate("exchange", DType.FP32, total);
      try {
        be.upload(devIn, in);
        comm.allGatherV(devOut, devIn, counts).await();
        be.download(out, devOut);
      } finally {
        be.free(devIn);
        be.free(devOut);
      }
      List<byte[]> result = new ArrayList<>(world);
      ByteBuffer all = out.bytes();
      int at = 0;
      for (int r = 0; r < world; r++) {
        byte[] b = new byte[lengths[r]];
        all.get(at * 4, b);
        result.add(b);
        at += counts[r];
      }
      in.storage().close();
      out.storage().close();
      return result;
    }
  }

  /** Gathers every rank's UTF-8 string. */
  public static List<String> allGatherStrings(Backend be, Communicator comm, String mine) {
    List<String> out = new ArrayList<>();
    for (byte[] b : allGather(be, comm, mine.getBytes(StandardCharsets.UTF_8))) {
      out.add(new String(b, StandardCharsets.UTF_8));
    }
    return out;
  }

  /** Rank 0's string on every rank (the others' arguments are ignored). */
  public static String fromRank0(Backend be, Communicator comm, String rank0s) {
    String sent = comm.rank() == 0 ? rank0s : "";
    return allGatherStrings(be, comm, sent).get(0);
  }

  private static int[] gatherLengths(Backend be, Communicator comm, int length) {
    int world = comm.worldSize();
    try (Allocator host = new Allocator("byte-exchange")) {
      Tensor in = Tensor.whole(host.allocate("lengths", DType.FP32, 1));
      Tensor out = Tensor.whole(host.allocate("lengths", DType.FP32, world));
      in.bytes().order(ByteOrder.LITTLE_ENDIAN).putInt(0, length);
      Tensor devIn = be.allocate("exchange", DType.FP32, 1);
      Tensor devOut = be.allocate("exchange", DType.FP32, world);
      try {
        be.upload(devIn, in);
        comm.allGather(devOut, devIn).await();
        be.download(out, devOut);
      } finally {
        be.free(devIn);
        be.free(devOut);
      }
      int[] lengths = new int[world];
      ByteBuffer b = out.bytes().order(ByteOrder.LITTLE_ENDIAN);
      for (int r = 0; r < world; r++) {
        lengths[r] = b.getInt(r * 4);
        if (lengths[r] < 0 || lengths[r] > MAX_BYTES) {
          throw new IllegalStateException(
              "rank " + r + " announced " + lengths[r] + " bytes to exchange; the ranks disagree");
        }
      }
      in.storage().close();
      out.storage().close();
      return lengths;
    }
  }
}
