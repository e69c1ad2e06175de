package dev.sparkspeed.zero.checkpoint;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A {@link CheckpointStore} over a local directory through {@code java.nio.file}. Writes go to the
 * final path directly (no temporary file and rename), the same contract the object stores give.
 * With {@code durable} set, each file is fsync'ed on close and its directory after it, so a marker
 * written last cannot survive a power loss that its data did not.
 */
public final class LocalCheckpointStore implements CheckpointStore {
  private final Path root;
  private final boolean durable;

  /** A durable store rooted at {@code root} (created on the first write). */
  public LocalCheckpointStore(Path root) {
    this(root, true);
  }

  /**
   * @param root directory holding the checkpoints
   * @param durable fsync each file and its directory on close; off only where losing the last
   *     checkpoint on power loss is acceptable (benchmarks, tests)
   */
  public LocalCheckpointStore(Path root, boolean durable) {
    this.root = root.toAbsolutePath().normalize();
    this.durable = durable;
  }

  private Path resolve(String path) {
    return StorePaths.require(path).isEmpty() ? root : root.resolve(path);
  }

  @Override
  public WritableByteChannel create(String path) throws IOException {
    Path file = resolve(path);
    Files.createDirectories(file.getParent());
    FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    return new WritableByteChannel() {
      @Override
      public int write(ByteBuffer src) throws IOException {
        return ch.write(src);
      }

      @Override
      public boolean isOpen() {
        return ch.isOpen();
      }

      @Override
      public void close() throws IOException {
        if (!ch.isOpen()) {
          return;
        }
        try (ch) {
          if (durable) {
            ch.force(true);
          }
        }
        if (durable) {
          forceDirectory(file.getParent());
        }
      }
    };
  }

  private static void forceDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  @Override
  public SeekableInput openRead(String path) throws IOException {
    Path file = resolve(path);
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw (FileNotFoundException) new FileNotFoundException(file.toString()).initCause(e);
    }
    return new SeekableInput() {
      @Override
      public long size() throws IOException {
        return ch.size();
      }

      @Override
      public void readFully(long position, ByteBuffer dst) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
          int n = ch.read(dst, pos);
          if (n < 0) {
            throw new EOFException(
                file
                    + " ends at "
                    + pos
                    + ", before "
                    + dst.remaining()
                    + " more bytes could be read");
          }
          pos += n;
        }
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  @Override
  public boolean exists(String path) {
    return Files.isRegularFile(resolve(path));
  }

  @Override
  public long size(String path) throws IOException {
    try {
      return Files.size(resolve(path));
    } catch (NoSuchFileException e) {
      throw (FileNotFoundException) new FileNotFoundException(e.getFile()).initCause(e);
    }
  }

  @Override
  public List<String> list(String dir) throws IOException {
    Path d = resolve(dir);
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(d)) {
      s.forEach(p -> names.add(p.getFileName().toString()));
    }
    names.sort(null);
    return names;
  }

  @Override
  public void delete(String path) throws IOException {
    Path p = resolve(path);
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              x -> {
                try {
                  Files.deleteIfExists(x);
                } catch (DirectoryNotEmptyException e) {
                  throw new UncheckedIOException(
                      new IOException(x + " gained entries while being deleted", e));
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public String describe() {
    return root.toString();
  }

  @Override
  public String toString() {
    return "LocalCheckpointStore(" + root + ")";
  }
}
