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
  static final int WIDE_ROW = 1 << 20;
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

  /**
   * The shape the slab is allocated with: one dimension while it fits an int, else rows of {@link
   * #WIDE_ROW} elements (GPT-2 124M at B=8, T=1024 needs about 3.6·10⁹ activation floats).
   */
  static int[] flatShape(long elements) {
    if (elements <= Integer.MAX_VALUE) {
      return new int[] {(int) elements};
    }
    return new int[] {Math.toIntExact((elements + WIDE_ROW - 1) / WIDE_ROW), WIDE_ROW};
  }

  /** Allocates the flat buffer and returns all views in reservation order. */
  Tensor[] allocate() {
    flat = backend.allocate(purpose, DType.FP32, flatShape(total));
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
