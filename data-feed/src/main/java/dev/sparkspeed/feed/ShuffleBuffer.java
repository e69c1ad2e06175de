package dev.sparkspeed.feed;

import java.util.ArrayList;
import java.util.List;

/**
 * A bounded, seeded shuffle over a stream: holds up to {@code capacity} items and, once full, hands
 * out a uniformly chosen held item for each new one (the shuffle-buffer scheme of streaming
 * loaders). Memory stays at {@code capacity} items whatever the stream's length, and the output
 * order is a pure function of the input order and the seed.
 *
 * <p>The random generator is SplitMix64, whose whole state is one {@code long} ({@link
 * #rngState()}), so a cursor can record it. Not thread-safe.
 */
public final class ShuffleBuffer<T> {
  private final int capacity;
  private final List<T> held;
  private long state;

  /**
   * @param capacity items held at most; 0 passes items straight through in order
   * @param seed the generator's start state
   */
  public ShuffleBuffer(int capacity, long seed) {
    if (capacity < 0) {
      throw new IllegalArgumentException("shuffle buffer capacity must be >= 0, got " + capacity);
    }
    this.capacity = capacity;
    this.held = new ArrayList<>(Math.min(capacity, 1 << 16));
    this.state = seed;
  }

  /**
   * Adds {@code item}; returns an item to emit, or null while the buffer is still filling. With
   * capacity 0 the item itself comes back.
   */
  public T offer(T item) {
    if (capacity == 0) {
      return item;
    }
    if (held.size() < capacity) {
      held.add(item);
      return null;
    }
    int j = nextIndex(capacity);
    T out = held.get(j);
    held.set(j, item);
    return out;
  }

  /** Removes and returns a uniformly chosen held item, or null when empty (used to drain). */
  public T poll() {
    int n = held.size();
    if (n == 0) {
      return null;
    }
    int j = nextIndex(n);
    T out = held.get(j);
    held.set(j, held.get(n - 1));
    held.remove(n - 1);
    return out;
  }

  /** Items held now. */
  public int size() {
    return held.size();
  }

  /** Drops every held item; the generator state is kept. */
  public void clear() {
    held.clear();
  }

  /** The generator's state: equal states and equal inputs give equal outputs. */
  public long rngState() {
    return state;
  }

  /** SplitMix64 (Steele, Lea, Flood 2014): one add and a finalizer per draw. */
  private long nextLong() {
    state += 0x9E3779B97F4A7C15L;
    return mix(state);
  }

  /** The SplitMix64 finalizer; also used to derive per-epoch seeds. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, bound) without modulo bias (rejection on the top 63 bits). */
  private int nextIndex(int bound) {
    long limit = Long.MAX_VALUE - (Long.MAX_VALUE % bound);
    long r;
    do {
      r = nextLong() >>> 1;
    } while (r >= limit);
    return (int) (r % bound);
  }
}
