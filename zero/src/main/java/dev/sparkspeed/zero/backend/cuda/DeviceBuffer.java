package dev.sparkspeed.zero.backend.cuda;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Storage;

/**
 * One block of GPU memory from a {@link CudaBackend}'s caching pool. Closing returns the block to
 * the pool (not to the driver), so a steady-state training step allocates nothing new.
 */
public final class DeviceBuffer implements Storage {
  private final DeviceMemoryPool pool;
  private final String purpose;
  private final DType dtype;
  private final long elements;
  private final long blockBytes;
  private volatile long address;

  DeviceBuffer(
      DeviceMemoryPool pool,
      String purpose,
      DType dtype,
      long elements,
      long address,
      long blockBytes) {
    this.pool = pool;
    this.purpose = purpose;
    this.dtype = dtype;
    this.elements = elements;
    this.address = address;
    this.blockBytes = blockBytes;
  }

  @Override
  public DType dtype() {
    return dtype;
  }

  @Override
  public long elements() {
    return elements;
  }

  @Override
  public String purpose() {
    return purpose;
  }

  /** Bytes requested (elements × dtype size). */
  public long bytes() {
    return elements * dtype.bytes();
  }

  /** True when this buffer came from {@code p}. */
  boolean belongsTo(DeviceMemoryPool p) {
    return pool == p;
  }

  /** Bytes of the pool block holding it (its size class, at least {@link #bytes()}). */
  long blockBytes() {
    return blockBytes;
  }

  /** Device address of element 0; fails after close. */
  public long address() {
    long a = address;
    if (a == 0) {
      throw new IllegalStateException("device buffer '" + purpose + "' used after close");
    }
    return a;
  }

  /** True once closed. */
  public boolean isClosed() {
    return address == 0;
  }

  /** Marks closed and returns the old address; 0 when already closed. */
  synchronized long detach() {
    long a = address;
    address = 0;
    return a;
  }

  @Override
  public void close() {
    pool.release(this);
  }

  @Override
  public String toString() {
    return purpose + ":" + dtype + "[" + elements + "]@0x" + Long.toHexString(address);
  }
}
