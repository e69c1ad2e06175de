package dev.sparkspeed.zero.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Loads the CPU kernels written on the Vector API ({@code jdk.incubator.vector}) when this JVM can
 * run them: started with {@code --add-modules=jdk.incubator.vector}, and {@value #PROPERTY} not
 * {@code false}. Otherwise, or when the class refuses the machine (its constructor throws), the
 * caller's scalar kernels are used; both give bit-identical results, so the choice changes speed
 * only. A missing module is logged once per JVM.
 */
final class VectorApi {
  /** System property that, set to {@code false}, keeps every CPU kernel on its scalar loops. */
  static final String PROPERTY = "sparkspeed.cpu.vectorKernels";

  private static final Logger LOG = Logger.getLogger(VectorApi.class.getName());

  /** The missing module is said once per JVM, not once per kernel family. */
  private static final AtomicBoolean TOLD_DISABLED = new AtomicBoolean();

  private VectorApi() {}

  /** True when the module is resolved and the property allows it. */
  static boolean enabled() {
    return Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))
        && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  /**
   * A new instance of {@code simpleName} (a class of this package with a no-argument constructor)
   * when the Vector API is usable, else {@code scalar}.
   */
  static <T> T loadOr(Class<T> type, String simpleName, T scalar) {
    if (!enabled()) {
      if (!TOLD_DISABLED.getAndSet(true)) {
        LOG.info(
            "CPU kernels: scalar loops; start the JVM with --add-modules=jdk.incubator.vector (and"
                + " leave "
                + PROPERTY
                + " unset) for the vectorized ones");
      }
      return scalar;
    }
    try {
      Object k =
          Class.forName(VectorApi.class.getPackageName() + "." + simpleName)
              .getDeclaredConstructor()
              .newInstance();
      LOG.fine(type.getSimpleName() + ": " + simpleName);
      return type.cast(k);
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      LOG.info(type.getSimpleName() + ": scalar loops; the Vector API is unusable here: " + e);
      return scalar;
    }
  }
}
