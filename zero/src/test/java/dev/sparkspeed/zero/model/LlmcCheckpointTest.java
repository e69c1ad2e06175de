package dev.sparkspeed.zero.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlmcCheckpointTest {
  /** L 2, NH 1, C 2, V 3, Vp 4, maxT 2: every tensor small enough to check element by element. */
  static final Gpt2Config TINY = new Gpt2Config(2, 1, 2, 3, 2, 4);

  @TempDir Path dir;

  /**
   * llm.c's 16 tensors in file order as {total elements, elements per layer (0 = not stacked)},
   * written out from train_gpt2.c's fill_in_parameter_sizes for L 2, C 2, Vp 4, maxT 2.
   */
  static final int L = 2;

  static final int C = 2;
  static final int[][] SIZES = {
    {4 * C, 0}, // wte (Vp, C)
    {2 * C, 0}, // wpe (maxT, C)
    {L * C, C}, // ln1w
    {L * C, C}, // ln1b
    {L * 3 * C * C, 3 * C * C}, // qkvw
    {L * 3 * C, 3 * C}, // qkvb
    {L * C * C, C * C}, // attprojw
    {L * C, C}, // attprojb
    {L * C, C}, // ln2w
    {L * C, C}, // ln2b
    {L * 4 * C * C, 4 * C * C}, // fcw
    {L * 4 * C, 4 * C}, // fcb
    {L * C * 4 * C, C * 4 * C}, // fcprojw
    {L * C, C}, // fcprojb
    {C, 0}, // lnfw
    {C, 0} // lnfb
  };

  /** Our name of llm.c tensor k (for per-layer tensors, the name after "h.i."). */
  static final String[] NAMES = {
    "wte.weight", "wpe.weight", "ln_1.weight", "ln_1.bias", "attn.c_attn.weight",
    "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
    "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias", "ln_f.weight",
    "ln_f.bias"
  };

  /**
   * Value stored at element i (below 128) of llm.c tensor k: the exponent tells the tensor, the
   * mantissa the element, and 7 mantissa bits keep it exact in bf16.
   */
  static float value(int k, int i) {
    return Math.scalb(1 + i / 128f, k - 8);
  }

  static Path handBuilt(Path file, int version, int magic, int truncateBy) throws IOException {
    int total = Arrays.stream(SIZES).mapToInt(s -> s[0]).sum();
    int eb = version == 5 ? 2 : 4;
    ByteBuffer b = ByteBuffer.allocate(1024 + total * eb).order(ByteOrder.LITTLE_ENDIAN);
    int[] header = {magic, version, 2, 3, L, 1, C, 4};
    for (int i = 0; i < 256; i++) {
      b.putInt(i < header.length ? header[i] : 0);
    }
    for (int k = 0; k < SIZES.length; k++) {
      for (int i = 0; i < SIZES[k][0]; i++) {
        if (version == 5) {
          b.putShort(DType.floatToBf16(value(k, i)));
        } else {
          b.putFloat(value(k, i));
        }
      }
    }
    Files.write(file, Arrays.copyOf(b.array(), b.capacity() - truncateBy));
    return file;
  }

  /** Checks every element of every parameter against the llm.c tensor and layer it came from. */
  static void assertMapped(ParameterTable table, Tensor params) {
    for (int k = 0; k < SIZES.length; k++) {
      int perLayer = SIZES[k][1];
      for (int l = 0; l < (perLayer == 0 ? 1 : L); l++) {
        String name = perLayer == 0 ? NAMES[k] : "h." + l + "." + NAMES[k];
        ParamSpec p = table.get(name);
        assertEquals(perLayer == 0 ? SIZES[k][0] : perLayer, p.size(), name + " size");
        for (int j = 0; j < p.size(); j++) {
          assertEquals(
              value(k, l * perLayer + j),
              params.floats().get((int) p.offset() + j),
              name + "[" + j + "]");
        }
      }
    }
  }

  @Test
  void handBuiltFp32FileMapsEveryTensorAndLayer() throws IOException {
    Path f = handBuilt(dir.resolve("tiny.bin"), 3, LlmcCheckpoint.MAGIC, 0);
    assertEquals(TINY, LlmcCheckpoint.readConfig(f));
    ParameterTable table = Gpt2Model.table(TINY);
    try (Allocator host = new Allocator("test")) {
      Tensor p = Tensor.whole(host.allocate("p", DType.FP32, table.totalElements()));
      LlmcCheckpoint.read(f, TINY, p);
      assertMapped(table, p);
      p.storage().close();
    }
  }

  @Test
  void handBuiltBf16FileReadsToo() throws IOException {
    Path f = handBuilt(dir.resolve("tiny-bf16.bin"), 5, LlmcCheckpoint.MAGIC, 0);
    ParameterTable table = Gpt2Model.table(TINY);
    try (Allocator host = new Allocator("test")) {
      Tensor p = Tensor.whole(host.allocate("p", DType.FP32, table.totalElements()));
      LlmcCheckpoint.read(f, TINY, p);
      assertMapped(table, p);
      p.storage().close();
    }
  }

  @Test
  void writeThenReadIsIdenticalAndMatchesLlmcLayout() throws IOException {
    Gpt2Config cfg = Gpt2Config.preset("gpt2-tiny");
    ParameterTable table = Gpt2Model.table(cfg);
    try (Allocator host = new Allocator("test")) {
      Tensor a = Tensor.whole(host.allocate("a", DType.FP32, table.totalElements()));
      Tensor b = Tensor.whole(host.allocate("b", DType.FP32, table.totalElements()));
      for (int i = 0; i < a.intSize(); i++) {
        a.floats().put(i, (float) Math.sin(i * 0.37));
      }
      Path f = dir.resolve("gpt2-tiny.bin");
      LlmcCheckpoint.write(f, cfg, a);
      assertEquals(1024 + 4 * table.totalElements(), Files.size(f));
      assertEquals(cfg, LlmcCheckpoint.readConfig(f));
      LlmcCheckpoint.read(f, cfg, b);
      float[] x = new float[a.intSize()];
      float[] y = new float[b.intSize()];
      a.floats().get(x);
      b.floats().get(y);
      assertArrayEquals(x, y);
      // in the file, wpe follows wte, and layer 1's ln_1.weight follows layer 0's
      ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
      int c = cfg.nEmbd();
      long wpeAt = 256 + (long) cfg.paddedVocabSize() * c;
      ParamSpec wpe = table.get("wpe.weight");
      assertEquals(x[(int) wpe.offset()], bytes.getFloat((int) (4 * wpeAt)));
      long ln1Layer1At = wpeAt + (long) cfg.blockSize() * c + c;
      assertEquals(
          x[(int) table.get("h.1.ln_1.weight").offset()], bytes.getFloat((int) (4 * ln1Layer1At)));
      assertTrue(Files.notExists(dir.resolve("gpt2-tiny.bin.partial")));
      a.storage().close();
      b.storage().close();
    }
  }

  @Test
  void mismatchedShapesNameBoth() throws IOException {
    Path f = handBuilt(dir.resolve("tiny.bin"), 3, LlmcCheckpoint.MAGIC, 0);
    Gpt2Config other = new Gpt2Config(3, 1, 2, 3, 2, 4);
    try (Allocator host = new Allocator("test")) {
      Tensor p = Tensor.whole(host.allocate("p", DType.FP32, other.parameterCount()));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> LlmcCheckpoint.read(f, other, p));
      assertTrue(e.getMessage().contains("L=2 NH=1 C=2 V=3 Vp=4 maxT=2"), e.getMessage());
      assertTrue(e.getMessage().contains("L=3 NH=1 C=2 V=3 Vp=4 maxT=2"), e.getMessage());
      p.storage().close();
    }
  }

  @Test
  void badHeadersAndLengthsAreRejected() throws IOException {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LlmcCheckpoint.readConfig(handBuilt(dir.resolve("m.bin"), 3, 12345, 0)));
    assertTrue(e.getMessage().contains("magic 12345"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LlmcCheckpoint.readConfig(handBuilt(dir.resolve("v.bin"), 1, 20240326, 0)));
    assertTrue(e.getMessage().contains("version 1"), e.getMessage());
    assertTrue(e.getMessage().contains("3 (fp32)"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LlmcCheckpoint.readConfig(handBuilt(dir.resolve("t.bin"), 3, 20240326, 4)));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    Path empty = Files.write(dir.resolve("e.bin"), new byte[10]);
    e = assertThrows(IllegalArgumentException.class, () -> LlmcCheckpoint.readConfig(empty));
    assertTrue(e.getMessage().contains("1024-byte header"), e.getMessage());
  }
}
