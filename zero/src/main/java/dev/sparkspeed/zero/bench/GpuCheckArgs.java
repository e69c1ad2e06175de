package dev.sparkspeed.zero.bench;

import java.util.Arrays;
import java.util.List;

/**
 * GpuCheck's command line.
 *
 * @param device CUDA device ordinal
 * @param sections section names in run order
 * @param gemmSize m = n = k of the GEMM benchmark
 * @param seed seed of every random input
 * @param bench what the GPT-2 benchmark times
 * @param torch PyTorch eager's figures from bin/gpu-check-torch.py, or null when it did not run
 */
record GpuCheckArgs(
    int device,
    List<String> sections,
    int gemmSize,
    long seed,
    Gpt2BenchSection.Settings bench,
    Gpt2BenchSection.TorchAnchor torch) {

  /** Every built-in section, in the order the full check runs them. */
  static final List<String> ALL_SECTIONS =
      List.of("parity", "nccl", "gemm", "gpt2-step", "gpt2-bench");

  static final String USAGE =
      "--device N, --sections "
          + String.join(",", ALL_SECTIONS)
          + ", --gemm-size N, --seed S, --bench-model NAME, --bench-batch B, --bench-seq T,"
          + " --bench-steps K, --torch-tokens-per-s X, --torch-params N";

  /** Parses {@code --name value} pairs; unknown names and missing values fail with the usage. */
  static GpuCheckArgs parse(String[] args, long defaultSeed) {
    int device = 0;
    List<String> sections = ALL_SECTIONS;
    int gemmSize = 8192;
    long seed = defaultSeed;
    Gpt2BenchSection.Settings d = Gpt2BenchSection.Settings.defaults();
    String model = d.model();
    int batch = d.batch();
    int seq = d.seq();
    int steps = d.steps();
    double torchTps = Double.NaN;
    long torchParams = -1;
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(name + " needs a value; arguments: " + USAGE);
      }
      String v = args[i + 1];
      switch (name) {
        case "--device" -> device = Integer.parseInt(v);
        case "--sections" -> sections = Arrays.stream(v.split(",")).map(String::trim).toList();
        case "--gemm-size" -> gemmSize = Integer.parseInt(v);
        case "--seed" -> seed = Long.parseLong(v);
        case "--bench-model" -> model = v;
        case "--bench-batch" -> batch = Integer.parseInt(v);
        case "--bench-seq" -> seq = Integer.parseInt(v);
        case "--bench-steps" -> steps = Integer.parseInt(v);
        case "--torch-tokens-per-s" -> torchTps = Double.parseDouble(v);
        case "--torch-params" -> torchParams = Long.parseLong(v);
        default ->
            throw new IllegalArgumentException(
                "unknown argument " + name + "; arguments: " + USAGE);
      }
    }
    for (String s : sections) {
      if (!ALL_SECTIONS.contains(s)) {
        throw new IllegalArgumentException(
            "unknown section " + s + "; built in: " + String.join(", ", ALL_SECTIONS));
      }
    }
    if (Double.isNaN(torchTps) != (torchParams < 0)) {
      throw new IllegalArgumentException(
          "--torch-tokens-per-s and --torch-params come together (both from gpu-check-torch.py)");
    }
    Gpt2BenchSection.TorchAnchor torch =
        Double.isNaN(torchTps) ? null : new Gpt2BenchSection.TorchAnchor(torchTps, torchParams);
    return new GpuCheckArgs(
        device,
        sections,
        gemmSize,
        seed,
        new Gpt2BenchSection.Settings(model, batch, seq, d.warmup(), steps),
        torch);
  }
}
