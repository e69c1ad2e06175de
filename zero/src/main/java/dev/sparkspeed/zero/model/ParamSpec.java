package dev.sparkspeed.zero.model;

import java.util.Arrays;

/**
 * One parameter in a {@link ParameterTable}: where it lives in the flat buffer and how it is
 * treated.
 *
 * @param name checkpoint name, e.g. "h.3.attn.c_attn.weight"
 * @param shape dimensions, row-major
 * @param offset first element in the flat parameter buffer
 * @param decay whether weight decay applies (false for biases, norm weights, embeddings' pos. table
 *     stays decayed as in GPT-2 training recipes)
 * @param group the gathering unit for ZeRO stage 3 ("embed", "h.0", ..., "head")
 */
public record ParamSpec(String name, int[] shape, long offset, boolean decay, String group) {

  /** Number of elements. */
  public long size() {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  /** One past the last element in the flat buffer. */
  public long end() {
    return offset + size();
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape) + "@" + offset + (decay ? "" : " (no decay)");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParamSpec p
        && p.name.equals(name)
        && Arrays.equals(p.shape, shape)
        && p.offset == offset
        && p.decay == decay
        && p.group.equals(group);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Long.hashCode(offset);
  }
}
