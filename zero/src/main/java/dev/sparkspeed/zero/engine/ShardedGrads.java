package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Stages 2 and 3: each rank keeps only its shard of the gradient. A group's gradients are computed
 * into an FP32 work buffer, then reduce-scattered in buckets of at most reduce_bucket_size
 * elements; with overlap_comm the reduction runs while backward continues and is collected when a
 * work buffer is needed again. Gradient memory outside the own shard is only these few work
 * buffers.
 */
final class ShardedGrads implements GradStore {
  private static final int WORK_SLOTS = 3;

  private final Backend backend;
  private final Communicator comm;
  private final Partition part;
  private final GroupRanges groups;
  private final Tensor shard; // (shardSize) FP32 or 16-bit
  private final long bucket;
  private final boolean overlap;
  private final HalfOps half;
  private final SlotPool work;
  private final SlotPool recv;
  private final Map<String, Tensor> open = new HashMap<>();
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();

  /** Reductions in flight for one group. */
  private record Pending(
      Tensor workSlot, Tensor recvSlot, Communicator.Handle last, long ownFrom, int ownLen) {}

  ShardedGrads(
      Backend backend,
      Communicator comm,
      Partition part,
      GroupRanges groups,
      DType dtype,
      long bucket,
      boolean overlap,
      HalfOps half) {
    this.backend = backend;
    this.comm = comm;
    this.part = part;
    this.groups = groups;
    this.bucket = bucket;
    this.overlap = overlap;
    this.half = half;
    this.shard = backend.allocate("grads", dtype, Math.toIntExact(part.shardSize()));
    this.work = new SlotPool(backend, "grad_bucket", DType.FP32, groups.maxSize(), WORK_SLOTS);
    long recvSize = Math.min(groups.maxSize(), part.shardSize());
    this.recv = new SlotPool(backend, "grad_bucket", DType.FP32, recvSize, WORK_SLOTS);
  }

  @Override
  public void zero() {
    backend.fill(shard, 0f);
  }

  @Override
  public Tensor open(String group) {
    int n = Math.toIntExact(groups.size(group));
    Tensor slot = open.get(group);
    if (slot == null) {
      while (!work.hasFree()) {
        drainOne();
      }
      slot = work.take();
      backend.fill(slot.view(0, n), 0f);
      open.put(group, slot);
    }
    return slot.view(0, n);
  }

  @Override
  public void close(String group) {
    Tensor slot = open.remove(group);
    long from = groups.from(group);
    long to = groups.to(group);
    int r = comm.rank();
    long ownFrom = Math.max(from, part.start(r));
    int ownLen = part.counts(from, to)[r];
    Tensor recvSlot = recv.take();
    Communicator.Handle last = null;
    for (long c = from; c < to; c += bucket) {
      long ce = Math.min(to, c + bucket);
      int[] counts = part.counts(c, ce);
      long mineFrom = Math.max(c, part.start(r));
      Tensor out = recvSlot.view(counts[r] == 0 ? 0 : mineFrom - ownFrom, counts[r]);
      last = comm.reduceScatterV(out, slot.view(c - from, (int) (ce - c)), counts);
    }
    pending.add(new Pending(slot, recvSlot, last, ownFrom, ownLen));
    if (!overlap) {
      drainOne();
    }
  }

  private void drainOne() {
    Pending p = pending.poll();
    if (p == null) {
      throw new IllegalStateException("no gradient buffer free and no reduction in flight");
    }
    if (p.last != null) {
      p.last.await();
    }
    if (p.ownLen > 0) {
      long at = p.ownFrom - part.start(comm.rank());
      half.addInto(shard.view(at, p.ownLen), p.recvSlot.view(0, p.ownLen));
    }
    work.give(p.workSlot);
    recv.give(p.recvSlot);
  }

  @Override
  public void finish() {
    while (!pending.isEmpty()) {
      drainOne();
    }
  }

  @Override
  public Tensor owned() {
    return shard;
  }

  @Override
  public void close() {
    backend.free(shard);
    work.close();
    recv.close();
  }
}
