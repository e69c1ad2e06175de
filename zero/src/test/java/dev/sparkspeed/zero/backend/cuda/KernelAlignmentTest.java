package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The wide kernels run only on aligned buffers; the check must reject any misaligned one. */
class KernelAlignmentTest {

  @Test
  void everyAddressMustBeAMultipleOfTheWidth() {
    assertTrue(CudaKernels.aligned(16, 0x1000, 0x2010));
    assertFalse(CudaKernels.aligned(16, 0x1000, 0x2008));
    assertTrue(CudaKernels.aligned(8, 0x2008));
    assertFalse(CudaKernels.aligned(8, 0x1000, 0x1002));
    assertTrue(CudaKernels.aligned(16), "no address: nothing to reject");
  }
}
