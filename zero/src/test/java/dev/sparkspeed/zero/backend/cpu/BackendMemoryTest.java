package dev.sparkspeed.zero.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Allocation through both CPU backends: counting, free, limits and leak reports. */
class BackendMemoryTest {
  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void countsPerPurposeAndFrees(String name) {
    try (Backend be = GradientCheckTest.create(name)) {
      assertEquals(name, be.name());
      Tensor p = be.allocate("params", DType.FP32, 10, 3);
      Tensor h = be.allocate("params16", DType.BF16, 7);
      Tensor a = be.allocate("activations", DType.FP32, 5);
      assertEquals(3, be.allocationCount());
      assertEquals(120, be.liveBytes("params"));
      assertEquals(14, be.liveBytes("params16"));
      assertEquals(154, be.liveBytes());
      assertEquals(0f, p.floats().get(29), "allocate zero-fills");
      be.free(p);
      assertEquals(0, be.liveBytes("params"));
      be.free(h);
      be.free(a);
      assertEquals(0, be.liveBytes());
      assertEquals(3, be.allocationCount());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void closeWithLiveTensorReportsTheLeak(String name) {
    Backend be = GradientCheckTest.create(name);
    be.allocate("adam_m", DType.FP32, 4);
    Allocator.LeakException e = assertThrows(Allocator.LeakException.class, be::close);
    assertTrue(e.getMessage().contains("adam_m"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void freeRejectsAView(String name) {
    try (Backend be = GradientCheckTest.create(name)) {
      Tensor t = be.allocate("grads", DType.FP32, 8);
      try {
        assertThrows(IllegalArgumentException.class, () -> be.free(t.view(2, 4)));
      } finally {
        be.free(t);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void limitIsEnforced(String name) {
    try (Backend be = name.equals("cpu") ? new CpuBackend(1, 1024) : new ReferenceBackend(1024)) {
      Tensor t = be.allocate("params", DType.FP32, 200);
      try {
        OutOfMemoryError e =
            assertThrows(OutOfMemoryError.class, () -> be.allocate("grads", DType.FP32, 100));
        assertTrue(e.getMessage().contains("grads"), e.getMessage());
      } finally {
        be.free(t);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void wrongSizesAndTokensFailWithTheOperandNamed(String name) {
    try (Backend be = GradientCheckTest.create(name);
        TestTensors tt = new TestTensors(41)) {
      Tensor small = tt.zeros(3);
      Tensor ok = tt.zeros(4);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> be.residualForward(ok, ok, small, 4));
      assertTrue(e.getMessage().contains("residual b"), e.getMessage());
      Tensor tokens = tt.ints(new int[] {0, 9}, 1, 2);
      Tensor wte = tt.zeros(4, 2);
      Tensor wpe = tt.zeros(2, 2);
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> be.encoderForward(ok, tokens, wte, wpe, 1, 2, 2));
      assertTrue(e.getMessage().contains("token 9"), e.getMessage());
      Tensor targets = tt.ints(new int[] {7}, 1);
      Tensor logits = tt.zeros(1, 4);
      e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  be.crossEntropyForward(
                      tt.zeros(1), tt.zeros(1, 4), logits, targets, 1, 3, 4, -1));
      assertTrue(e.getMessage().contains("target 7"), e.getMessage());
    }
  }
}
