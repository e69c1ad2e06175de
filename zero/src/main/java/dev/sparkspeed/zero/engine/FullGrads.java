package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * Stages 0 and 1: the whole gradient stays on every rank. FP32 gradients are accumulated in place;
 * 16-bit ones through an FP32 work buffer per group. At the end of the step stage 0 all-reduces the
 * gradient in buckets, stage 1 reduce-scatters it so each rank holds the sum of its own shard.
 */
final class FullGrads implements GradStore {
  private final Backend backend;
  private final Communicator comm;
  private final Partition part;
  private final GroupRanges groups;
  private final Tensor full; // (padded) gradient, FP32 or 16-bit
  private final int stage;
  private final long bucket;
  private final HalfOps half;
  private final SlotPool work;
  private final Map<String, Tensor> open = new HashMap<>();

  FullGrads(
      Backend backend,
      Communicator comm,
      Partition part,
      GroupRanges groups,
      DType dtype,
      int stage,
      long bucket,
      HalfOps half) {
    this.backend = backend;
    this.comm = comm;
    this.part = part;
    this.groups = groups;
    this.stage = stage;
    this.bucket = bucket;
    this.half = half;
    this.full = backend.allocate("grads", dtype, Math.toIntExact(part.padded()));
    this.work =
        dtype == DType.FP32
            ? null
            : new SlotPool(backend, "grad_work", DType.FP32, groups.maxSize(), 3);
  }

  @Override
  public void zero() {
    backend.fill(full, 0f);
  }

  @Override
  public Tensor open(String group) {
    int n = Math.toIntExact(groups.size(group));
    if (work == null) {
      return full.view(groups.from(group), n);
    }
    Tensor slot = open.get(group);
    if (slot == null) {
      slot = work.take();
      backend.fill(slot.view(0, n), 0f);
      open.put(group, slot);
    }
    return slot.view(0, n);
  }

  @Override
  public void close(String group) {
    if (work == null) {
      return;
    }
    Tensor slot = open.remove(group);
    int n = Math.toIntExact(groups.size(group));
    half.addInto(full.view(groups.from(group), n), slot.view(0, n));
    work.give(slot);
  }

  @Override
  public void finish() {
    if (part.world() == 1) {
      return;
    }
    if (stage == 0) {
      long n = part.padded();
      Communicator.Handle last = null;
      for (long off = 0; off < n; off += bucket) {
        last = comm.allReduce(full.view(off, (int) Math.min(bucket, n - off)));
      }
      last.await();
    } else {
      // In place: the result lands in this rank's own slice of the gradient.
      comm.reduceScatter(owned(), full).await();
    }
  }

  @Override
  public Tensor owned() {
    if (stage == 0) {
      return full.view(0, Math.toIntExact(part.padded()));
    }
    return full.view(part.start(comm.rank()), Math.toIntExact(part.shardSize()));
  }

  @Override
  public void close() {
    backend.free(full);
    if (work != null) {
      work.close();
    }
  }
}
