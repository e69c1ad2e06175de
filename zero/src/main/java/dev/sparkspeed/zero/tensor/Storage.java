package dev.sparkspeed.zero.tensor;

/**
 * Memory that tensors view: host memory ({@link HostBuffer}) or device memory owned by a GPU
 * backend. Not thread-safe to close while in use.
 */
public interface Storage extends AutoCloseable {
  /** Element type. */
  DType dtype();

  /** Capacity in elements. */
  long elements();

  /** What the bytes are for, as counted by the allocator. */
  String purpose();

  @Override
  void close();
}
