package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.TimeTable;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Set;

/**
 * Where a device step's time goes: a backend wrapper that waits for the device before and after
 * every call and adds the wall time to the call's method name. Waiting serializes the queue, so the
 * total exceeds an unprofiled step by the launch gaps; the split between kernels is what it is for.
 */
final class OpProfile implements InvocationHandler {
  private static final Set<String> UNTIMED =
      Set.of(
          "name",
          "synchronize",
          "close",
          "liveBytes",
          "allocationCount",
          "allocate",
          "free",
          "toString",
          "hashCode",
          "equals");

  private final Backend inner;
  private final TimeTable byMethod = new TimeTable();
  private boolean enabled;

  private OpProfile(Backend inner) {
    this.inner = inner;
  }

  /** A profile over {@code inner}; {@link #backend()} is the wrapped view to build a model on. */
  static OpProfile over(Backend inner) {
    return new OpProfile(inner);
  }

  /** The backend whose calls are timed while {@link #enable} is on. */
  Backend backend() {
    return (Backend)
        Proxy.newProxyInstance(
            Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, this);
  }

  /** Starts (true) or stops (false) timing; the counts kept so far stay. */
  void enable(boolean on) {
    enabled = on;
  }

  @Override
  public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
    boolean timed = enabled && !UNTIMED.contains(m.getName());
    long t0 = 0;
    if (timed) {
      inner.synchronize();
      t0 = System.nanoTime();
    }
    Object result;
    try {
      result = m.invoke(inner, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
    if (timed) {
      inner.synchronize();
      byMethod.add(m.getName(), (System.nanoTime() - t0) / 1e6);
    }
    return result;
  }

  /** The {@code top} most expensive methods: name, calls, milliseconds, share of the total. */
  List<String> report(int top) {
    return byMethod.lines("profiled total", top);
  }
}
