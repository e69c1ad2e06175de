package dev.sparkspeed.zero.backend.cuda;

/** Device memory straight from the driver, for the pool. */
final class DriverMemory implements DeviceMemoryPool.RawMemory {
  @Override
  public long allocate(long bytes) {
    return Cuda.malloc(bytes);
  }

  @Override
  public void release(long address) {
    Cuda.free(address);
  }
}
