package dev.sparkspeed.zero.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BatchConfigTest {

  private static BatchConfig batch(String json, int world) {
    return DeepSpeedConfig.parse(json, AutoValues.world(world)).batch();
  }

  private static ConfigException error(String json, int world) {
    return assertThrows(ConfigException.class, () -> batch(json, world));
  }

  @Test
  void allThreeConsistentAreKept() {
    BatchConfig b =
        batch(
            "{\"train_batch_size\": 16, \"train_micro_batch_size_per_gpu\": 4,"
                + " \"gradient_accumulation_steps\": 2}",
            2);
    assertEquals(new BatchConfig(16, 4, 2, 2), b);
  }

  @Test
  void mismatchShowsTheArithmeticAndWorldSize() {
    ConfigException e =
        error(
            "{\"train_batch_size\": 32, \"train_micro_batch_size_per_gpu\": 4,"
                + " \"gradient_accumulation_steps\": 2}",
            2);
    assertEquals(
        "train_batch_size 32 is not train_micro_batch_size_per_gpu 4 × gradient_accumulation_steps"
            + " 2 × world size 2 = 16",
        e.getMessage());
    assertEquals("train_batch_size", e.key());
  }

  @Test
  void trainAndMicroGiveAccumulation() {
    assertEquals(
        new BatchConfig(32, 4, 4, 2),
        batch("{\"train_batch_size\": 32, \"train_micro_batch_size_per_gpu\": 4}", 2));
  }

  @Test
  void trainAndAccumulationGiveMicro() {
    assertEquals(
        new BatchConfig(48, 8, 2, 3),
        batch("{\"train_batch_size\": 48, \"gradient_accumulation_steps\": 2}", 3));
  }

  @Test
  void microAndAccumulationGiveTrain() {
    assertEquals(
        new BatchConfig(40, 5, 2, 4),
        batch("{\"train_micro_batch_size_per_gpu\": 5, \"gradient_accumulation_steps\": 2}", 4));
  }

  @Test
  void trainAloneMeansNoAccumulation() {
    assertEquals(new BatchConfig(12, 3, 1, 4), batch("{\"train_batch_size\": 12}", 4));
  }

  @Test
  void microAloneMeansNoAccumulation() {
    assertEquals(new BatchConfig(12, 6, 1, 2), batch("{\"train_micro_batch_size_per_gpu\": 6}", 2));
  }

  @Test
  void roundedDownDerivationIsReportedWithHowItWasDerived() {
    ConfigException e =
        error("{\"train_batch_size\": 30, \"train_micro_batch_size_per_gpu\": 4}", 2);
    assertEquals(
        "train_batch_size 30 is not train_micro_batch_size_per_gpu 4 × gradient_accumulation_steps"
            + " 3 × world size 2 = 24 (gradient_accumulation_steps derived as 30 ÷ 4 ÷ 2)",
        e.getMessage());
  }

  @Test
  void trainSmallerThanWorldIsAnError() {
    ConfigException e = error("{\"train_batch_size\": 2}", 4);
    assertEquals("train_micro_batch_size_per_gpu", e.key());
    assertEquals(
        "\"train_micro_batch_size_per_gpu\" comes out as 0 (train_micro_batch_size_per_gpu derived"
            + " as 2 ÷ 4): \"train_batch_size\" 2 is too small for world size 4",
        e.getMessage());
  }

  @Test
  void neitherTrainNorMicroIsAnError() {
    assertEquals("train_batch_size", error("{}", 1).key());
    ConfigException e = error("{\"gradient_accumulation_steps\": 4}", 1);
    assertEquals(
        "set \"train_batch_size\" or \"train_micro_batch_size_per_gpu\" (DeepSpeed needs one of"
            + " them)",
        e.getMessage());
  }

  @Test
  void zeroOrNegativeSizesNameTheKey() {
    ConfigException e = error("{\"train_micro_batch_size_per_gpu\": 0}", 1);
    assertEquals("\"train_micro_batch_size_per_gpu\" must be at least 1, got 0", e.getMessage());
    assertEquals(
        "gradient_accumulation_steps",
        error("{\"train_batch_size\": 8, \"gradient_accumulation_steps\": -1}", 1).key());
  }

  @Test
  void constructorRejectsInconsistentSizes() {
    assertThrows(ConfigException.class, () -> new BatchConfig(10, 4, 2, 1));
  }
}
