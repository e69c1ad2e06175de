package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.model.ParamSpec;
import dev.sparkspeed.zero.model.ParameterTable;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The optimizer over this rank's range [from, to) of the flat parameters: FP32 master values and
 * optimizer moments for that range only. Weight decay follows the parameter table: the range is cut
 * into segments of equal decay and each segment is updated with its own coefficient.
 */
final class ShardedOptimizer implements AutoCloseable {
  private final Backend backend;
  private final OptimizerSpec spec;
  private final Tensor master; // (to − from) FP32
  private final Tensor m;
  private final Tensor v;
  private final List<long[]> segments = new ArrayList<>(); // {relOffset, length, decay 0/1}
  private final HalfOps half;
  private final boolean ownsMaster;

  /**
   * @param master FP32 master values of the range, or null to allocate one ("master")
   */
  ShardedOptimizer(
      Backend backend,
      OptimizerSpec spec,
      ParameterTable table,
      long from,
      long to,
      Tensor master,
      HalfOps half) {
    this.backend = backend;
    this.spec = spec;
    this.half = half;
    int n = Math.toIntExact(Math.max(1, to - from));
    this.ownsMaster = master == null;
    this.master = master != null ? master : backend.allocate("master", DType.FP32, n);
    int states = spec.stateCount();
    this.m = states >= 1 ? backend.allocate("adam_m", DType.FP32, n) : null;
    this.v = states >= 2 ? backend.allocate("adam_v", DType.FP32, n) : null;
    for (ParamSpec p : table.params()) {
      long lo = Math.max(from, p.offset());
      long hi = Math.min(to, p.end());
      if (lo >= hi) {
        continue;
      }
      long[] last = segments.isEmpty() ? null : segments.get(segments.size() - 1);
      long decay = p.decay() ? 1 : 0;
      if (last != null && last[2] == decay && last[0] + last[1] == lo - from) {
        last[1] += hi - lo;
      } else {
        segments.add(new long[] {lo - from, hi - lo, decay});
      }
    }
  }

  /** FP32 master values of the range. */
  Tensor master() {
    return master;
  }

  /** Optimizer moments (m, v), or nulls. */
  Tensor[] moments() {
    return new Tensor[] {m, v};
  }

  /**
   * Updates the range from its gradients.
   *
   * @param grads FP32 or 16-bit gradients aligned with the range
   * @param gradScale multiplies the gradients first (unscaling, averaging, clipping)
   * @param step 1-based count of applied optimizer steps
   */
  void step(Tensor grads, double lr, double gradScale, int step) {
    for (long[] s : segments) {
      double wd = s[2] == 1 ? spec.weightDecay() : 0.0;
      // FP32 gradients are used in place, so a whole segment is one update; 16-bit ones are
      // widened chunk by chunk through the scratch.
      long chunk = grads.dtype() == DType.FP32 ? s[1] : HalfOps.CHUNK;
      for (long off = s[0]; off < s[0] + s[1]; off += chunk) {
        int len = Math.toIntExact(Math.min(chunk, s[0] + s[1] - off));
        Tensor g = half.widen(grads, off, len);
        update(master.view(off, len), g, off, len, lr, wd, gradScale, step);
      }
    }
  }

  /**
   * Whether {@link #stepAndClear} can serve these gradients: FP32 ones under AdamW, whose update
   * reads each gradient once.
   */
  boolean clearsInStep(DType gradType) {
    return gradType == DType.FP32
        && (spec.type() == OptimizerSpec.Type.ADAMW || spec.type() == OptimizerSpec.Type.ADAM)
        && spec.adamWMode();
  }

  /**
   * {@link #step} in the same pass that sets the range's gradients to 0 and sums their squares
   * (before gradScale), for steps whose gradient scale does not depend on the norm. Only where
   * {@link #clearsInStep} holds.
   *
   * @return Σ grad² over the range, as the gradients were read
   */
  double stepAndClear(Tensor grads, double lr, double gradScale, int step) {
    if (!clearsInStep(grads.dtype())) {
      throw new IllegalStateException(
          "the fused optimizer pass needs FP32 gradients and AdamW, not "
              + grads.dtype()
              + " and "
              + spec.type());
    }
    double sumsq = 0;
    for (long[] s : segments) {
      int off = Math.toIntExact(s[0]);
      int len = Math.toIntExact(s[1]);
      sumsq +=
          backend.adamWAndClear(
              master.view(off, len),
              grads.view(off, len),
              m.view(off, len),
              v.view(off, len),
              (float) lr,
              (float) spec.beta1(),
              (float) spec.beta2(),
              (float) spec.eps(),
              (float) (s[2] == 1 ? spec.weightDecay() : 0.0),
              (float) gradScale,
              step);
    }
    return sumsq;
  }

  private void update(
      Tensor p, Tensor g, long off, int len, double lr, double wd, double gradScale, int step) {
    switch (spec.type()) {
      case ADAMW, ADAM -> {
        if (spec.adamWMode()) {
          backend.adamW(
              p,
              g,
              m.view(off, len),
              v.view(off, len),
              (float) lr,
              (float) spec.beta1(),
              (float) spec.beta2(),
              (float) spec.eps(),
              (float) wd,
              (float) gradScale,
              step);
        } else {
          scaleGrad(g, gradScale);
          if (wd != 0) {
            backend.axpy(g, (float) wd, p);
          }
          backend.adamW(
              p,
              g,
              m.view(off, len),
              v.view(off, len),
              (float) lr,
              (float) spec.beta1(),
              (float) spec.beta2(),
              (float) spec.eps(),
              0f,
              1f,
              step);
        }
      }
      case SGD -> {
        scaleGrad(g, gradScale);
        if (wd != 0) {
          backend.axpy(g, (float) wd, p);
        }
        if (m == null) {
          backend.axpy(p, (float) -lr, g);
        } else {
          Tensor buf = m.view(off, len);
          if (step == 1) {
            backend.copy(buf, g);
          } else {
            backend.scale(buf, (float) spec.momentum());
            backend.axpy(buf, 1f, g);
          }
          backend.axpy(p, (float) -lr, buf);
        }
      }
    }
  }

  private void scaleGrad(Tensor g, double gradScale) {
    if (gradScale != 1.0) {
      backend.scale(g, (float) gradScale);
    }
  }

  @Override
  public void close() {
    if (ownsMaster) {
      backend.free(master);
    }
    if (m != null) {
      backend.free(m);
    }
    if (v != null) {
      backend.free(v);
    }
  }
}
