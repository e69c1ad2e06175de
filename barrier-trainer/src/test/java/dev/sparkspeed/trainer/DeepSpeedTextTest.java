package dev.sparkspeed.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.config.ConfigException;
import dev.sparkspeed.zero.config.DeepSpeedConfig;
import dev.sparkspeed.zero.config.SparkSpeedConfig.Device;
import org.junit.jupiter.api.Test;

/** The command line's --device written into the DeepSpeed config text. */
class DeepSpeedTextTest {
  private static final ModelSpec MODEL = ModelSpec.resolve("gpt2-tiny");

  private static DeepSpeedConfig parse(String json) {
    return DeepSpeedText.parse(json, 2, MODEL, 0);
  }

  @Test
  void theCommandLineDeviceWinsOverTheFileAndKeepsTheRest() {
    String file =
        "{\"train_micro_batch_size_per_gpu\": 3, \"sparkspeed\": {\"device\": \"cuda\","
            + " \"checkpoint_dir\": \"file:///tmp/ck\"}}";
    DeepSpeedConfig c = parse(DeepSpeedText.withDevice(file, "cpu"));
    assertEquals(Device.CPU, c.sparkspeed().device());
    assertEquals("file:///tmp/ck", c.sparkspeed().checkpointDir());
    assertEquals(3, c.batch().microBatchPerGpu());
  }

  @Test
  void aConfigWithoutTheBlockGetsOne() {
    String json = DeepSpeedText.withDevice(DeepSpeedText.DEFAULT, "cuda");
    assertEquals(Device.CUDA, parse(json).sparkspeed().device());
  }

  @Test
  void anUnknownDeviceIsNamedWhenTheConfigIsParsed() {
    String json = DeepSpeedText.withDevice(DeepSpeedText.DEFAULT, "tpu");
    ConfigException e = assertThrows(ConfigException.class, () -> parse(json));
    assertTrue(e.getMessage().contains("sparkspeed.device"), e.getMessage());
  }

  @Test
  void textThatIsNoJsonObjectIsRefused() {
    assertThrows(ConfigException.class, () -> DeepSpeedText.withDevice("[1, 2]", "cpu"));
    assertThrows(ConfigException.class, () -> DeepSpeedText.withDevice("{oops", "cpu"));
  }
}
