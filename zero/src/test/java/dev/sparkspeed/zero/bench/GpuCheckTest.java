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
    assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("parity, gemm"));
    assertThrows(IllegalArgumentException.class, () -> GpuCheck.run(new String[] {"--fast"}, sink));
  }

  @Test
  void theTableAlignsEveryColumn() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    GpuCheck.print(
        List.of(
            new String[] {"parity", "gemm NN fp32", "1.2e-07", "rel err", "≤ 1e-5", "ok"},
            new String[] {"gemm", "bf16", "650.00", "TFLOP/s", "", "ok"}),
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(3, lines.length);
    int bar = lines[0].indexOf(" | value");
    assertEquals(bar, lines[1].indexOf(" | 1.2e-07"));
    assertEquals(bar, lines[2].indexOf(" | 650.00"));
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
