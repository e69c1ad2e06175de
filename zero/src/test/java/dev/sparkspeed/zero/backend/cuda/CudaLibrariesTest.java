package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CudaLibrariesTest {
  @TempDir Path dir;

  @Test
  void searchOrderIsConfiguredThenLoaderPathThenStandardFolders() {
    CudaLibraries libs =
        CudaLibraries.from(
            Map.of(CudaLibraries.LIB_DIRS_ENV, "/a:/b", "LD_LIBRARY_PATH", "/c"), null, "/d");
    List<Path> dirs = libs.searchDirs();
    assertEquals(
        List.of(Path.of("/a"), Path.of("/b"), Path.of("/c"), Path.of("/d")), dirs.subList(0, 4));
    assertTrue(dirs.contains(Path.of("/usr/local/nvidia/lib64")));
    assertEquals(List.of(Path.of("/a"), Path.of("/b")), libs.configuredDirs());
    CudaLibraries viaProperty =
        CudaLibraries.from(Map.of(CudaLibraries.LIB_DIRS_ENV, "/a"), "/p", null);
    assertEquals(List.of(Path.of("/p")), viaProperty.configuredDirs(), "the property wins");
  }

  @Test
  void findsALibraryInTheFirstFolderHoldingIt() throws Exception {
    Path first = Files.createDirectories(dir.resolve("nvidia/cu13/lib"));
    Path second = Files.createDirectories(dir.resolve("nvidia/nccl/lib"));
    Files.write(second.resolve("libnccl.so.2"), new byte[1]);
    Files.write(first.resolve("libcudart.so.13"), new byte[1]);
    CudaLibraries libs = new CudaLibraries(List.of(first, second), List.of(), dir.resolve("none"));
    assertEquals(second.resolve("libnccl.so.2"), libs.findFile("libnccl.so.2").orElseThrow());
    assertTrue(libs.isPresent("libcudart.so.13"));
    assertFalse(libs.isPresent("libcuda.so.1"));
  }

  @Test
  void theLoaderCacheCountsAsPresent() throws Exception {
    Path cache = dir.resolve("ld.so.cache");
    byte[] body =
        ("glibc-ld.so.cache1.1\0\0libcuda.so.1\0/usr/lib/x86_64-linux-gnu/libcuda.so.1\0libcudart.so.13x\0")
            .getBytes(StandardCharsets.US_ASCII);
    Files.write(cache, body);
    CudaLibraries libs = new CudaLibraries(List.of(), List.of(), cache);
    assertTrue(libs.isPresent("libcuda.so.1"));
    assertFalse(libs.isPresent("libcudart.so.13"), "a longer name is not a match");
  }
}
