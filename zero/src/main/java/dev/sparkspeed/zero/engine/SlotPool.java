package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayDeque;

/**
 * A fixed set of equal work buffers allocated once, so gathering parameters and bucketing gradients
 * allocate nothing per step. Running out is a programming error, reported as such.
 */
final class SlotPool implements AutoCloseable {
  private final Backend backend;
  private final String purpose;
  private final Tensor[] all;
  private final ArrayDeque<Tensor> free = new ArrayDeque<>();

  SlotPool(Backend backend, String purpose, DType dtype, long slotElements, int count) {
    this.backend = backend;
    this.purpose = purpose;
    this.all = new Tensor[count];
    for (int i = 0; i < count; i++) {
      all[i] = backend.allocate(purpose, dtype, Math.toIntExact(Math.max(1, slotElements)));
      free.add(all[i]);
    }
  }

  boolean hasFree() {
    return !free.isEmpty();
  }

  Tensor take() {
    Tensor t = free.poll();
    if (t == null) {
      throw new IllegalStateException(
          "all " + all.length + " '" + purpose + "' buffers are in use");
    }
    return t;
  }

  void give(Tensor t) {
    free.add(t);
  }

  @Override
  public void close() {
    for (Tensor t : all) {
      backend.free(t);
    }
  }
}
