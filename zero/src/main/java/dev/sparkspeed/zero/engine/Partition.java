package dev.sparkspeed.zero.engine;

/**
 * ZeRO's partition arithmetic over a flat space of {@code total} elements and {@code world} ranks.
 * The space is padded to world·shardSize so every rank owns an equal shard; rank r owns
 * [r·shardSize, (r+1)·shardSize), of which elements at or past {@code total} are padding.
 */
public record Partition(long total, int world) {

  public Partition {
    if (world <= 0 || total < 0) {
      throw new IllegalArgumentException("partition of " + total + " over " + world + " ranks");
    }
  }

  /** Elements per rank, padding included: ⌈total / world⌉. */
  public long shardSize() {
    return (total + world - 1) / world;
  }

  /** world · shardSize. */
  public long padded() {
    return shardSize() * world;
  }

  /** First element rank r owns. */
  public long start(int r) {
    return r * shardSize();
  }

  /** One past the last real (non-padding) element rank r owns; ≥ start(r). */
  public long end(int r) {
    return Math.max(start(r), Math.min(total, (r + 1) * shardSize()));
  }

  /** For each rank, how many elements of [from, to) fall in its shard. */
  public int[] counts(long from, long to) {
    int[] c = new int[world];
    for (int r = 0; r < world; r++) {
      long lo = Math.max(from, start(r));
      long hi = Math.min(to, start(r) + shardSize());
      c[r] = (int) Math.max(0, hi - lo);
    }
    return c;
  }
}
