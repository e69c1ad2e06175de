package dev.sparkspeed.zero.backend.cuda;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the machine's own CUDA libraries. The JavaCPP jar carries only JNI glue; the driver ({@code
 * libcuda.so.1}) and the CUDA 13 libraries ({@code libcudart.so.13}, {@code libcublas.so.13},
 * {@code libnvrtc.so.13}, {@code libnccl.so.2}) come from the machine: the driver install, a CUDA
 * toolkit, or Python wheels' {@code nvidia/<pkg>/lib} folders.
 *
 * <p>Search order: the folders in {@value #LIB_DIRS_ENV} (or the system property {@value
 * #LIB_DIRS_PROPERTY}), then {@code LD_LIBRARY_PATH}, {@code java.library.path}, the usual driver
 * and toolkit folders, and finally the dynamic loader's cache {@code /etc/ld.so.cache}.
 */
public final class CudaLibraries {
  /** Environment variable: extra folders holding CUDA libraries, separated by ':'. */
  public static final String LIB_DIRS_ENV = "SPARKSPEED_CUDA_LIB_DIRS";

  /** System property with the same meaning as {@link #LIB_DIRS_ENV}; it wins when both are set. */
  public static final String LIB_DIRS_PROPERTY = "sparkspeed.cuda.libDirs";

  /** JavaCPP's setting for folders searched before its own jars. */
  static final String PRELOAD_PATH_PROPERTY = "org.bytedeco.javacpp.platform.preloadpath";

  static final List<String> STANDARD_DIRS =
      List.of(
          "/usr/lib/x86_64-linux-gnu",
          "/usr/lib64",
          "/lib64",
          "/usr/local/nvidia/lib64",
          "/usr/local/nvidia/lib",
          "/usr/local/cuda/lib64",
          "/usr/local/cuda/targets/x86_64-linux/lib",
          "/usr/lib/wsl/lib");

  static final Path LD_CACHE = Path.of("/etc/ld.so.cache");

  private final List<Path> configured;
  private final List<Path> dirs;
  private final Path ldCache;

  /**
   * @param configured folders named by the user (searched first, and handed to JavaCPP)
   * @param others further folders to search
   * @param ldCache the dynamic loader's cache file (need not exist)
   */
  CudaLibraries(List<Path> configured, List<Path> others, Path ldCache) {
    this.configured = List.copyOf(configured);
    Set<Path> all = new LinkedHashSet<>(configured);
    all.addAll(others);
    this.dirs = List.copyOf(all);
    this.ldCache = ldCache;
  }

  /** The search this process would do: its environment, system properties and standard folders. */
  public static CudaLibraries fromEnvironment() {
    return from(
        System.getenv(),
        System.getProperty(LIB_DIRS_PROPERTY),
        System.getProperty("java.library.path"));
  }

  static CudaLibraries from(Map<String, String> env, String property, String javaLibraryPath) {
    String named = property != null ? property : env.get(LIB_DIRS_ENV);
    List<Path> configured = split(named);
    List<Path> others = new ArrayList<>(split(env.get("LD_LIBRARY_PATH")));
    others.addAll(split(javaLibraryPath));
    for (String d : STANDARD_DIRS) {
      others.add(Path.of(d));
    }
    return new CudaLibraries(configured, others, LD_CACHE);
  }

  private static List<Path> split(String pathList) {
    List<Path> out = new ArrayList<>();
    if (pathList != null) {
      for (String p : pathList.split(File.pathSeparator)) {
        if (!p.isBlank()) {
          out.add(Path.of(p.trim()));
        }
      }
    }
    return out;
  }

  /** Folders searched, in order. */
  public List<Path> searchDirs() {
    return dirs;
  }

  /** Folders the user named. */
  List<Path> configuredDirs() {
    return configured;
  }

  /** The first folder holding {@code soname}, if any. */
  Optional<Path> findFile(String soname) {
    for (Path d : dirs) {
      Path f = d.resolve(soname);
      if (Files.isRegularFile(f)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** True when {@code soname} is on disk in a searched folder or known to the loader's cache. */
  boolean isPresent(String soname) {
    return findFile(soname).isPresent() || inLoaderCache(soname);
  }

  /**
   * True when the loader's cache mentions {@code soname}. The cache stores each library's name as a
   * NUL-terminated string, so a byte search is exact enough for "can dlopen find it".
   */
  boolean inLoaderCache(String soname) {
    if (!Files.isRegularFile(ldCache)) {
      return false;
    }
    try {
      byte[] cache = Files.readAllBytes(ldCache);
      byte[] needle = (soname + "\0").getBytes(StandardCharsets.US_ASCII);
      return indexOf(cache, needle) >= 0;
    } catch (IOException e) {
      return false;
    }
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /**
   * Hands the configured folders to JavaCPP (so it loads {@code libcudart.so.13} and friends from
   * there) and loads the driver library by path when it sits only in a configured folder, which
   * JavaCPP's CUDA presets never load themselves.
   */
  synchronized void prepareLoader() {
    if (configured.isEmpty()) {
      return;
    }
    StringBuilder path = new StringBuilder();
    String existing = System.getProperty(PRELOAD_PATH_PROPERTY);
    if (existing != null && !existing.isBlank()) {
      path.append(existing);
    }
    for (Path d : configured) {
      if (path.indexOf(d.toString()) < 0) {
        if (path.length() > 0) {
          path.append(File.pathSeparator);
        }
        path.append(d);
      }
    }
    System.setProperty(PRELOAD_PATH_PROPERTY, path.toString());
    for (Path d : configured) {
      Path driver = d.resolve("libcuda.so.1");
      if (Files.isRegularFile(driver)) {
        System.load(driver.toAbsolutePath().toString());
        return;
      }
    }
  }

  @Override
  public String toString() {
    return dirs + " and " + ldCache;
  }
}
