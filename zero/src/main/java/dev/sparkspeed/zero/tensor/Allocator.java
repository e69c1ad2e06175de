package dev.sparkspeed.zero.tensor;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out off-heap host buffers and counts the bytes live per purpose ("params", "grads",
 * "adam_m", "activations", ...). Closing it with buffers still open fails with the list of what
 * leaked, so a test that forgets a buffer fails loudly. Thread-safe.
 */
public final class Allocator implements AutoCloseable {
  private final String name;
  private final long limitBytes;
  private final Map<String, AtomicLong> liveByPurpose = new ConcurrentHashMap<>();
  private final AtomicLong live = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();
  private final AtomicLong allocations = new AtomicLong();
  private final Map<HostBuffer, Boolean> open = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** An allocator without a byte limit. */
  public Allocator(String name) {
    this(name, Long.MAX_VALUE);
  }

  /**
   * @param name shown in leak and limit messages
   * @param limitBytes live bytes above which {@link #allocate} fails
   */
  public Allocator(String name, long limitBytes) {
    this.name = name;
    this.limitBytes = limitBytes;
  }

  /** A zero-filled buffer of {@code elements} values of {@code dtype}, counted under purpose. */
  public HostBuffer allocate(String purpose, DType dtype, long elements) {
    if (closed) {
      throw new IllegalStateException("allocator '" + name + "' is closed");
    }
    long bytes = Math.multiplyExact(elements, (long) dtype.bytes());
    if (bytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          purpose
              + ": "
              + bytes
              + " bytes exceed one host buffer's 2 GiB limit; shard it (raise the ZeRO stage or"
              + " world size)");
    }
    long now = live.addAndGet(bytes);
    if (now > limitBytes) {
      live.addAndGet(-bytes);
      throw new OutOfMemoryError(
          "allocator '"
              + name
              + "' limit "
              + limitBytes
              + " bytes exceeded by "
              + purpose
              + " ("
              + bytes
              + " bytes, "
              + (now - bytes)
              + " already live)");
    }
    peak.accumulateAndGet(now, Math::max);
    allocations.incrementAndGet();
    liveByPurpose.computeIfAbsent(purpose, p -> new AtomicLong()).addAndGet(bytes);
    HostBuffer buffer = new HostBuffer(this, purpose, dtype, elements);
    open.put(buffer, Boolean.TRUE);
    return buffer;
  }

  void release(HostBuffer buffer) {
    if (open.remove(buffer) != null) {
      live.addAndGet(-buffer.bytes());
      liveByPurpose.get(buffer.purpose()).addAndGet(-buffer.bytes());
    }
  }

  /** Bytes live now. */
  public long liveBytes() {
    return live.get();
  }

  /** Bytes live now under one purpose. */
  public long liveBytes(String purpose) {
    AtomicLong n = liveByPurpose.get(purpose);
    return n == null ? 0 : n.get();
  }

  /** The most bytes live at once so far. */
  public long peakBytes() {
    return peak.get();
  }

  /** Number of allocations made so far (a training step after the first should add none). */
  public long allocationCount() {
    return allocations.get();
  }

  /** Live bytes per purpose, sorted by purpose. */
  public Map<String, Long> liveByPurpose() {
    Map<String, Long> out = new TreeMap<>();
    liveByPurpose.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /**
   * Closes the allocator. Fails with {@link LeakException} naming each purpose that still holds
   * bytes; the leaked buffers are freed anyway so the process does not keep them.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!open.isEmpty()) {
      Map<String, Long> leaked = new TreeMap<>();
      for (HostBuffer b : open.keySet()) {
        leaked.merge(b.purpose(), b.bytes(), Long::sum);
      }
      long total = live.get();
      for (HostBuffer b : open.keySet().toArray(new HostBuffer[0])) {
        b.close();
      }
      throw new LeakException(
          "allocator '" + name + "' closed with " + total + " bytes still live: " + leaked);
    }
  }

  /** Thrown at close when buffers were not closed. */
  public static final class LeakException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** A leak report; used by every allocator that counts bytes per purpose. */
    public LeakException(String message) {
      super(message);
    }
  }
}
