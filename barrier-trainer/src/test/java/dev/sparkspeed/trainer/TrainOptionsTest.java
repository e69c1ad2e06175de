package dev.sparkspeed.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainOptionsTest {
  private static String error(TrainOptions.Builder b) {
    return assertThrows(IllegalArgumentException.class, b::build).getMessage();
  }

  @Test
  void inputColumnsMustDescribeOneInputShape() {
    TrainOptions.Builder gpt = TrainOptions.builder().model("gpt2-tiny");
    assertTrue(error(gpt).startsWith("no input columns"));
    assertTrue(error(gpt.textColumn("t").tokensColumn("ids")).contains("not both"));
    assertTrue(
        error(TrainOptions.builder().model("m").textColumn("t").labelColumn("y"))
            .contains("cannot be combined"));
    assertTrue(error(TrainOptions.builder().model("m").featuresColumn("x")).startsWith("no input"));
    assertEquals(
        List.of("x", "y"),
        TrainOptions.builder()
            .model("m")
            .featuresColumn("x")
            .labelColumn("y")
            .build()
            .inputColumns());
  }

  @Test
  void rangesAreChecked() {
    TrainOptions.Builder b = TrainOptions.builder().model("gpt2-tiny").textColumn("t");
    assertTrue(error(b.worldSize(0)).contains("world size 0"));
    assertTrue(error(b.worldSize(1).maxSteps(-1)).contains("max steps -1"));
    assertTrue(error(TrainOptions.builder().textColumn("t")).startsWith("model is not set"));
    b = TrainOptions.builder().model("gpt2-tiny").textColumn("t");
    assertTrue(error(b.saveEvery(-2)).contains("save every -2 steps"));
    assertTrue(error(b.saveEvery(-1).worldSize(2).haltAfterStep(2, 3)).contains("halt rank 2"));
    assertEquals(-1, b.haltAfterStep(1, 3).build().saveEvery(), "the config's interval by default");
  }

  @Test
  void optionsSurviveTheTripToTheExecutors() throws Exception {
    TrainOptions o =
        TrainOptions.builder().model("gpt2-tiny").textColumn("t").worldSize(3).maxSteps(7).build();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    TrainOptions back =
        (TrainOptions)
            new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray())).readObject();
    assertEquals(o.toString(), back.toString());
    assertEquals(7, back.maxSteps());
  }

  @Test
  void modelsResolveFromPresetJsonOrFile(@TempDir Path tmp) throws Exception {
    assertEquals(ModelSpec.Kind.GPT2, ModelSpec.resolve("gpt2-tiny").kind());
    String mlp =
        "{\"model_type\": \"mlp\", \"input_dim\": 3, \"hidden\": [4], \"outputs\": 2,"
            + " \"activation\": \"relu\"}";
    ModelSpec m = ModelSpec.resolve(mlp);
    assertEquals(3, m.mlp().inputDim());
    Path f = tmp.resolve("model.json");
    Files.writeString(f, mlp);
    assertEquals(m, ModelSpec.resolve(f.toString()));
    assertEquals(64, ModelSpec.resolve("gpt2-mini").seqLen(0));
    assertEquals(16, ModelSpec.resolve("gpt2-mini").seqLen(16));
    String e =
        assertThrows(IllegalArgumentException.class, () -> ModelSpec.resolve("gpt3")).getMessage();
    assertTrue(e.contains("neither a preset"), e);
  }
}
