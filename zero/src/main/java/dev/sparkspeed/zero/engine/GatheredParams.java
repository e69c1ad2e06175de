package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * ZeRO stage 3 parameters: each rank holds only its shard; a group's parameters are all-gathered
 * just before use, widened to FP32, and released after. One group ahead is prefetched
 * asynchronously. Groups no larger than the persistence threshold stay gathered until the next
 * optimizer step. Each group moves through {@link State#PARTITIONED} → {@link State#GATHERING} →
 * {@link State#AVAILABLE} and back.
 */
final class GatheredParams implements ParamStore {

  /** Where a group's full values are. */
  enum State {
    PARTITIONED,
    GATHERING,
    AVAILABLE
  }

  private static final int SLOTS = 4;

  private final Backend backend;
  private final Communicator comm;
  private final Partition part;
  private final GroupRanges groups;
  private final Tensor shard;
  private final long persistenceThreshold;
  private final SlotPool gatherSlots;
  private final SlotPool workSlots;
  private final Map<String, Gather> live = new HashMap<>();

  /** A group being gathered or gathered. */
  private static final class Gather {
    State state = State.GATHERING;
    Communicator.Handle handle;
    Tensor raw;
    Tensor work;
    int refs;
  }

  GatheredParams(
      Backend backend,
      Communicator comm,
      Partition part,
      GroupRanges groups,
      Tensor shard,
      long persistenceThreshold) {
    this.backend = backend;
    this.comm = comm;
    this.part = part;
    this.groups = groups;
    this.shard = shard;
    this.persistenceThreshold = persistenceThreshold;
    boolean half = shard.dtype() != DType.FP32;
    this.workSlots = new SlotPool(backend, "param_gather", DType.FP32, groups.maxSize(), SLOTS + 1);
    this.gatherSlots =
        half ? new SlotPool(backend, "param_gather", shard.dtype(), groups.maxSize(), SLOTS) : null;
  }

  /** Current state of a group. */
  State state(String group) {
    Gather g = live.get(group);
    return g == null ? State.PARTITIONED : g.state;
  }

  @Override
  public Tensor acquire(String group) {
    Gather g = live.get(group);
    if (g == null) {
      g = start(group);
    }
    if (g.state == State.GATHERING) {
      g.handle.await();
      if (g.raw != g.work) {
        int n = Math.toIntExact(groups.size(group));
        backend.copy(g.work.view(0, n), g.raw.view(0, n));
        gatherSlots.give(g.raw);
        g.raw = null;
      }
      g.state = State.AVAILABLE;
    }
    g.refs++;
    return g.work.view(0, Math.toIntExact(groups.size(group)));
  }

  private Gather start(String group) {
    long from = groups.from(group);
    long to = groups.to(group);
    int[] counts = part.counts(from, to);
    int r = comm.rank();
    long lo = Math.max(from, part.start(r));
    Tensor mine = shard.view(counts[r] == 0 ? 0 : lo - part.start(r), counts[r]);
    Gather g = new Gather();
    g.work = workSlots.take();
    g.raw = gatherSlots == null ? g.work : gatherSlots.take();
    int n = Math.toIntExact(to - from);
    g.handle = comm.allGatherV(g.raw.view(0, n), mine, counts);
    live.put(group, g);
    return g;
  }

  @Override
  public void release(String group) {
    Gather g = live.get(group);
    g.refs--;
    if (g.refs == 0 && groups.size(group) > persistenceThreshold) {
      drop(group, g);
    }
  }

  private void drop(String group, Gather g) {
    live.remove(group);
    workSlots.give(g.work);
  }

  @Override
  public void prefetch(String group) {
    if (group != null
        && !live.containsKey(group)
        && workSlots.hasFree()
        && (gatherSlots == null || gatherSlots.hasFree())) {
      start(group);
    }
  }

  @Override
  public void invalidate() {
    for (Map.Entry<String, Gather> e : Map.copyOf(live).entrySet()) {
      Gather g = e.getValue();
      if (g.state == State.GATHERING) {
        acquire(e.getKey());
        g.refs--;
      }
      if (g.refs > 0) {
        throw new IllegalStateException("group " + e.getKey() + " still in use at optimizer step");
      }
      drop(e.getKey(), g);
    }
  }

  @Override
  public void close() {
    workSlots.close();
    if (gatherSlots != null) {
      gatherSlots.close();
    }
  }
}
