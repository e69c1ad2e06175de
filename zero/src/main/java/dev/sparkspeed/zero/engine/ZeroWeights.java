package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.model.ParamSpec;
import dev.sparkspeed.zero.model.WeightSource;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@link WeightSource} the engine hands to models: parameters from a {@link ParamStore},
 * gradients into a {@link GradStore}, the group after (forward) or before (backward) prefetched.
 */
final class ZeroWeights implements WeightSource {
  private final ParamStore params;
  private final GradStore grads;
  private final GroupRanges groups;
  private final Map<String, Tensor> paramViews = new HashMap<>();
  private final Map<String, Tensor> gradViews = new HashMap<>();
  private final Map<String, Integer> paramRefs = new HashMap<>();

  ZeroWeights(ParamStore params, GradStore grads, GroupRanges groups) {
    this.params = params;
    this.grads = grads;
    this.groups = groups;
  }

  @Override
  public void beginForward(String group) {
    acquire(group);
    params.prefetch(groups.next(group));
  }

  @Override
  public void endForward(String group) {
    release(group);
  }

  @Override
  public void beginBackward(String group) {
    acquire(group);
    gradViews.put(group, grads.open(group));
    params.prefetch(groups.previous(group));
  }

  @Override
  public void endBackward(String group) {
    gradViews.remove(group);
    grads.close(group);
    release(group);
  }

  private void acquire(String group) {
    Tensor t = params.acquire(group);
    paramViews.put(group, t);
    paramRefs.merge(group, 1, Integer::sum);
  }

  private void release(String group) {
    params.release(group);
    if (paramRefs.merge(group, -1, Integer::sum) == 0) {
      paramRefs.remove(group);
      paramViews.remove(group);
    }
  }

  @Override
  public Tensor param(ParamSpec p) {
    return view(paramViews, p, "parameters");
  }

  @Override
  public Tensor grad(ParamSpec p) {
    return view(gradViews, p, "gradients");
  }

  private Tensor view(Map<String, Tensor> m, ParamSpec p, String what) {
    Tensor base = m.get(p.group());
    if (base == null) {
      throw new IllegalStateException(
          what + " of group " + p.group() + " used outside its begin/end (" + p.name() + ")");
    }
    return base.view(p.offset() - groups.from(p.group()), p.shape());
  }
}
