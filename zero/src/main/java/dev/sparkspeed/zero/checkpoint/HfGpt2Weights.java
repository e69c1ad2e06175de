package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkspeed.zero.checkpoint.HfGpt2Layout.Entry;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads GPT-2 weights in Hugging Face's layout (a directory with {@code config.json} and {@code
 * model.safetensors}, as {@link HfGpt2Export} writes or as published for GPT-2) into the engine's
 * flat FP32 parameter order, transposing Conv1D weights back and zero-padding the vocabulary. Keys
 * may carry GPT2LMHeadModel's {@code transformer.} prefix; the tied {@code lm_head.weight} and the
 * attention-mask buffers some files carry are skipped. F32, BF16 and F16 tensors are accepted.
 */
public final class HfGpt2Weights {
  private HfGpt2Weights() {}

  /** The model a Hugging Face GPT-2 directory describes (vocabulary padded as the engine pads). */
  public static Gpt2Config config(Path dir) throws IOException {
    Path file = dir.resolve(HfGpt2Export.CONFIG_FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(
          file
              + " not found: --init-from needs a directory with config.json and model.safetensors");
    }
    byte[] json = Files.readAllBytes(file);
    JsonNode n = new JsonCheck(file.toString()).parse(json);
    return HfGpt2Layout.fromConfigJson(n, file.toString());
  }

  /**
   * Loads the weights of {@code dir} for a model of shape {@code target}.
   *
   * @return a host FP32 tensor of the target's Ψ parameters in table order, from {@code alloc} (the
   *     caller closes its storage)
   * @throws IllegalArgumentException when the directory's model differs from {@code target} or a
   *     tensor is missing or misshapen
   */
  public static Tensor load(Path dir, Gpt2Config target, Allocator alloc) throws IOException {
    Gpt2Config found = config(dir);
    if (found.nLayer() != target.nLayer()
        || found.nHead() != target.nHead()
        || found.nEmbd() != target.nEmbd()
        || found.vocabSize() != target.vocabSize()
        || found.blockSize() != target.blockSize()) {
      throw new IllegalArgumentException(
          dir
              + " holds GPT-2 "
              + found.toJson()
              + " but the model to train is "
              + target.toJson()
              + "; pick the matching --model");
    }
    Tensor out = Tensor.whole(alloc.allocate("init_from", DType.FP32, target.parameterCount()));
    try (SafetensorsReader r =
        SafetensorsReader.open(new LocalCheckpointStore(dir), HfGpt2Export.WEIGHTS_FILE)) {
      fill(r, target, out, dir.resolve(HfGpt2Export.WEIGHTS_FILE).toString());
    } catch (IOException | RuntimeException e) {
      out.storage().close();
      throw e;
    }
    return out;
  }

  private static void fill(SafetensorsReader r, Gpt2Config cfg, Tensor out, String source)
      throws IOException {
    Set<String> used = new HashSet<>();
    Set<String> names = new HashSet<>();
    r.entries().forEach(e -> names.add(e.name()));
    List<Entry> entries = HfGpt2Layout.entries(cfg);
    long largest = 1;
    for (Entry e : entries) {
      largest = Math.max(largest, e.hfNumel());
    }
    FloatBuffer hf =
        ByteBuffer.allocateDirect(Math.toIntExact(largest * 4))
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer();
    ByteBuffer raw =
        ByteBuffer.allocateDirect(Math.toIntExact(largest * 4)).order(ByteOrder.LITTLE_ENDIAN);
    for (Entry e : entries) {
      String key = key(names, e.key(), source);
      used.add(key);
      SafetensorsEntry se = r.entry(key);
      if (!Arrays.equals(se.shape(), e.hfShape())) {
        throw new IllegalArgumentException(
            source
                + ": tensor "
                + key
                + " has shape "
                + Arrays.toString(se.shape())
                + "; GPT-2 "
                + cfg.toJson()
                + " needs "
                + Arrays.toString(e.hfShape()));
      }
      DType t = se.engineType();
      int n = Math.toIntExact(e.hfNumel());
      ByteBuffer dst = raw.clear().limit(n * t.bytes());
      r.read(key, dst);
      dst.flip();
      widen(t, dst, hf, n, key, source);
      FloatBuffer ours = out.view(e.param().offset(), Math.toIntExact(e.param().size())).floats();
      HfGpt2Layout.fromHf(e, hf, ours);
    }
    List<String> extra = new ArrayList<>();
    for (SafetensorsEntry se : r.entries()) {
      String k = se.name();
      if (!used.contains(k) && !ignorable(k)) {
        extra.add(k);
      }
    }
    if (!extra.isEmpty()) {
      throw new IllegalArgumentException(
          source
              + " has tensors a GPT-2 "
              + cfg.toJson()
              + " does not: "
              + extra.subList(0, Math.min(5, extra.size()))
              + (extra.size() > 5 ? " and " + (extra.size() - 5) + " more" : ""));
    }
  }

  private static String key(Set<String> names, String name, String source) {
    for (String k : List.of(name, "transformer." + name)) {
      if (names.contains(k)) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        source + " has no tensor " + name + " (nor transformer." + name + ")");
  }

  /** Causal-mask buffers and the head tied to wte carry no weights of their own. */
  private static boolean ignorable(String key) {
    return key.endsWith(".attn.bias")
        || key.endsWith(".attn.masked_bias")
        || key.equals("lm_head.weight");
  }

  private static void widen(
      DType t, ByteBuffer src, FloatBuffer dst, int n, String key, String source) {
    switch (t) {
      case FP32 -> {
        for (int i = 0; i < n; i++) {
          dst.put(i, src.getFloat(i * 4));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          dst.put(i, DType.bf16ToFloat(src.getShort(i * 2)));
        }
      }
      case FP16 -> {
        for (int i = 0; i < n; i++) {
          dst.put(i, DType.fp16ToFloat(src.getShort(i * 2)));
        }
      }
      default ->
          throw new IllegalArgumentException(
              source + ": tensor " + key + " is " + t + "; weights must be F32, BF16 or F16");
    }
  }
}
