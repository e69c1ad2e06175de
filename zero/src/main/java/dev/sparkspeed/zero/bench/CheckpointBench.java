package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.checkpoint.CheckpointCommitter;
import dev.sparkspeed.zero.checkpoint.CheckpointMeta;
import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import dev.sparkspeed.zero.checkpoint.CheckpointWriter;
import dev.sparkspeed.zero.checkpoint.LocalCheckpointStore;
import dev.sparkspeed.zero.checkpoint.NamedTensor;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares saving tensors as a checkpoint (header, alignment, CRC-32C per chunk, manifest, marker,
 * {@code latest}) with a plain copy of the same bytes to one file through a {@link FileChannel}, in
 * the same run, alternating which goes first.
 *
 * <pre>
 * java -XX:MaxDirectMemorySize=4g -cp ... dev.sparkspeed.zero.bench.CheckpointBench \
 *     [--mb 1900] [--reps 3] [--dir /tmp/ckpt-bench] [--fsync]
 * </pre>
 *
 * The default size is GPT-2 124M's model states with mixed-precision Adam (124M × 16 bytes). {@code
 * --fsync} makes both sides flush to the device before the clock stops. The last line is {@code
 * RESULT save_s=X copy_s=Y ratio=Z} with medians over the repetitions.
 */
public final class CheckpointBench {
  /** Tensors are at most this large, like the per-role flat buffers of a sharded model. */
  private static final long TENSOR_BYTES = 256L << 20;

  private CheckpointBench() {}

  public static void main(String[] args) throws IOException {
    long mb = 1900;
    int reps = 3;
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "sparkspeed-ckpt-bench");
    boolean fsync = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--mb" -> mb = Long.parseLong(args[++i]);
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]);
        case "--fsync" -> fsync = true;
        default ->
            throw new IllegalArgumentException(
                "unknown option " + args[i] + "; use --mb N --reps N --dir PATH --fsync");
      }
    }
    long bytes = mb << 20;
    System.out.printf(
        "checkpoint bench: %d MiB in tensors of <= %d MiB, %d reps, dir %s, fsync %s%n",
        mb, TENSOR_BYTES >> 20, reps, dir, fsync);
    try (Allocator alloc = new Allocator("bench")) {
      List<HostBuffer> tensors = fill(alloc, bytes);
      try {
        run(tensors, dir, reps, fsync, bytes);
      } finally {
        tensors.forEach(HostBuffer::close);
      }
    }
  }

  private static void run(List<HostBuffer> tensors, Path dir, int reps, boolean fsync, long bytes)
      throws IOException {
    CheckpointStore store = new LocalCheckpointStore(dir.resolve("store"), fsync);
    Path copy = dir.resolve("copy.bin");
    double[] save = new double[reps];
    double[] plain = new double[reps];
    for (int r = 0; r < reps; r++) {
      if (r % 2 == 0) {
        save[r] = timeSave(store, tensors);
        plain[r] = timeCopy(copy, tensors, fsync);
      } else {
        plain[r] = timeCopy(copy, tensors, fsync);
        save[r] = timeSave(store, tensors);
      }
      System.out.printf(
          "rep %d: save %.3f s (%.2f GB/s), copy %.3f s (%.2f GB/s)%n",
          r, save[r], bytes / save[r] / 1e9, plain[r], bytes / plain[r] / 1e9);
      store.delete("");
      Files.deleteIfExists(copy);
    }
    double s = BenchArgs.median(save);
    double c = BenchArgs.median(plain);
    System.out.printf("RESULT save_s=%.3f copy_s=%.3f ratio=%.3f%n", s, c, s / c);
  }

  private static List<HostBuffer> fill(Allocator alloc, long bytes) {
    List<HostBuffer> out = new ArrayList<>();
    long seed = 0x9e3779b97f4a7c15L;
    for (long left = bytes; left > 0; left -= TENSOR_BYTES) {
      long n = Math.min(left, TENSOR_BYTES) / DType.FP32.bytes();
      HostBuffer b = alloc.allocate("tensor" + out.size(), DType.FP32, n);
      IntBuffer ints = b.byteBuffer().asIntBuffer();
      for (int i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >>> 7;
        seed ^= seed << 17;
        ints.put(i, (int) seed);
      }
      out.add(b);
    }
    return out;
  }

  private static double timeSave(CheckpointStore store, List<HostBuffer> tensors)
      throws IOException {
    long t0 = System.nanoTime();
    CheckpointCommitter.begin(store, "bench");
    String report;
    try (CheckpointWriter w = CheckpointWriter.forRank(store, "bench", 0)) {
      for (HostBuffer b : tensors) {
        w.write(NamedTensor.of(b.purpose(), Tensor.whole(b)));
      }
      report = w.finish().toJson();
    }
    CheckpointCommitter.commit(
        store,
        "bench",
        new CheckpointMeta(1, 1, 3, null, null, null, null, null),
        List.of(report),
        0);
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double timeCopy(Path file, List<HostBuffer> tensors, boolean fsync)
      throws IOException {
    long t0 = System.nanoTime();
    Files.createDirectories(file.getParent());
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      for (HostBuffer b : tensors) {
        ByteBuffer bb = b.byteBuffer();
        while (bb.hasRemaining()) {
          ch.write(bb);
        }
      }
      if (fsync) {
        ch.force(true);
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }
}
