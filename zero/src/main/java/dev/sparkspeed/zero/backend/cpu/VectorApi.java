package dev.sparkspeed.zero.backend.cpu;

import java.util.logging.Logger;

/**
 * Loads the CPU kernels written on the Vector API ({@code jdk.incubator.vector}) when this JVM can
 * run them: started with {@code --add-modules=jdk.incubator.vector}, and {@value #PROPERTY} not
 * {@code false}. Otherwise, or when the class refuses the machine (its constructor throws), the
 * caller's scalar kernels are used; both give bit-identical results, so the choice changes speed
 * only. Each choice is logged once.
 */
final class VectorApi {
  /** System property that, set to {@code false}, keeps every CPU kernel on its scalar loops. */
  static final String PROPERTY = "sparkspeed.cpu.vectorKernels";

  private static final Logger LOG = Logger.getLogger(VectorApi.class.getName());

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
      LOG.info(
          type.getSimpleName()
              + ": scalar loops; start the JVM with --add-modules=jdk.incubator.vector (and leave "
              + PROPERTY
              + " unset) for the vectorized ones");
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
