package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.DType;
import org.junit.jupiter.api.Test;

class CudaBackendOptionsTest {

  @Test
  void defaultsAreExactFp32() {
    CudaOptions o = CudaOptions.defaults();
    assertEquals(DType.FP32, o.layerGemm());
    assertFalse(o.allowTf32());
    assertEquals(0, o.device());
  }

  @Test
  void theLayerGemmTypeIsKeptByEveryOtherSetting() {
    CudaOptions o =
        CudaOptions.defaults()
            .withLayerGemm(DType.BF16)
            .withDevice(3)
            .withStaging(4096)
            .withTf32(true);
    assertEquals(new CudaOptions(3, true, 4096, DType.BF16), o);
    assertEquals(DType.FP16, o.withLayerGemm(DType.FP16).layerGemm());
  }

  @Test
  void integerGemmsAreRefusedByName() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CudaOptions.defaults().withLayerGemm(DType.INT32));
    assertTrue(e.getMessage().contains("INT32") && e.getMessage().contains("BF16"));
  }
}
