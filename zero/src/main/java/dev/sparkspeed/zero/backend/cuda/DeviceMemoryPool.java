package dev.sparkspeed.zero.backend.cuda;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching allocator for device memory, in the spirit of PyTorch's: freed blocks go onto a free
 * list per size class and are handed out again without a driver call (cuMemAlloc and cuMemFree
 * synchronize the device). Sizes round up to quarter steps between powers of two (at most 25%
 * waste). Bytes are counted per purpose; closing with blocks still live reports what leaked.
 * Thread-safe.
 */
final class DeviceMemoryPool implements AutoCloseable {
  /** Smallest block: also the alignment every block keeps (the driver gives 256 or more). */
  static final long MIN_BLOCK = 512;

  /** Where blocks come from: the driver on a GPU, host memory in tests. */
  interface RawMemory {
    /** A block of {@code bytes}, or 0 when the device is out of memory. */
    long allocate(long bytes);

    /** Returns a block obtained from {@link #allocate}. */
    void release(long address);
  }

  private final String name;
  private final RawMemory raw;
  private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
  private final Map<DeviceBuffer, Boolean> live = new IdentityHashMap<>();
  private final Map<String, Long> liveByPurpose = new HashMap<>();
  private long liveBytes;
  private long cachedBytes;
  private long reservedBytes;
  private long peakReserved;
  private long allocations;
  private long driverAllocations;
  private boolean closed;

  DeviceMemoryPool(String name, RawMemory raw) {
    this.name = name;
    this.raw = raw;
  }

  /** The block size serving a request of {@code bytes}. */
  static long sizeClass(long bytes) {
    if (bytes <= MIN_BLOCK) {
      return MIN_BLOCK;
    }
    long base = Long.highestOneBit(bytes - 1);
    long step = base / 4;
    return ((bytes + step - 1) / step) * step;
  }

  /** A buffer of {@code elements} values of {@code dtype}, counted under {@code purpose}. */
  synchronized DeviceBuffer allocate(String purpose, DType dtype, long elements) {
    if (closed) {
      throw new IllegalStateException("device memory pool '" + name + "' is closed");
    }
    if (elements < 0) {
      throw new IllegalArgumentException(purpose + ": negative element count " + elements);
    }
    long bytes = Math.multiplyExact(elements, (long) dtype.bytes());
    long block = sizeClass(bytes);
    long address = takeCached(block);
    if (address == 0) {
      address = raw.allocate(block);
      if (address == 0) {
        // Cached blocks of other sizes may be what stands in the way: give them back and retry.
        releaseCached();
        address = raw.allocate(block);
      }
      if (address == 0) {
        throw new OutOfMemoryError(
            "CUDA device out of memory allocating "
                + block
                + " bytes for "
                + purpose
                + " in '"
                + name
                + "'; live bytes per purpose: "
                + new TreeMap<>(liveByPurpose)
                + ". Lower train_micro_batch_size_per_gpu or raise the ZeRO stage");
      }
      driverAllocations++;
      reservedBytes += block;
      peakReserved = Math.max(peakReserved, reservedBytes);
    }
    allocations++;
    DeviceBuffer b = new DeviceBuffer(this, purpose, dtype, elements, address, block);
    live.put(b, Boolean.TRUE);
    liveBytes += bytes;
    liveByPurpose.merge(purpose, bytes, Long::sum);
    return b;
  }

  private long takeCached(long block) {
    ArrayDeque<Long> list = free.get(block);
    if (list == null || list.isEmpty()) {
      return 0;
    }
    cachedBytes -= block;
    return list.pop();
  }

  /** Returns a buffer's block to its free list; a second call is a no-op. */
  synchronized void release(DeviceBuffer b) {
    if (live.remove(b) == null) {
      return;
    }
    long address = b.detach();
    liveBytes -= b.bytes();
    liveByPurpose.merge(b.purpose(), -b.bytes(), Long::sum);
    if (closed) {
      raw.release(address);
      reservedBytes -= b.blockBytes();
      return;
    }
    free.computeIfAbsent(b.blockBytes(), k -> new ArrayDeque<>()).push(address);
    cachedBytes += b.blockBytes();
  }

  /** Gives every cached (free) block back to the driver. */
  synchronized void releaseCached() {
    for (Map.Entry<Long, ArrayDeque<Long>> e : free.entrySet()) {
      for (long address : e.getValue()) {
        raw.release(address);
        reservedBytes -= e.getKey();
      }
    }
    free.clear();
    cachedBytes = 0;
  }

  /** Bytes requested by live buffers. */
  synchronized long liveBytes() {
    return liveBytes;
  }

  /** Bytes requested by live buffers of one purpose. */
  synchronized long liveBytes(String purpose) {
    return liveByPurpose.getOrDefault(purpose, 0L);
  }

  /** Live bytes per purpose, sorted by purpose, purposes with nothing live left out. */
  synchronized Map<String, Long> liveByPurpose() {
    Map<String, Long> out = new TreeMap<>();
    liveByPurpose.forEach(
        (k, v) -> {
          if (v != 0) {
            out.put(k, v);
          }
        });
    return out;
  }

  /** Bytes held from the driver: live blocks plus cached ones. */
  synchronized long reservedBytes() {
    return reservedBytes;
  }

  /** Bytes in free lists. */
  synchronized long cachedBytes() {
    return cachedBytes;
  }

  /** Most bytes ever held from the driver at once. */
  synchronized long peakReservedBytes() {
    return peakReserved;
  }

  /** Allocations served, cached or not. */
  synchronized long allocationCount() {
    return allocations;
  }

  /** Allocations that reached the driver. */
  synchronized long driverAllocationCount() {
    return driverAllocations;
  }

  /**
   * Frees everything. Fails with {@link Allocator.LeakException} naming each purpose that still
   * holds bytes; the leaked blocks are freed anyway.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    releaseCached();
    closed = true;
    if (!live.isEmpty()) {
      Map<String, Long> leaked = liveByPurpose();
      long total = liveBytes;
      for (DeviceBuffer b : live.keySet().toArray(new DeviceBuffer[0])) {
        release(b);
      }
      throw new Allocator.LeakException(
          "device memory pool '"
              + name
              + "' closed with "
              + total
              + " bytes still live: "
              + leaked);
    }
  }
}
