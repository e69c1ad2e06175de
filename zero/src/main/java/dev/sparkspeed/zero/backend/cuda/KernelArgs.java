package dev.sparkspeed.zero.backend.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The argument block of one kernel launch: {@code cuLaunchKernel} takes an array of pointers, one
 * per argument, each pointing at the value. The values live in one native block of 8-byte slots
 * that is reused for every launch (the driver copies them at launch time), so launching allocates
 * nothing. Not thread-safe: one per stream-owning thread.
 */
final class KernelArgs implements AutoCloseable {
  static final int MAX_ARGS = 24;

  private final BytePointer slots = new BytePointer(MAX_ARGS * 8L);
  private final PointerPointer<BytePointer> pointers = new PointerPointer<>(MAX_ARGS);
  private int count;

  KernelArgs() {
    for (int i = 0; i < MAX_ARGS; i++) {
      pointers.put(i, slots.getPointer(i * 8L));
    }
  }

  /** Starts a new argument list. */
  KernelArgs clear() {
    count = 0;
    return this;
  }

  /** A device pointer (0 for a null pointer). */
  KernelArgs ptr(long address) {
    slots.putLong(slot(), address);
    return this;
  }

  KernelArgs i32(int v) {
    slots.putInt(slot(), v);
    return this;
  }

  KernelArgs i64(long v) {
    slots.putLong(slot(), v);
    return this;
  }

  KernelArgs f32(float v) {
    slots.putFloat(slot(), v);
    return this;
  }

  private long slot() {
    if (count == MAX_ARGS) {
      throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
    }
    return count++ * 8L;
  }

  int count() {
    return count;
  }

  PointerPointer<BytePointer> pointers() {
    return pointers;
  }

  @Override
  public void close() {
    pointers.close();
    slots.close();
  }
}
