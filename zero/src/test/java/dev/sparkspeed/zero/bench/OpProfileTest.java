package dev.sparkspeed.zero.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpProfileTest {

  @Test
  void countsOnlyCallsMadeWhileEnabledAndPassesResultsThrough() {
    try (CpuBackend cpu = new CpuBackend()) {
      OpProfile profile = OpProfile.over(cpu);
      Backend be = profile.backend();
      Tensor t = be.allocate("x", DType.FP32, 1000);
      be.fill(t, 1f);
      profile.enable(true);
      be.fill(t, 2f);
      be.fill(t, 3f);
      be.scale(t, 0.5f);
      double ss = be.sumOfSquares(t);
      profile.enable(false);
      be.fill(t, 4f);
      assertEquals(1000 * 1.5 * 1.5, ss, 1e-9, "results come back through the proxy");
      List<String> report = profile.report(10);
      assertTrue(report.get(0).startsWith("profiled total"), report.toString());
      String fills = report.stream().filter(l -> l.contains("fill")).findFirst().orElseThrow();
      assertTrue(fills.contains(" 2 calls"), fills);
      assertTrue(report.stream().anyMatch(l -> l.contains("scale") && l.contains(" 1 calls")));
      assertTrue(report.stream().noneMatch(l -> l.contains("allocate")), report.toString());
      be.free(t);
    }
  }

  @Test
  void exceptionsOfTheBackendAreRethrownUnwrapped() {
    try (CpuBackend cpu = new CpuBackend()) {
      OpProfile profile = OpProfile.over(cpu);
      profile.enable(true);
      Backend be = profile.backend();
      Tensor a = be.allocate("a", DType.FP32, 4);
      Tensor b = be.allocate("b", DType.FP32, 5);
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> be.copy(a, b));
      assertTrue(e.getMessage().contains("equal sizes"), e.getMessage());
      be.free(a);
      be.free(b);
    }
  }
}
