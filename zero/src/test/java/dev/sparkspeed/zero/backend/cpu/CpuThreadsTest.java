package dev.sparkspeed.zero.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class CpuThreadsTest {
  @Test
  void coversEveryIndexOnceOnNamedThreads() {
    Set<String> names = ConcurrentHashMap.newKeySet();
    try (CpuThreads threads = new CpuThreads("test-pool", 3)) {
      int n = 1001;
      AtomicIntegerArray hits = new AtomicIntegerArray(n);
      threads.forRange(
          n,
          1,
          (lo, hi) -> {
            names.add(Thread.currentThread().getName());
            for (int i = lo; i < hi; i++) {
              hits.incrementAndGet(i);
            }
          });
      for (int i = 0; i < n; i++) {
        assertEquals(1, hits.get(i), "index " + i);
      }
    }
    assertTrue(names.contains(Thread.currentThread().getName()), "caller takes a piece");
    assertTrue(names.stream().anyMatch(s -> s.startsWith("test-pool-")), names.toString());
  }

  @Test
  void smallRangesRunInline() {
    try (CpuThreads threads = new CpuThreads("test-pool", 4)) {
      Thread caller = Thread.currentThread();
      threads.forRange(100, 1000, (lo, hi) -> assertSame(caller, Thread.currentThread()));
    }
  }

  @Test
  void aFailureInAWorkerReachesTheCaller() {
    try (CpuThreads threads = new CpuThreads("test-pool", 2)) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  threads.forRange(
                      10,
                      1,
                      (lo, hi) -> {
                        if (lo > 0) {
                          throw new IllegalStateException("piece " + lo);
                        }
                      }));
      assertEquals("piece 5", e.getMessage());
    }
  }

  @Test
  void closeStopsTheThreads() throws InterruptedException {
    CpuThreads threads = new CpuThreads("closing-pool", 3);
    threads.forRange(10, 1, (lo, hi) -> {});
    threads.close();
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (poolAlive() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertFalse(poolAlive(), "pool threads still running after close");
  }

  private static boolean poolAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().startsWith("closing-pool-") && t.isAlive());
  }

  @Test
  void aLoopStartedInsideAPieceRunsInline() {
    try (CpuThreads threads = new CpuThreads("test-pool", 2)) {
      AtomicIntegerArray hits = new AtomicIntegerArray(100);
      threads.forRange(
          10,
          1,
          (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
              int row = i;
              threads.forRange(
                  10,
                  1,
                  (a, b) -> {
                    for (int j = a; j < b; j++) {
                      hits.incrementAndGet(row * 10 + j);
                    }
                  });
            }
          });
      for (int i = 0; i < 100; i++) {
        assertEquals(1, hits.get(i), "index " + i);
      }
    }
  }

  /** Loops back to back (workers spinning) and after pauses (workers parked): none may hang. */
  @Test
  void loopsHandOverWhetherWorkersSpinOrPark() {
    try (CpuThreads threads = new CpuThreads("test-pool", 3)) {
      assertTimeoutPreemptively(
          Duration.ofSeconds(60),
          () -> {
            int n = 64;
            for (int loop = 0; loop < 3000; loop++) {
              if (loop % 300 == 0) {
                Thread.sleep(2 * CpuThreads.SPIN_NANOS / 1_000_000 + 2);
              }
              AtomicIntegerArray hits = new AtomicIntegerArray(n);
              threads.forRange(
                  n,
                  1,
                  (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                      hits.incrementAndGet(i);
                    }
                  });
              for (int i = 0; i < n; i++) {
                assertEquals(1, hits.get(i), "loop " + loop + ", index " + i);
              }
            }
          });
    }
  }
}
