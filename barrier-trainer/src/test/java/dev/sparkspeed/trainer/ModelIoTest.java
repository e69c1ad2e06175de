package dev.sparkspeed.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import dev.sparkspeed.zero.train.ParamHash;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelIoTest {
  static final ModelSpec MLP =
      ModelSpec.resolve(
          "{\"model_type\": \"mlp\", \"input_dim\": 5, \"hidden\": [7], \"outputs\": 3,"
              + " \"activation\": \"tanh\"}");

  static float[] params(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] p = new float[(int) MLP.table().totalElements()];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) r.nextGaussian();
    }
    return p;
  }

  @Test
  void savedModelsLoadBackExactly(@TempDir Path tmp) throws Exception {
    float[] p = params(1);
    ObjectNode training = new ObjectMapper().createObjectNode().put("steps", 12);
    String dir = tmp.resolve("m").toUri().toString();
    String sha = ModelIo.save(new Configuration(), dir, MLP, p, training);
    ModelIo.Loaded back = ModelIo.load(new Configuration(), dir);
    assertArrayEquals(p, back.params());
    assertEquals(MLP, back.model());
    assertEquals(12, back.training().path("steps").asInt());
    byte[] raw = Files.readAllBytes(tmp.resolve("m/params.f32"));
    assertEquals(4L * p.length, raw.length);
    assertEquals(p[1], ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getFloat(4));
    try (Allocator a = new Allocator("hash")) {
      var buf = a.allocate("p", DType.FP32, p.length);
      Tensor t = Tensor.whole(buf);
      t.floats().put(p);
      assertEquals(ParamHash.sha256(t), sha, "the trainer's params_sha256 is the file's hash");
      buf.close();
    }
    var meta = new ObjectMapper().readTree(tmp.resolve("m/model.json").toFile());
    assertEquals(
        "layers.0.weight", meta.path("params").path("tensors").get(0).path("name").asText());
  }

  @Test
  void damagedOrUnfinishedSavesAreRefused(@TempDir Path tmp) throws Exception {
    String dir = tmp.resolve("m").toString();
    ModelIo.save(new Configuration(), dir, MLP, params(2), null);
    Path file = tmp.resolve("m/params.f32");
    byte[] raw = Files.readAllBytes(file);
    raw[9] ^= 1;
    Files.write(file, raw);
    Files.deleteIfExists(tmp.resolve("m/.params.f32.crc"));
    String e =
        assertThrows(IllegalArgumentException.class, () -> ModelIo.load(new Configuration(), dir))
            .getMessage();
    assertTrue(e.contains("damaged"), e);
    Files.delete(tmp.resolve("m/model.json"));
    String u =
        assertThrows(IllegalArgumentException.class, () -> ModelIo.load(new Configuration(), dir))
            .getMessage();
    assertTrue(u.contains("save did not finish"), u);
  }

  @Test
  void parameterCountMustMatchTheModel(@TempDir Path tmp) {
    assertThrows(
        IllegalArgumentException.class,
        () -> ModelIo.save(new Configuration(), tmp.toString(), MLP, new float[3], null));
  }
}
