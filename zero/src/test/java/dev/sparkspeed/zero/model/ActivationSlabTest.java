package dev.sparkspeed.zero.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ActivationSlabTest {

  @Test
  void slabsThatFitAnIntStayOneDimensional() {
    assertArrayEquals(new int[] {12345}, ActivationSlab.flatShape(12345));
    assertArrayEquals(new int[] {Integer.MAX_VALUE}, ActivationSlab.flatShape(Integer.MAX_VALUE));
  }

  @Test
  void largerSlabsBecomeRowsThatCoverEveryElement() {
    // GPT-2 124M at B=8, T=1024 reserves about 3.6e9 activation floats.
    long elements = 3_612_345_678L;
    int[] shape = ActivationSlab.flatShape(elements);
    assertEquals(2, shape.length);
    assertEquals(ActivationSlab.WIDE_ROW, shape[1]);
    long covered = (long) shape[0] * shape[1];
    assertTrue(covered >= elements && covered - elements < ActivationSlab.WIDE_ROW, "" + covered);
  }

  @Test
  void viewsAreLaidOutInReservationOrder() {
    try (CpuBackend be = new CpuBackend();
        ActivationSlab slab = new ActivationSlab(be, "activations")) {
      int a = slab.reserve(2, 3);
      int b = slab.reserve(4);
      Tensor[] v = slab.allocate();
      assertEquals(0, v[a].offset());
      assertEquals(6, v[b].offset());
      assertArrayEquals(new int[] {4}, v[b].shape());
      assertEquals(10 * 4, be.liveBytes("activations"));
    }
  }
}
