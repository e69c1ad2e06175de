package dev.sparkspeed.zero.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.checkpoint.CheckpointTool;
import dev.sparkspeed.zero.checkpoint.HfGpt2Weights;
import dev.sparkspeed.zero.checkpoint.LocalCheckpointStore;
import dev.sparkspeed.zero.checkpoint.SafetensorsReader;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Extras;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.FlatWeightSource;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.model.ParamSpec;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint written by 2 ranks at stage 3 consolidates into Hugging Face's GPT-2 layout (Conv1D
 * weights transposed, vocabulary padding dropped), loads back bit for bit, and gives the same
 * logits as the trained parameters.
 */
class ConsolidateTest {
  private static final Gpt2Config MODEL = TrainingRanks.MODEL;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Path ckpt;
  private float[] trained;

  @BeforeEach
  void trainAndSave() throws Exception {
    ckpt = dir.resolve("ckpt");
    trained =
        TrainingRanks.run(
                2,
                TrainingRanks.fp32(3),
                (e, host) -> {
                  TrainingRanks.train(e, host, 0, 4);
                  try (EngineCheckpoint ck =
                      new EngineCheckpoint(e, new LocalCheckpointStore(ckpt), 0, false)) {
                    ck.save("global_step4", Extras.none());
                  }
                  return TrainingRanks.params(e, host);
                })
            .get(0);
  }

  private Path consolidate(String dtype) throws Exception {
    Path out = dir.resolve("hf-" + dtype);
    CheckpointTool.main(
        new String[] {
          "consolidate", "--checkpoint", ckpt.toString(), "--out", out.toString(), "--dtype", dtype
        });
    return out;
  }

  @Test
  void fp32RoundTripIsExactAndGivesIdenticalLogits() throws Exception {
    Path out = consolidate("fp32");
    ParamSpec wte = Gpt2Model.table(MODEL).get("wte.weight");
    for (long i = (long) MODEL.vocabSize() * MODEL.nEmbd(); i < wte.size(); i++) {
      assertEquals(0f, trained[(int) (wte.offset() + i)], "padding rows must stay zero");
    }
    try (Allocator host = new Allocator("test")) {
      Tensor back = HfGpt2Weights.load(out, MODEL, host);
      float[] b = new float[back.intSize()];
      back.floats().get(b);
      assertArrayEquals(trained, b);
      float[] fromTrained = probs(host, trained);
      float[] fromFile = probs(host, b);
      assertArrayEquals(fromTrained, fromFile);
      back.storage().close();
    }
  }

  @Test
  void layoutIsHuggingFaces() throws Exception {
    Path out = consolidate("fp32");
    JsonNode cfg = JSON.readTree(out.resolve("config.json").toFile());
    assertEquals("gpt2", cfg.get("model_type").asText());
    assertEquals(MODEL.vocabSize(), cfg.get("vocab_size").asInt());
    assertEquals(MODEL.blockSize(), cfg.get("n_positions").asInt());
    assertEquals(MODEL.nLayer(), cfg.get("n_layer").asInt());
    int c = MODEL.nEmbd();
    try (SafetensorsReader r =
        SafetensorsReader.open(new LocalCheckpointStore(out), "model.safetensors")) {
      assertEquals(2 + 12 * MODEL.nLayer() + 2, r.entries().size());
      assertArrayEquals(new long[] {MODEL.vocabSize(), c}, r.entry("wte.weight").shape());
      assertArrayEquals(new long[] {c, 3L * c}, r.entry("h.1.attn.c_attn.weight").shape());
      assertArrayEquals(new long[] {c, 4L * c}, r.entry("h.0.mlp.c_fc.weight").shape());
      assertArrayEquals(new long[] {4L * c, c}, r.entry("h.0.mlp.c_proj.weight").shape());
      assertEquals("pt", r.metadata().get("format"));
      // hf[i][j] = ours[j][i] for a Conv1D weight: ours is (3C, C), Hugging Face's (C, 3C).
      ParamSpec p = Gpt2Model.table(MODEL).get("h.1.attn.c_attn.weight");
      ByteBuffer hf = ByteBuffer.allocate(c * 3 * c * 4).order(ByteOrder.LITTLE_ENDIAN);
      r.read("h.1.attn.c_attn.weight", hf);
      for (int i = 0; i < c; i += 7) {
        for (int j = 0; j < 3 * c; j += 5) {
          assertEquals(
              trained[(int) p.offset() + j * c + i], hf.getFloat((i * 3 * c + j) * 4), i + "," + j);
        }
      }
    }
  }

