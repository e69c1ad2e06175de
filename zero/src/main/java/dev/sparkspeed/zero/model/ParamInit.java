package dev.sparkspeed.zero.model;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Deterministic initialisation. Each parameter draws from its own generator seeded by the run seed
 * and the parameter's name, so values do not depend on layout, sharding or thread count.
 */
final class ParamInit {
  private ParamInit() {}

  static SplittableRandom rng(long seed, String name) {
    return new SplittableRandom(
        seed * 0x9E3779B97F4A7C15L ^ (long) name.hashCode() * 0xC2B2AE3D27D4EB4FL);
  }

  /** Normal(0, std) into the first {@code count} elements of p's view; the rest zero. */
  static void normal(Tensor flat, ParamSpec p, long seed, double std, long count) {
    FloatBuffer f = flat.view(p.offset(), Math.toIntExact(p.size())).floats();
    SplittableRandom r = rng(seed, p.name());
    for (int i = 0; i < p.size(); i++) {
      f.put(i, i < count ? (float) (r.nextGaussian() * std) : 0f);
    }
  }

  static void constant(Tensor flat, ParamSpec p, float value) {
    FloatBuffer f = flat.view(p.offset(), Math.toIntExact(p.size())).floats();
    for (int i = 0; i < p.size(); i++) {
      f.put(i, value);
    }
  }
}
