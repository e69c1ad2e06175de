package dev.sparkspeed.zero.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsyncCheckpointWriterTest {
  private static final String THREAD = "checkpoint-writer-test";

  @TempDir Path dir;

  @Test
  void savesTheBytesAsTheyWereWhenSaveReturned() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir, false);
    try (Allocator alloc = new Allocator("test");
        HostBuffer params = alloc.allocate("params", DType.FP32, 300_000);
        HostBuffer moments = alloc.allocate("adam_m", DType.BF16, 1001)) {
      FloatBuffer p = params.floats();
      for (int i = 0; i < 300_000; i++) {
        p.put(i, i);
      }
      try (AsyncCheckpointWriter async = new AsyncCheckpointWriter(alloc, THREAD)) {
        for (int step = 1; step <= 2; step++) {
          async.saveRank(
              store,
              "s" + step,
              0,
              List.of(
                  NamedTensor.part("params.rank0", Tensor.whole(params), "params", 0, 300_000),
                  NamedTensor.of("m", Tensor.of(moments, 0, 7, 143))));
          long staging = alloc.liveBytes("checkpoint_staging");
          assertTrue(staging >= 1_202_002, "staging holds a copy: " + staging);
          // Training goes on and changes the originals while the save is in flight.
          for (int i = 0; i < 300_000; i++) {
            p.put(i, -1);
          }
          FileReport report = async.await();
          assertNull(async.await(), "a report is handed out once");
          CheckpointCommitter.commit(
              store, "s" + step, CheckpointFixture.meta(step), List.of(report.toJson()), 0);
          for (int i = 0; i < 300_000; i++) {
            p.put(i, i * step);
          }
        }
        assertEquals(1, alloc.allocationCount() - 2, "the second save reused the staging");
      }
      assertEquals(0, alloc.liveBytes("checkpoint_staging"), "close frees staging");
    }
    try (CheckpointReader r = CheckpointReader.open(store, "s2");
        Allocator alloc = new Allocator("read");
        HostBuffer back = alloc.allocate("params", DType.FP32, 300_000)) {
      r.read("params", Tensor.whole(back));
      for (int i = 0; i < 300_000; i += 997) {
        assertEquals(i, back.floats().get(i), "element " + i);
      }
      assertEquals(List.of(7L, 143L), List.of(r.entry("m").shape()[0], r.entry("m").shape()[1]));
    }
    assertFalse(threadAlive(), "the writer thread is stopped by close");
  }

  @Test
  void aFailedBackgroundWriteSurfacesOnTheNextCall() throws Exception {
    Path blocker = dir.resolve("not-a-directory");
    Files.writeString(blocker, "x");
    CheckpointStore store = new LocalCheckpointStore(blocker, false);
    try (Allocator alloc = new Allocator("test");
        HostBuffer b = alloc.allocate("params", DType.FP32, 10)) {
      AsyncCheckpointWriter async = new AsyncCheckpointWriter(alloc, THREAD);
      async.saveRank(store, "s1", 3, List.of(NamedTensor.of("p", Tensor.whole(b))));
      IOException e =
          assertThrows(
              IOException.class,
              () -> async.saveRank(store, "s2", 3, List.of(NamedTensor.of("p", Tensor.whole(b)))));
      assertTrue(
          e.getMessage().contains("s1/rank_3.bin") && e.getMessage().contains(THREAD),
          e.getMessage());
      async.close();
    }
    assertFalse(threadAlive());
  }

  /** Whether the writer thread is still alive after a grace period for it to finish exiting. */
  private static boolean threadAlive() throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (true) {
      boolean alive =
          Thread.getAllStackTraces().keySet().stream()
              .anyMatch(t -> t.getName().equals(THREAD) && t.isAlive());
      if (!alive || System.nanoTime() > deadline) {
        return alive;
      }
      Thread.sleep(10);
    }
  }
}