  @Test
  void bf16IsTheRoundedWeights() throws Exception {
    Path out = consolidate("bf16");
    assertEquals(
        "bfloat16", JSON.readTree(out.resolve("config.json").toFile()).get("torch_dtype").asText());
    try (Allocator host = new Allocator("test")) {
      Tensor back = HfGpt2Weights.load(out, MODEL, host);
      for (int i = 0; i < trained.length; i++) {
        assertEquals(
            DType.bf16ToFloat(DType.floatToBf16(trained[i])), back.floats().get(i), "element " + i);
      }
      back.storage().close();
    }
  }

  @Test
  void anotherModelIsRefused() throws Exception {
    Path out = consolidate("fp32");
    try (Allocator host = new Allocator("test")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> HfGpt2Weights.load(out, Gpt2Config.of(3, 2, 32, 64, 16), host));
      assertTrue(e.getMessage().contains("\"n_layer\":3"), e.getMessage());
    }
  }

  @Test
  void inspectPrintsTheManifest() throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      System.setOut(p);
      CheckpointTool.main(new String[] {"inspect", "--checkpoint", ckpt.toString(), "--verify"});
    } finally {
      System.setOut(old);
    }
    String s = buf.toString(StandardCharsets.UTF_8);
    assertTrue(s.contains("checkpoint global_step4"), s);
    assertTrue(s.contains("step 4, world size 2, ZeRO stage 3"), s);
    assertTrue(s.contains("flat tensor master"), s);
    assertTrue(s.contains("checksums: all tensors verified"), s);
  }

  /** Reads the file with Python's standard library only, independently of the Java reader. */
  @Test
  void pythonReadsTheSameWeights() throws Exception {
    assumeTrue(hasPython(), "python3 not found");
    Path out = consolidate("fp32");
    String script =
        "import json,struct,sys\n"
            + "f=open(sys.argv[1],'rb'); n=struct.unpack('<Q',f.read(8))[0]\n"
            + "h=json.loads(f.read(n)); base=8+n\n"
            + "t=h['h.0.attn.c_attn.weight']; a,b=t['data_offsets']\n"
            + "f.seek(base+a); v=struct.unpack('<%df'%((b-a)//4), f.read(b-a))\n"
            + "print(t['shape'][0], t['shape'][1], repr(v[1*t['shape'][1]+2]))\n";
    Path py = dir.resolve("check.py");
    Files.writeString(py, script);
    Process p =
        new ProcessBuilder("python3", py.toString(), out.resolve("model.safetensors").toString())
            .redirectErrorStream(true)
            .start();
    String got = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    int c = MODEL.nEmbd();
    long off = Gpt2Model.table(MODEL).get("h.0.attn.c_attn.weight").offset();
    // Python's row 1, column 2 of the (C, 3C) Conv1D weight is the engine's row 2, column 1.
    float expected = trained[(int) off + 2 * c + 1];
    String[] parts = got.split(" ");
    assertEquals(c + " " + 3 * c, parts[0] + " " + parts[1], got);
    assertEquals(expected, (float) Double.parseDouble(parts[2]), got);
  }

  private static boolean hasPython() {
    try {
      return new ProcessBuilder("python3", "-c", "pass").start().waitFor(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      return false;
    }
  }

  /** Softmax outputs of a fixed batch under parameters {@code params}. */
  private static float[] probs(Allocator host, float[] params) {
    int b = 2;
    try (CpuBackend be = new CpuBackend();
        Gpt2Model model = new Gpt2Model(MODEL, be, b, TrainingRanks.T)) {
      Tensor p = be.allocate("params", DType.FP32, params.length);
      p.floats().put(params);
      Batch batch = TrainingRanks.batch(host, 0, TrainingRanks.GLOBAL / b, 0);
      float loss = model.forward(new FlatWeightSource(p, null), batch);
      assertTrue(Float.isFinite(loss));
      float[] out = new float[Math.toIntExact(model.probs().size())];
      model.probs().floats().get(out);
      be.free(p);
      batch.inputs().storage().close();
      batch.targets().storage().close();
      return out;
    }
  }
}
