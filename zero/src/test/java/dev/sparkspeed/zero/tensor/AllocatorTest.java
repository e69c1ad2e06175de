package dev.sparkspeed.zero.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AllocatorTest {
  @Test
  void countsBytesPerPurposeAndPeak() {
    try (Allocator a = new Allocator("test")) {
      HostBuffer p = a.allocate("params", DType.FP32, 100);
      HostBuffer h = a.allocate("params", DType.BF16, 10);
      HostBuffer g = a.allocate("grads", DType.FP16, 50);
      assertEquals(420, a.liveBytes("params"));
      assertEquals(100, a.liveBytes("grads"));
      assertEquals(0, a.liveBytes("adam_m"));
      assertEquals(520, a.liveBytes());
      assertEquals(Map.of("grads", 100L, "params", 420L), a.liveByPurpose());
      assertEquals(3, a.allocationCount());
      p.close();
      p.close();
      assertEquals(20, a.liveBytes("params"), "double close releases once");
      assertEquals(520, a.peakBytes());
      h.close();
      g.close();
      assertEquals(0, a.liveBytes());
    }
  }

  @Test
  void closingWithLiveBuffersFailsAndNamesThem() {
    Allocator a = new Allocator("leaky");
    HostBuffer kept = a.allocate("adam_v", DType.FP32, 8);
    a.allocate("grads", DType.FP32, 2).close();
    Allocator.LeakException e = assertThrows(Allocator.LeakException.class, a::close);
    assertTrue(e.getMessage().contains("adam_v=32"), e.getMessage());
    assertTrue(e.getMessage().contains("leaky"), e.getMessage());
    assertTrue(kept.isClosed(), "leaked buffers are freed anyway");
    assertThrows(IllegalStateException.class, () -> a.allocate("x", DType.FP32, 1));
  }

  @Test
  void limitRejectsAndKeepsCountsUnchanged() {
    try (Allocator a = new Allocator("small", 64)) {
      HostBuffer b = a.allocate("activations", DType.FP32, 12);
      OutOfMemoryError e =
          assertThrows(OutOfMemoryError.class, () -> a.allocate("grads", DType.FP32, 5));
      assertTrue(e.getMessage().contains("grads") && e.getMessage().contains("64"));
      assertEquals(48, a.liveBytes());
      HostBuffer c = a.allocate("grads", DType.FP32, 4);
      c.close();
      b.close();
    }
  }

  @Test
  void useAfterCloseFails() {
    try (Allocator a = new Allocator("test")) {
      HostBuffer b = a.allocate("params", DType.FP32, 4);
      b.close();
      IllegalStateException e = assertThrows(IllegalStateException.class, b::floats);
      assertTrue(e.getMessage().contains("params"));
    }
  }

  @Test
  void buffersAreZeroedAndTyped() {
    try (Allocator a = new Allocator("test")) {
      HostBuffer b = a.allocate("params", DType.FP32, 16);
      try {
        for (int i = 0; i < 16; i++) {
          assertEquals(0f, b.floats().get(i));
        }
        assertThrows(IllegalStateException.class, b::shorts);
        assertThrows(IllegalStateException.class, b::ints);
      } finally {
        b.close();
      }
    }
  }
}
