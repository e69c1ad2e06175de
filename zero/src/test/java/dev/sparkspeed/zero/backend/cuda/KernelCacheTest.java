package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCacheTest {
  @TempDir Path dir;

  @Test
  void storedImagesComeBackAndLeaveNoTemporaryFiles() throws Exception {
    KernelCache cache = new KernelCache(dir.resolve("nested/cuda"));
    String key = KernelCache.key("src", List.of("--gpu-architecture=sm_90"), 13010);
    assertTrue(cache.load(key, "sm_90").isEmpty());
    byte[] image = {0x7f, 'E', 'L', 'F', 1, 2, 3};
    cache.store(key, "sm_90", image);
    assertArrayEquals(image, cache.load(key, "sm_90").orElseThrow());
    assertTrue(cache.load(key, "sm_80").isEmpty(), "another architecture is another entry");
    try (Stream<Path> files = Files.list(dir.resolve("nested/cuda"))) {
      assertEquals(
          List.of("sm_90-" + key + ".cubin"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void theKeyChangesWithSourceOptionsAndCompiler() {
    String base = KernelCache.key("a", List.of("x"), 1);
    assertEquals(64, base.length());
    assertEquals(base, KernelCache.key("a", List.of("x"), 1));
    assertNotEquals(base, KernelCache.key("b", List.of("x"), 1));
    assertNotEquals(base, KernelCache.key("a", List.of("y"), 1));
    assertNotEquals(base, KernelCache.key("a", List.of("x"), 2));
    assertNotEquals(
        KernelCache.key("a", List.of("bc"), 1), KernelCache.key("a", List.of("b", "c"), 1));
  }
}
