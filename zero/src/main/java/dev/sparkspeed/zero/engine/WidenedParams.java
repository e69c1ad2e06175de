package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * Parameters kept whole in 16 bits; a group is widened into an FP32 work buffer while in use, so
 * the CPU computes on exactly the 16-bit values without holding an FP32 copy of the model.
 */
final class WidenedParams implements ParamStore {
  private final Backend backend;
  private final Tensor full16;
  private final GroupRanges groups;
  private final SlotPool slots;
  private final Map<String, Tensor> slotOf = new HashMap<>();
  private final Map<String, Integer> refs = new HashMap<>();

  WidenedParams(Backend backend, Tensor full16, GroupRanges groups) {
    this.backend = backend;
    this.full16 = full16;
    this.groups = groups;
    this.slots = new SlotPool(backend, "param_work", DType.FP32, groups.maxSize(), 4);
  }

  @Override
  public Tensor acquire(String group) {
    int n = Math.toIntExact(groups.size(group));
    Tensor slot = slotOf.get(group);
    if (slot == null) {
      slot = slots.take();
      backend.copy(slot.view(0, n), full16.view(groups.from(group), n));
      slotOf.put(group, slot);
    }
    refs.merge(group, 1, Integer::sum);
    return slot.view(0, n);
  }

  @Override
  public void release(String group) {
    if (refs.merge(group, -1, Integer::sum) == 0) {
      refs.remove(group);
      slots.give(slotOf.remove(group));
    }
  }

  @Override
  public void prefetch(String group) {}

  @Override
  public void invalidate() {}

  @Override
  public void close() {
    slots.close();
  }
}
