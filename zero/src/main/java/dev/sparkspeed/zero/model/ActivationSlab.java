package dev.sparkspeed.zero.model;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * One backend allocation carved into named activation views, so a model allocates its activations
 * once and a training step allocates nothing.
 */
final class ActivationSlab implements AutoCloseable {
  private final List<int[]> shapes = new ArrayList<>();
  private final Backend backend;
  private final String purpose;
  private Tensor flat;
  private long total;

  ActivationSlab(Backend backend, String purpose) {
    this.backend = backend;
    this.purpose = purpose;
  }

  /** Reserves a view; returns its index for {@link #get} after {@link #allocate}. */
  int reserve(int... shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    total += n;
    shapes.add(shape);
    return shapes.size() - 1;
  }

  /** Allocates the flat buffer and returns all views in reservation order. */
  Tensor[] allocate() {
    flat = backend.allocate(purpose, DType.FP32, Math.toIntExact(total));
    Tensor[] views = new Tensor[shapes.size()];
    long off = 0;
    for (int i = 0; i < views.length; i++) {
      views[i] = flat.view(off, shapes.get(i));
      off += views[i].size();
    }
    return views;
  }

  /** The whole slab (for zeroing). */
  Tensor flat() {
    return flat;
  }

  @Override
  public void close() {
    if (flat != null) {
      backend.free(flat);
      flat = null;
    }
  }
}
