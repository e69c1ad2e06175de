package dev.sparkspeed.zero.checkpoint;

/**
 * Marks a saved tensor as one piece of a larger flat (1-D) tensor, such as rank r's shard of the
 * fp32 master weights. Readers can then fetch any element range of the whole by name without
 * knowing how it was sharded (elastic reload to another world size).
 *
 * @param tensor name of the whole flat tensor, e.g. "optimizer.master"
 * @param start index of this piece's first element within the whole
 * @param numel number of elements of the whole
 */
public record PartOf(String tensor, long start, long numel) {
  public PartOf {
    if (tensor == null || tensor.isEmpty()) {
      throw new IllegalArgumentException("part_of needs the whole tensor's name");
    }
    if (start < 0 || numel < 0 || start > numel) {
      throw new IllegalArgumentException(
          "part_of " + tensor + ": start " + start + " outside [0, " + numel + "]");
    }
  }
}
