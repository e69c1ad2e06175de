package dev.sparkspeed.zero.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The CUDA C sources of every kernel, kept as resources beside this class and compiled together as
 * one translation unit (one module load, one cache entry). {@code common.cuh} comes first: the
 * dtype conversions and reductions the others share.
 */
final class KernelSources {
  /** Resource names, in compilation order. */
  static final List<String> FILES =
      List.of(
          "common.cuh",
          "elementwise.cu",
          "encoder.cu",
          "layernorm.cu",
          "attention.cu",
          "loss.cu",
          "vectorized.cu",
          "flash_attention.cu",
          "adamw.cu");

  private KernelSources() {}

  /** All sources concatenated, each preceded by a #line directive naming its file. */
  static String unit() {
    StringBuilder out = new StringBuilder();
    for (String f : FILES) {
      out.append("#line 1 \"").append(f).append("\"\n").append(read(f)).append('\n');
    }
    return out.toString();
  }

  static String read(String file) {
    try (InputStream in = KernelSources.class.getResourceAsStream(file)) {
      if (in == null) {
        throw new IllegalStateException(
            "kernel source " + file + " missing from the classpath next to " + KernelSources.class);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
