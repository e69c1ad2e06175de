package dev.sparkspeed.zero.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class GpuCheckTest {

  @Test
  void withoutAGpuItExitsWithTwoAndSaysWhy() {
    Assumptions.assumeFalse(CudaProbe.available(), "this machine has a usable GPU");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int rc =
        GpuCheck.run(
            new String[] {"--sections", "parity", "--seed", "1"},
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(2, rc);
    assertTrue(out.contains("no usable GPU: " + CudaProbe.probe().reason()), out);
  }

  @Test
  void unknownSectionsAndArgumentsAreNamed() {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> GpuCheck.run(new String[] {"--sections", "gpt2"}, sink));
    assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("parity, nccl, gemm"));
    assertThrows(IllegalArgumentException.class, () -> GpuCheck.run(new String[] {"--fast"}, sink));
    IllegalArgumentException lone =
        assertThrows(
            IllegalArgumentException.class,
            () -> GpuCheckArgs.parse(new String[] {"--torch-tokens-per-s", "1000"}, 1));
    assertTrue(lone.getMessage().contains("--torch-params"), lone.getMessage());
  }

  @Test
  void withoutArgumentsEverySectionRunsAndTheBenchIsGpt2SmallAtB8T1024() {
    GpuCheckArgs a = GpuCheckArgs.parse(new String[0], 5);
    assertEquals(List.of("parity", "nccl", "gemm", "gpt2-step", "gpt2-bench"), a.sections());
    assertEquals(5, a.seed());
    assertEquals(new Gpt2BenchSection.Settings("gpt2-124m", 8, 1024, 2, 8), a.bench());
    assertEquals(null, a.torch());
    List<CheckSection> sections = GpuCheck.sections(a);
    assertEquals(
        a.sections(), sections.stream().map(CheckSection::name).toList(), "in the order asked");
  }

  @Test
  void benchAndTorchArgumentsAreRead() {
    GpuCheckArgs a =
        GpuCheckArgs.parse(
            new String[] {
              "--sections", "gemm, gpt2-bench",
              "--bench-model", "gpt2-tiny",
              "--bench-batch", "2",
              "--bench-seq", "64",
              "--bench-steps", "3",
              "--torch-tokens-per-s", "123456.5",
              "--torch-params", "124475904"
            },
            1);
    assertEquals(List.of("gemm", "gpt2-bench"), a.sections());
    assertEquals(new Gpt2BenchSection.Settings("gpt2-tiny", 2, 64, 2, 3), a.bench());
    assertEquals(new Gpt2BenchSection.TorchAnchor(123456.5, 124475904L), a.torch());
  }

  @Test
  void theTableAlignsEveryColumn() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    GpuCheck.print(
        List.of(
            new String[] {"parity", "gemm NN fp32", "1.2e-07", "rel err", "≤ 1e-5", "ok"},
            new String[] {"gemm", "bf16", "650.00", "TFLOP/s", "", "ok"},
            GpuCheck.row("gpt2-bench", CheckSection.Row.atLeast("MFU", 41.5, "%", 35))),
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(4, lines.length);
    int bar = lines[0].indexOf(" | value");
    assertEquals(bar, lines[1].indexOf(" | 1.2e-07"));
    assertEquals(bar, lines[2].indexOf(" | 650.00"));
    assertEquals(bar, lines[3].indexOf(" | 41.50"));
    assertTrue(lines[3].contains("| ≥ 35.00 | ok"), lines[3]);
  }

  @Test
  void parityErrorIsNormalizedByTheLargestReferenceValue() {
    float[] ref = {10f, -2f, 0f, Float.NaN, Float.POSITIVE_INFINITY};
    float[] same = ref.clone();
    assertEquals(0, ParityHarness.error(ref, same, i -> true));
    float[] off = {10f, -2f, 0.001f, Float.NaN, Float.POSITIVE_INFINITY};
    assertEquals(1e-4, ParityHarness.error(ref, off, i -> true), 1e-9);
    assertEquals(0, ParityHarness.error(ref, off, i -> i != 2), "masked elements are ignored");
    float[] nan = {Float.NaN, -2f, 0f, Float.NaN, Float.POSITIVE_INFINITY};
    assertEquals(Double.POSITIVE_INFINITY, ParityHarness.error(ref, nan, i -> true));
    float[] inf = {10f, -2f, 0f, Float.NaN, Float.NEGATIVE_INFINITY};
    assertEquals(Double.POSITIVE_INFINITY, ParityHarness.error(ref, inf, i -> true));
  }
}
