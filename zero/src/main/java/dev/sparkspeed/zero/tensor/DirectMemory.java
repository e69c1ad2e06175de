package dev.sparkspeed.zero.tensor;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/** Frees direct buffers eagerly through the JDK's Unsafe.invokeCleaner (no GC wait). */
final class DirectMemory {
  private static final Object UNSAFE;
  private static final Method INVOKE_CLEANER;

  static {
    try {
      Class<?> c = Class.forName("sun.misc.Unsafe");
      Field f = c.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      UNSAFE = f.get(null);
      INVOKE_CLEANER = c.getMethod("invokeCleaner", ByteBuffer.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private DirectMemory() {}

  static void free(ByteBuffer direct) {
    try {
      INVOKE_CLEANER.invoke(UNSAFE, direct);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot free a direct buffer", e);
    }
  }
}
