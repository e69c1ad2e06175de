package dev.sparkspeed.zero.backend.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Compiled kernel images on disk, keyed by a hash of the source, the compiler options (which name
 * the architecture) and the compiler version, so a changed kernel or a new GPU never picks up a
 * stale image. Writes go to a temporary file first and are renamed into place, so concurrent
 * executors on one machine never read half a file.
 */
final class KernelCache {
  /** Environment variable naming the cache folder. */
  static final String DIR_ENV = "SPARKSPEED_CUDA_CACHE";

  private final Path dir;

  KernelCache(Path dir) {
    this.dir = dir;
  }

  /** $SPARKSPEED_CUDA_CACHE, else ~/.cache/sparkspeed/cuda. */
  static KernelCache defaultLocation() {
    String named = System.getenv(DIR_ENV);
    Path dir =
        named != null && !named.isBlank()
            ? Path.of(named)
            : Path.of(System.getProperty("user.home"), ".cache", "sparkspeed", "cuda");
    return new KernelCache(dir);
  }

  Path dir() {
    return dir;
  }

  /** The cache key: SHA-256 over source, options and compiler version. */
  static String key(String source, List<String> options, int compilerVersion) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(source.getBytes(StandardCharsets.UTF_8));
      for (String o : options) {
        sha.update((byte) 0);
        sha.update(o.getBytes(StandardCharsets.UTF_8));
      }
      sha.update(Integer.toString(compilerVersion).getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JDK", e);
    }
  }

  Path file(String key, String arch) {
    return dir.resolve(arch + "-" + key + ".cubin");
  }

  /** The cached image, if present and readable. */
  Optional<byte[]> load(String key, String arch) {
    Path f = file(key, arch);
    try {
      return Files.isRegularFile(f) ? Optional.of(Files.readAllBytes(f)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Stores an image; a cache that cannot be written is reported, the image is still usable. */
  void store(String key, String arch, byte[] image) {
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, arch + "-", ".tmp");
      try {
        Files.write(tmp, image);
        try {
          Files.move(tmp, file(key, arch), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, file(key, arch), StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the kernel cache in " + dir + "; set " + DIR_ENV + " to a writable folder",
          e);
    }
  }
}
