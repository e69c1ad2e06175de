package dev.sparkspeed.zero.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A GPT-2 family model's shape, with Hugging Face's key names.
 *
 * @param nLayer transformer blocks L
 * @param nHead attention heads NH (nEmbd must divide by it)
 * @param nEmbd channels C
 * @param vocabSize real vocabulary V
 * @param blockSize longest sequence maxT (position table rows)
 * @param paddedVocabSize Vp ≥ V, rounded up to a multiple of 128 for GEMM-friendly shapes
 */
public record Gpt2Config(
    int nLayer, int nHead, int nEmbd, int vocabSize, int blockSize, int paddedVocabSize) {

  private static final Set<String> KEYS =
      Set.of(
          "model_type",
          "n_layer",
          "n_head",
          "n_embd",
          "vocab_size",
          "block_size",
          "n_positions",
          "padded_vocab_size");

  public Gpt2Config {
    if (nLayer <= 0 || nHead <= 0 || nEmbd <= 0 || vocabSize <= 0 || blockSize <= 0) {
      throw new IllegalArgumentException(
          "GPT-2 config needs positive n_layer, n_head, n_embd, vocab_size, block_size; got "
              + nLayer
              + ", "
              + nHead
              + ", "
              + nEmbd
              + ", "
              + vocabSize
              + ", "
              + blockSize);
    }
    if (nEmbd % nHead != 0) {
      throw new IllegalArgumentException(
          "n_embd " + nEmbd + " is not divisible by n_head " + nHead);
    }
    if (paddedVocabSize < vocabSize) {
      throw new IllegalArgumentException(
          "padded_vocab_size " + paddedVocabSize + " < vocab_size " + vocabSize);
    }
  }

  /** A config with Vp = V rounded up to a multiple of 128. */
  public static Gpt2Config of(int nLayer, int nHead, int nEmbd, int vocabSize, int blockSize) {
    return new Gpt2Config(
        nLayer, nHead, nEmbd, vocabSize, blockSize, (vocabSize + 127) / 128 * 128);
  }

  /**
   * Named presets: gpt2-tiny (tests: L2 NH4 C64, byte vocab 256, T64), gpt2-mini (the quickstart:
   * L4 NH4 C128, V256, T128), gpt2-124m, gpt2-350m (GPT-2's own shapes, V 50257, T 1024).
   */
  public static Gpt2Config preset(String name) {
    return switch (name) {
      case "gpt2-tiny" -> of(2, 4, 64, 256, 64);
      case "gpt2-mini" -> of(4, 4, 128, 256, 128);
      case "gpt2-124m", "gpt2" -> of(12, 12, 768, 50257, 1024);
      case "gpt2-350m", "gpt2-medium" -> of(24, 16, 1024, 50257, 1024);
      default ->
          throw new IllegalArgumentException(
              "unknown model preset '"
                  + name
                  + "': expected gpt2-tiny, gpt2-mini, gpt2-124m, gpt2-350m, mlp, or a model JSON file");
    };
  }

  /** True if {@code name} is one of {@link #preset}'s names. */
  public static boolean isPreset(String name) {
    return Set.of("gpt2-tiny", "gpt2-mini", "gpt2-124m", "gpt2", "gpt2-350m", "gpt2-medium")
        .contains(name);
  }

  /** Reads n_layer, n_head, n_embd, vocab_size, block_size (or n_positions); unknown keys fail. */
  public static Gpt2Config fromJson(JsonNode n) {
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      String k = it.next().getKey();
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException("unknown GPT-2 config key '" + k + "'; valid: " + KEYS);
      }
    }
    int v = req(n, "vocab_size");
    int t = n.has("block_size") ? req(n, "block_size") : req(n, "n_positions");
    int vp = n.has("padded_vocab_size") ? req(n, "padded_vocab_size") : (v + 127) / 128 * 128;
    return new Gpt2Config(req(n, "n_layer"), req(n, "n_head"), req(n, "n_embd"), v, t, vp);
  }

  private static int req(JsonNode n, String key) {
    JsonNode v = n.get(key);
    if (v == null || !v.canConvertToInt()) {
      throw new IllegalArgumentException("GPT-2 config needs an integer '" + key + "', got " + v);
    }
    return v.intValue();
  }

  /** Hugging Face–style JSON (model_type gpt2). */
  public ObjectNode toJson() {
    ObjectNode o = new ObjectMapper().createObjectNode();
    o.put("model_type", "gpt2");
    o.put("n_layer", nLayer);
    o.put("n_head", nHead);
    o.put("n_embd", nEmbd);
    o.put("vocab_size", vocabSize);
    o.put("block_size", blockSize);
    o.put("padded_vocab_size", paddedVocabSize);
    return o;
  }

  /** Parameter count Ψ (with the padded vocabulary). */
  public long parameterCount() {
    return Gpt2Model.table(this).totalElements();
  }
}
