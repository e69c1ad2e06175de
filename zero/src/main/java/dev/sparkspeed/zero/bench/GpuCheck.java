package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.BackendSelector;
import dev.sparkspeed.zero.backend.cuda.CudaBackend;
import dev.sparkspeed.zero.backend.cuda.CudaOptions;
import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import dev.sparkspeed.zero.tensor.DType;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The GPU machine's check: every kernel against the CPU backend, GEMM throughput, one GPT-2
 * training step against the CPU backend, and a GPT-2 124M bf16 training benchmark (tokens/s, MFU,
 * and the ratio to PyTorch eager when bin/gpu-check passes its figures), printed as one table. Exit
 * status 0 when every check passes, 1 when one fails, 2 when no GPU is usable.
 *
 * <p>Usage: see {@link GpuCheckArgs#USAGE}; with no arguments every section runs.
 */
public final class GpuCheck {
  private GpuCheck() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /** Parses the command line, opens the backends and runs the named sections. */
  static int run(String[] args, PrintStream out) {
    GpuCheckArgs a = GpuCheckArgs.parse(args, System.nanoTime());
    out.println("seed " + a.seed());
    return run(a.device(), sections(a), out);
  }

  /** The sections a command line names, wired so the benchmark shares the GEMM section's rate. */
  static List<CheckSection> sections(GpuCheckArgs a) {
    GemmBenchmarkSection gemm = new GemmBenchmarkSection(a.gemmSize());
    List<CheckSection> sections = new ArrayList<>();
    for (String n : a.sections()) {
      sections.add(
          switch (n) {
            case "parity" -> new KernelParitySection(a.seed());
            case "nccl" -> new NcclSection(a.seed());
            case "gemm" -> gemm;
            case "gpt2-step" -> new Gpt2StepSection(a.seed(), GpuCheck::bf16Twin);
            case "gpt2-bench" ->
                new Gpt2BenchSection(a.bench(), GpuCheck::bf16Twin, gemm::bf16Tflops, a.torch());
            default -> throw new IllegalArgumentException("unknown section " + n);
          });
    }
    return sections;
  }

  /** A second backend on the same GPU whose linear and attention GEMMs run in BF16. */
  static Backend bf16Twin(Backend gpu) {
    if (!(gpu instanceof CudaBackend c)) {
      throw new IllegalArgumentException(gpu.name() + " is not a CUDA backend");
    }
    return CudaBackend.open(c.options().withLayerGemm(DType.BF16));
  }

  /**
   * Runs sections on one GPU and the CPU reference and prints the table.
   *
   * @return 0 when every row passed, 1 when one failed, 2 when the GPU is unusable
   */
  public static int run(int device, List<CheckSection> sections, PrintStream out) {
    CudaProbe.Result probe = CudaProbe.probe();
    if (!probe.available()) {
      out.println("no usable GPU: " + probe.reason());
      return 2;
    }
    long start = System.nanoTime();
    List<String[]> table = new ArrayList<>();
    boolean allPass = true;
    try (CudaBackend gpu = CudaBackend.open(CudaOptions.defaults().withDevice(device));
        Backend cpu = openCpuOrNull(out)) {
      out.printf(
          "device %s: %s (sm_%d, %s)%n",
          gpu.name(), gpu.deviceName(), gpu.computeCapability(), gpu.uuid());
      for (CheckSection s : sections) {
        long t0 = System.nanoTime();
        try {
          for (CheckSection.Row r : s.run(gpu, cpu)) {
            table.add(row(s.name(), r));
            allPass &= r.pass();
          }
        } catch (Exception | LinkageError e) {
          table.add(new String[] {s.name(), "section failed", e.toString(), "", "", "FAIL"});
          allPass = false;
        }
        out.printf("section %s took %.1f s%n", s.name(), (System.nanoTime() - t0) / 1e9);
      }
    }
    print(table, out);
    out.printf(
        "%s in %.1f s%n",
        allPass ? "all checks passed" : "SOME CHECKS FAILED", (System.nanoTime() - start) / 1e9);
    return allPass ? 0 : 1;
  }

  private static Backend openCpuOrNull(PrintStream out) {
    try {
      return BackendSelector.openCpu();
    } catch (RuntimeException e) {
      out.println("no CPU reference backend: " + e.getMessage());
      return null;
    }
  }

  static String[] row(String section, CheckSection.Row r) {
    String limit = r.bound() == CheckSection.Bound.NONE ? "" : r.bound().symbol() + fmt(r.limit());
    return new String[] {
      section, r.check(), fmt(r.value()), r.unit(), limit, r.pass() ? "ok" : "FAIL"
    };
  }

  private static String fmt(double v) {
    if (v == 0) {
      return "0";
    }
    double a = Math.abs(v);
    return a >= 0.01 && a < 1e5
        ? String.format(Locale.ROOT, "%.2f", v)
        : String.format(Locale.ROOT, "%.2e", v);
  }

  static void print(List<String[]> table, PrintStream out) {
    String[] header = {"section", "check", "value", "unit", "limit", "result"};
    int[] w = new int[header.length];
    List<String[]> all = new ArrayList<>();
    all.add(header);
    all.addAll(table);
    for (String[] r : all) {
      for (int i = 0; i < r.length; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    for (String[] r : all) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        line.append(String.format("%-" + w[i] + "s", r[i])).append(i + 1 < r.length ? " | " : "");
      }
      out.println(line.toString().stripTrailing());
    }
  }
}
