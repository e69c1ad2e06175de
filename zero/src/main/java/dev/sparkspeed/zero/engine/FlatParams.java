package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.tensor.Tensor;

/** Parameters kept whole in FP32: a group is a view, nothing is copied. */
final class FlatParams implements ParamStore {
  private final Tensor full;
  private final GroupRanges groups;

  FlatParams(Tensor full, GroupRanges groups) {
    this.full = full;
    this.groups = groups;
  }

  @Override
  public Tensor acquire(String group) {
    return full.view(groups.from(group), Math.toIntExact(groups.size(group)));
  }

  @Override
  public void release(String group) {}

  @Override
  public void prefetch(String group) {}

  @Override
  public void invalidate() {}

  @Override
  public void close() {}
}
