package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;

/**
 * Parameters kept whole in 16 bits with a whole FP32 working copy, widened in one pass the first
 * time any group is used after the parameters changed. The choice of a device backend ({@link
 * Backend#prefersWholeFp32Copies}): Ψ·4 bytes more memory for one large copy per step instead of
 * one per group and pass.
 */
final class ShadowParams implements ParamStore {
  private final Backend backend;
  private final Tensor full16;
  private final GroupRanges groups;
  private final Tensor shadow;
  private boolean stale = true;

  ShadowParams(Backend backend, Tensor full16, GroupRanges groups) {
    this.backend = backend;
    this.full16 = full16;
    this.groups = groups;
    this.shadow = backend.allocate("param_work", DType.FP32, Math.toIntExact(full16.size()));
  }

  @Override
  public Tensor acquire(String group) {
    if (stale) {
      backend.copy(shadow, full16);
      // The 16-bit parameters are the shadow's values rounded: GEMMs may read them directly.
      backend.keepHalfCopy(shadow, full16);
      stale = false;
    }
    return shadow.view(groups.from(group), Math.toIntExact(groups.size(group)));
  }

  @Override
  public void release(String group) {}

  @Override
  public void prefetch(String group) {}

  @Override
  public void invalidate() {
    if (!stale) {
      backend.releaseHalfCopy(shadow);
    }
    stale = true;
  }

  @Override
  public void close() {
    invalidate();
    backend.free(shadow);
  }
}
