package dev.sparkspeed.zero.comm.nccl;

import dev.sparkspeed.zero.comm.CommException;
import dev.sparkspeed.zero.comm.Rendezvous;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The exchange that precedes {@code ncclCommInitRank}: rank 0 creates the NCCL unique id, and every
 * rank tells every other which GPU (by UUID) and host it is on. One {@link Rendezvous#allGather} on
 * every path, so a rank that fails validation still takes part in the exchange and no peer is left
 * waiting. Free of CUDA: the unique id comes from a supplier.
 */
public final class NcclBootstrap {
  private static final int MAGIC = 0x4e43434c; // "NCCL"

  private NcclBootstrap() {}

  /**
   * What every rank learned from the exchange.
   *
   * @param uniqueId rank 0's NCCL unique id, the same bytes on every rank
   * @param gpuUuids GPU UUID of each rank, by rank
   * @param hosts host name of each rank, by rank
   */
  public record Peers(byte[] uniqueId, String[] gpuUuids, String[] hosts) {}

  /**
   * Runs the exchange.
   *
   * @param rendezvous this rank's handle on the job-wide exchange
   * @param gpuUuid this rank's GPU, e.g. "GPU-6f1c…" as nvidia-smi prints it
   * @param host this rank's host name (for error messages)
   * @param uniqueIdFactory called on rank 0 only: creates the NCCL unique id
   * @throws CommException when two ranks hold the same GPU, a message is malformed, or rank 0 sent
   *     no id
   */
  public static Peers exchange(
      Rendezvous rendezvous, String gpuUuid, String host, Supplier<byte[]> uniqueIdFactory) {
    int rank = rendezvous.rank();
    int world = rendezvous.worldSize();
    byte[] id = rank == 0 ? uniqueIdFactory.get() : new byte[0];
    byte[][] all = rendezvous.allGather(encode(rank, world, gpuUuid, host, id));
    if (all.length != world) {
      throw new CommException(
          "rank "
              + rank
              + ": rendezvous returned "
              + all.length
              + " messages for "
              + world
              + " ranks");
    }
    String[] uuids = new String[world];
    String[] hosts = new String[world];
    byte[] rootId = null;
    for (int r = 0; r < world; r++) {
      Message m = decode(all[r], r, world);
      uuids[r] = m.gpuUuid;
      hosts[r] = m.host;
      if (r == 0) {
        rootId = m.uniqueId;
      }
    }
    checkDistinctGpus(uuids, hosts);
    if (rootId == null || rootId.length == 0) {
      throw new CommException("rank 0 sent no NCCL unique id");
    }
    return new Peers(rootId, uuids, hosts);
  }

  /**
   * Fails naming both ranks and the UUID when two ranks hold the same GPU; a GPU UUID is unique
   * across machines, so equal UUIDs mean one physical device.
   */
  static void checkDistinctGpus(String[] uuids, String[] hosts) {
    Map<String, Integer> owner = new HashMap<>();
    for (int r = 0; r < uuids.length; r++) {
      Integer first = owner.putIfAbsent(uuids[r], r);
      if (first != null) {
        throw new CommException(
            "ranks "
                + first
                + " and "
                + r
                + " both hold GPU "
                + uuids[r]
                + " (hosts "
                + hosts[first]
                + ", "
                + hosts[r]
                + "): give each task its own GPU, e.g. spark.task.resource.gpu.amount=1 with"
                + " spark.executor.resource.gpu.amount equal to the tasks per executor");
      }
    }
  }

  private record Message(int rank, int world, String gpuUuid, String host, byte[] uniqueId) {}

  static byte[] encode(int rank, int world, String gpuUuid, String host, byte[] uniqueId) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(rank);
      out.writeInt(world);
      out.writeUTF(gpuUuid);
      out.writeUTF(host);
      out.writeInt(uniqueId.length);
      out.write(uniqueId);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static Message decode(byte[] message, int expectedRank, int world) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(message))) {
      if (in.readInt() != MAGIC) {
        throw new CommException(
            "rendezvous message from rank " + expectedRank + " is not an NCCL bootstrap message");
      }
      int rank = in.readInt();
      int theirWorld = in.readInt();
      if (rank != expectedRank || theirWorld != world) {
        throw new CommException(
            "rendezvous slot "
                + expectedRank
                + " holds rank "
                + rank
                + " of "
                + theirWorld
                + ", expected rank "
                + expectedRank
                + " of "
                + world);
      }
      String uuid = in.readUTF();
      String host = in.readUTF();
      int n = in.readInt();
      if (n < 0 || n > 4096) {
        throw new CommException("rank " + rank + " sent a unique id of " + n + " bytes");
      }
      byte[] id = in.readNBytes(n);
      if (id.length != n) {
        throw new CommException("rank " + rank + "'s bootstrap message is truncated");
      }
      return new Message(rank, theirWorld, uuid, host, id);
    } catch (IOException e) {
      throw new CommException("rank " + expectedRank + "'s bootstrap message is truncated", e);
    }
  }
}
