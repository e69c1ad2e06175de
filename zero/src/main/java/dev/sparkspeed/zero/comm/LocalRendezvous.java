package dev.sparkspeed.zero.comm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link Rendezvous} for ranks that are threads of one process (one thread per GPU on a multi-GPU
 * machine, or tests). A rank that does not arrive within the timeout breaks the exchange for
 * everyone, and each waiting rank throws a {@link CommException} naming the ranks that never
 * arrived.
 */
public final class LocalRendezvous {
  private final int worldSize;
  private final Duration timeout;
  private final byte[][] slots;
  private final boolean[] arrived;
  private final CyclicBarrier filled;
  private final CyclicBarrier drained;

  private LocalRendezvous(int worldSize, Duration timeout) {
    if (worldSize < 1) {
      throw new IllegalArgumentException("world size " + worldSize + " must be at least 1");
    }
    this.worldSize = worldSize;
    this.timeout = timeout;
    this.slots = new byte[worldSize][];
    this.arrived = new boolean[worldSize];
    this.filled = new CyclicBarrier(worldSize);
    this.drained = new CyclicBarrier(worldSize, this::resetRound);
  }

  /** One rendezvous per rank of a group of {@code worldSize} threads; element r is rank r's. */
  public static List<Rendezvous> group(int worldSize, Duration timeout) {
    LocalRendezvous shared = new LocalRendezvous(worldSize, timeout);
    List<Rendezvous> out = new ArrayList<>(worldSize);
    for (int r = 0; r < worldSize; r++) {
      out.add(shared.member(r));
    }
    return out;
  }

  private Rendezvous member(int rank) {
    return new Rendezvous() {
      @Override
      public int rank() {
        return rank;
      }

      @Override
      public int worldSize() {
        return worldSize;
      }

      @Override
      public byte[][] allGather(byte[] mine) {
        return exchange(rank, mine);
      }
    };
  }

  private byte[][] exchange(int rank, byte[] mine) {
    synchronized (slots) {
      slots[rank] = mine.clone();
      arrived[rank] = true;
    }
    // Two barriers per round: the second keeps a fast rank's next message from overwriting a slot
    // a slow rank has not read yet.
    await(filled, rank);
    byte[][] all;
    synchronized (slots) {
      all = new byte[worldSize][];
      for (int r = 0; r < worldSize; r++) {
        all[r] = slots[r].clone();
      }
    }
    await(drained, rank);
    return all;
  }

  private void resetRound() {
    synchronized (slots) {
      java.util.Arrays.fill(arrived, false);
    }
  }

  private void await(CyclicBarrier barrier, int rank) {
    try {
      barrier.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | BrokenBarrierException e) {
      throw new CommException(
          "rank "
              + rank
              + ": rendezvous of "
              + worldSize
              + " ranks did not complete within "
              + timeout.toMillis()
              + " ms; ranks that had not arrived: "
              + missing(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommException("rank " + rank + ": interrupted during rendezvous", e);
    }
  }

  private List<Integer> missing() {
    List<Integer> out = new ArrayList<>();
    synchronized (slots) {
      for (int r = 0; r < worldSize; r++) {
        if (!arrived[r]) {
          out.add(r);
        }
      }
    }
    return out;
  }
}
