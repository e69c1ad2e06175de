package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cuda.CudaBackend;
import dev.sparkspeed.zero.backend.cuda.NcclCommunicator;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.comm.LocalRendezvous;
import dev.sparkspeed.zero.comm.Rendezvous;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;

/**
 * A one-rank NCCL communicator joined through the same bootstrap a Spark job uses (UUID and unique
 * id exchanged over a {@link Rendezvous}, duplicate-GPU check, initialization with a timeout), then
 * every collective on fresh random data in FP32 and BF16, at a small odd size and a size large
 * enough for NCCL to pipeline. With one rank every collective must return its input bit for bit;
 * outputs are poisoned before each call so an unwritten element fails.
 */
final class NcclSection implements CheckSection {
  private static final int[] SIZES = {1001, 3 << 20};
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final long seed;

  NcclSection(long seed) {
    this.seed = seed;
  }

  @Override
  public String name() {
    return "nccl";
  }

  @Override
  public List<Row> run(Backend gpu, Backend cpu) {
    if (!(gpu instanceof CudaBackend cuda)) {
      throw new IllegalArgumentException(gpu.name() + " is not a CUDA backend");
    }
    Rendezvous solo = LocalRendezvous.group(1, TIMEOUT).get(0);
    List<Row> rows = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(seed);
    try (Allocator host = new Allocator("nccl-check");
        NcclCommunicator comm = NcclCommunicator.create(cuda, solo, TIMEOUT)) {
      for (DType dt : new DType[] {DType.FP32, DType.BF16}) {
        for (int n : SIZES) {
          Case c = new Case(gpu, host, dt, n, random);
          String at = " " + dt.name().toLowerCase(java.util.Locale.ROOT) + " n=" + n;
          rows.add(c.check("allReduce" + at, (out, in) -> inPlace(gpu, comm, out, in)));
          rows.add(c.check("reduceScatter" + at, (out, in) -> comm.reduceScatter(out, in).await()));
          rows.add(c.check("allGather" + at, (out, in) -> comm.allGather(out, in).await()));
          int[] counts = {n};
          rows.add(
              c.check(
                  "reduceScatterV" + at,
                  (out, in) -> comm.reduceScatterV(out, in, counts).await()));
          rows.add(
              c.check("allGatherV" + at, (out, in) -> comm.allGatherV(out, in, counts).await()));
          rows.add(
              c.check(
                  "broadcast" + at,
                  (out, in) -> {
                    gpu.copy(out, in);
                    comm.broadcast(out, 0).await();
                  }));
          c.close();
        }
      }
      long t0 = System.nanoTime();
      comm.barrier();
      rows.add(Row.figure("barrier", (System.nanoTime() - t0) / 1e3, "µs"));
    }
    return rows;
  }

  private static void inPlace(Backend gpu, Communicator comm, Tensor out, Tensor in) {
    gpu.copy(out, in);
    comm.allReduce(out).await();
  }

  /** One dtype and size: random input on the device, a poisoned output, the expected bits. */
  private static final class Case implements AutoCloseable {
    private final Backend gpu;
    private final DType dtype;
    private final int n;
    private final HostBuffer expected;
    private final HostBuffer got;
    private final Tensor in;
    private final Tensor out;

    Case(Backend gpu, Allocator host, DType dtype, int n, SplittableRandom random) {
      this.gpu = gpu;
      this.dtype = dtype;
      this.n = n;
      this.expected = host.allocate("expected", dtype, n);
      this.got = host.allocate("got", dtype, n);
      for (int i = 0; i < n; i++) {
        float v = (float) (random.nextDouble() * 2 - 1);
        if (dtype == DType.FP32) {
          expected.floats().put(i, v);
        } else {
          expected.shorts().put(i, dtype.fromFloat(v));
        }
      }
      this.in = gpu.allocate("nccl-in", dtype, n);
      this.out = gpu.allocate("nccl-out", dtype, n);
      gpu.upload(in, Tensor.whole(expected));
    }

    /** Poisons out, runs the collective, and counts elements whose bits differ from the input. */
    Row check(String what, BiConsumer<Tensor, Tensor> collective) {
      gpu.fill(out, Float.NaN);
      collective.accept(out, in);
      gpu.download(Tensor.whole(got), out);
      long wrong = 0;
      for (int i = 0; i < n; i++) {
        boolean same =
            dtype == DType.FP32
                ? Float.floatToRawIntBits(got.floats().get(i))
                    == Float.floatToRawIntBits(expected.floats().get(i))
                : got.shorts().get(i) == expected.shorts().get(i);
        if (!same) {
          wrong++;
        }
      }
      return Row.atMost(what + " differing elements", wrong, "elements", 0);
    }

    @Override
    public void close() {
      gpu.free(in);
      gpu.free(out);
      expected.close();
      got.close();
    }
  }
}
