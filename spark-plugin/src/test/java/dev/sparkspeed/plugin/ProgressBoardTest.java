package dev.sparkspeed.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProgressBoardTest {
  private static RankProgress report(String run, int rank, long step, double tps, double sec) {
    return new RankProgress(run, rank, 2, step, 100, 2.5, tps, sec, 1.0, 1000, 2000);
  }

  @Test
  void aStepIsPrintedOnceEveryRankReportedIt() {
    ProgressBoard b = new ProgressBoard();
    assertEquals(Optional.empty(), b.accept(report("a", 0, 10, 1000, 0.5)));
    Optional<String> line = b.accept(report("a", 1, 10, 3000, 2.0));
    assertTrue(line.isPresent());
    // Tokens per second add up over ranks; the slowest rank sets the pace and the ETA:
    // 90 steps left × 2 s = 3 minutes.
    assertEquals(
        "sparkspeed step 10/100  loss 2.5000  4000 tokens/s  2.000 s/step  loss scale 1"
            + "  ETA 0:03:00",
        line.get());
    assertEquals(0, b.pendingCount());
  }

  @Test
  void runsAndStepsAreKeptApart() {
    ProgressBoard b = new ProgressBoard();
    assertEquals(Optional.empty(), b.accept(report("a", 0, 10, 1, 1)));
    assertEquals(Optional.empty(), b.accept(report("b", 1, 10, 1, 1)));
    assertEquals(Optional.empty(), b.accept(report("a", 1, 20, 1, 1)));
    assertEquals(3, b.pendingCount());
    assertTrue(b.accept(report("a", 1, 10, 1, 1)).isPresent());
  }

  @Test
  void stepsAFailedRankNeverReportsAreDropped() {
    ProgressBoard b = new ProgressBoard();
    for (int s = 1; s <= ProgressBoard.PENDING_LIMIT + 50; s++) {
      b.accept(new RankProgress("a", 0, 2, s, 1000, 1, 1, 1, 1, 0, 0));
    }
    assertEquals(ProgressBoard.PENDING_LIMIT, b.pendingCount());
  }

  @Test
  void etaIsHoursMinutesSeconds() {
    assertEquals("1:01:05", ProgressBoard.hms(Duration.ofSeconds(3665)));
    assertEquals("0:00:00", ProgressBoard.hms(Duration.ZERO));
  }

  @Test
  void reportsOutsideTheRunAreRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> new RankProgress("a", 2, 2, 1, 10, 0, 0, 0, 1, 0, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> new RankProgress("a", 0, 2, 11, 10, 0, 0, 0, 1, 0, 0));
  }
}
