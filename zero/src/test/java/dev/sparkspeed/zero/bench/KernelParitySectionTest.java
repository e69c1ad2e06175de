package dev.sparkspeed.zero.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.backend.cpu.ReferenceBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The parity section itself, run with the CPU backend as the backend under test and the plain
 * reference loops as the reference: every row must be produced and pass, so the section's wiring
 * (shapes, tolerances, which outputs are compared) is checked where no GPU is.
 */
class KernelParitySectionTest {

  @Test
  void theCpuBackendPassesEveryRowAgainstTheReferenceLoops() throws Exception {
    try (CpuBackend cpu = new CpuBackend();
        ReferenceBackend ref = new ReferenceBackend()) {
      List<CheckSection.Row> rows = new KernelParitySection(11).run(cpu, ref);
      assertTrue(rows.size() > 30, "rows: " + rows.size());
      for (CheckSection.Row r : rows) {
        assertTrue(r.pass(), r.toString());
      }
      assertTrue(rows.stream().anyMatch(r -> r.check().equals("attentionBackward fp32")));
    }
  }
}
