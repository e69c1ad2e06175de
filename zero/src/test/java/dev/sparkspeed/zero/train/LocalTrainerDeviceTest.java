package dev.sparkspeed.zero.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code --device} and {@code --gpu} of the in-process trainer, on a machine without a GPU. */
class LocalTrainerDeviceTest {
  private static final Set<String> OPTIONS = Set.of("device", "gpu");

  private static Args args(String... argv) {
    return new Args(argv, 0, OPTIONS);
  }

  private static CudaProbe.Result noGpuHere() {
    CudaProbe.Result here = CudaProbe.probe();
    Assumptions.assumeFalse(here.available(), "this machine has a usable GPU");
    return here;
  }

  @Test
  void cpuOpensTheCpuBackendSilently() throws Exception {
    List<String> notices = new ArrayList<>();
    try (Backend b = LocalTrainer.openBackend(args("--device", "cpu"), notices::add)) {
      assertTrue(b.name().startsWith("cpu"), b.name());
    }
    assertEquals(List.of(), notices);
  }

  @Test
  void autoFallsBackToTheCpuSayingWhy() throws Exception {
    CudaProbe.Result here = noGpuHere();
    for (Args a : List.of(args(), args("--device", "auto", "--gpu", "1"))) {
      List<String> notices = new ArrayList<>();
      try (Backend b = LocalTrainer.openBackend(a, notices::add)) {
        assertTrue(b.name().startsWith("cpu"), b.name());
      }
      assertEquals(List.of(here.reason()), notices);
    }
  }

  @Test
  void cudaFailsNamingWhatIsMissingAndWhatToSet() {
    CudaProbe.Result here = noGpuHere();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LocalTrainer.openBackend(args("--device", "cuda", "--gpu", "0"), m -> {}));
    assertTrue(e.getMessage().contains(here.reason()), e.getMessage());
    assertTrue(e.getMessage().contains("Set \"device\": \"cpu\" or \"auto\""), e.getMessage());
  }

  @Test
  void aGpuWithTheCpuDeviceIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LocalTrainer.openBackend(args("--device", "cpu", "--gpu", "1"), m -> {}));
    assertTrue(e.getMessage().contains("--gpu 1 needs --device cuda or auto"), e.getMessage());
  }

  @Test
  void theCommandLineSaysWhichBackendTrainsAndWhyAutoChoseIt() throws Exception {
    CudaProbe.Result here = noGpuHere();
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      System.setOut(p);
      LocalTrainer.main(
          new String[] {
            "--model",
            "gpt2-tiny",
            "--steps",
            "1",
            "--batch",
            "1",
            "--seq",
            "8",
            "--sample",
            "0",
            "--device",
            "auto"
          });
    } finally {
      System.setOut(old);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains(LocalTrainer.AUTO_USES_CPU + here.reason()), out);
    assertTrue(out.contains("backend cpu"), out);
    assertTrue(out.contains("RESULT steps=1"), out);
  }
}
