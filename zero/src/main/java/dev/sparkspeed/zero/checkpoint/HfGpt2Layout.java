package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.model.ParamSpec;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * How the engine's GPT-2 parameter table maps onto Hugging Face's GPT-2 layout. The names are the
 * same; two things differ: Hugging Face's attention and MLP projections are {@code Conv1D} modules
 * whose weights are stored (in, out), the transpose of the engine's (out, in); and {@code
 * wte.weight} has V rows there, Vp ≥ V here (the padding rows are zero and never trained).
 */
public final class HfGpt2Layout {
  /**
   * One parameter in both layouts.
   *
   * @param param the engine's parameter (shape (out, in) for matrices, (Vp, C) for wte)
   * @param key its Hugging Face name
   * @param hfShape its Hugging Face shape
   * @param transposed true for Conv1D weights: hf[i][j] = ours[j][i]
   */
  public record Entry(ParamSpec param, String key, long[] hfShape, boolean transposed) {
    /** Elements in the Hugging Face tensor. */
    public long hfNumel() {
      long n = 1;
      for (long d : hfShape) {
        n *= d;
      }
      return n;
    }
  }

  private HfGpt2Layout() {}

  /** Every parameter of {@code cfg}'s table, in table order. */
  public static List<Entry> entries(Gpt2Config cfg) {
    List<Entry> out = new ArrayList<>();
    for (ParamSpec p : Gpt2Model.table(cfg).params()) {
      int[] s = p.shape();
      if (isConv1D(p.name())) {
        out.add(new Entry(p, p.name(), new long[] {s[1], s[0]}, true));
      } else if (p.name().equals("wte.weight")) {
        out.add(new Entry(p, p.name(), new long[] {cfg.vocabSize(), s[1]}, false));
      } else {
        long[] shape = new long[s.length];
        for (int i = 0; i < s.length; i++) {
          shape[i] = s[i];
        }
        out.add(new Entry(p, p.name(), shape, false));
      }
    }
    return out;
  }

  private static boolean isConv1D(String name) {
    return name.endsWith(".attn.c_attn.weight")
        || name.endsWith(".attn.c_proj.weight")
        || name.endsWith(".mlp.c_fc.weight")
        || name.endsWith(".mlp.c_proj.weight");
  }

  /**
   * Converts one parameter from the engine's layout to Hugging Face's.
   *
   * @param ours the parameter's param.size() values
   * @param hf receives hfNumel() values
   */
  public static void toHf(Entry e, FloatBuffer ours, FloatBuffer hf) {
    if (e.transposed()) {
      transpose(ours, hf, e.param().shape()[0], e.param().shape()[1]);
    } else {
      for (int i = 0; i < (int) e.hfNumel(); i++) {
        hf.put(i, ours.get(i));
      }
    }
  }

  /** Converts one parameter back; wte's padding rows become zero. */
  public static void fromHf(Entry e, FloatBuffer hf, FloatBuffer ours) {
    if (e.transposed()) {
      transpose(hf, ours, (int) e.hfShape()[0], (int) e.hfShape()[1]);
    } else {
      int n = (int) e.hfNumel();
      for (int i = 0; i < n; i++) {
        ours.put(i, hf.get(i));
      }
      for (int i = n; i < e.param().size(); i++) {
        ours.put(i, 0f);
      }
    }
  }

  /** dst (cols, rows) = transpose of src (rows, cols), in tiles so both sides stay in cache. */
  private static void transpose(FloatBuffer src, FloatBuffer dst, int rows, int cols) {
    int tile = 32;
    for (int i0 = 0; i0 < rows; i0 += tile) {
      for (int j0 = 0; j0 < cols; j0 += tile) {
        int i1 = Math.min(rows, i0 + tile);
        int j1 = Math.min(cols, j0 + tile);
        for (int i = i0; i < i1; i++) {
          for (int j = j0; j < j1; j++) {
            dst.put(j * rows + i, src.get(i * cols + j));
          }
        }
      }
    }
  }

  /**
   * Hugging Face's {@code config.json} for {@code cfg} (GPT2LMHeadModel, tied head, tanh GELU,
   * layer-norm epsilon 1e-5, no dropout).
   *
   * @param torchDtype "float32" or "bfloat16"
   */
  public static ObjectNode configJson(Gpt2Config cfg, String torchDtype) {
    ObjectNode o = JsonCheck.MAPPER.createObjectNode();
    o.put("model_type", "gpt2");
    o.putArray("architectures").add("GPT2LMHeadModel");
    o.put("n_layer", cfg.nLayer());
    o.put("n_head", cfg.nHead());
    o.put("n_embd", cfg.nEmbd());
    o.put("vocab_size", cfg.vocabSize());
    o.put("n_positions", cfg.blockSize());
    o.put("n_ctx", cfg.blockSize());
    o.putNull("n_inner");
    o.put("activation_function", "gelu_new");
    o.put("layer_norm_epsilon", 1e-5);
    o.put("initializer_range", 0.02);
    o.put("resid_pdrop", 0.0);
    o.put("embd_pdrop", 0.0);
    o.put("attn_pdrop", 0.0);
    o.put("tie_word_embeddings", true);
    o.put("torch_dtype", torchDtype);
    return o;
  }

  /**
   * The engine's config from a Hugging Face GPT-2 {@code config.json}: n_layer, n_head, n_embd,
   * vocab_size and n_positions (or n_ctx); other keys are Hugging Face's own and ignored.
   *
   * @param source names the file in errors
   */
  public static Gpt2Config fromConfigJson(JsonNode n, String source) {
    String type = n.path("model_type").asText("gpt2");
    if (!type.equals("gpt2")) {
      throw new IllegalArgumentException(
          source + " describes a '" + type + "' model; only model_type gpt2 can be imported");
    }
    if (n.hasNonNull("n_inner") && n.get("n_inner").asInt() != 4 * n.path("n_embd").asInt()) {
      throw new IllegalArgumentException(
          source + " sets n_inner " + n.get("n_inner") + "; the engine's MLP is 4 × n_embd wide");
    }
    String act = n.path("activation_function").asText("gelu_new");
    if (!act.equals("gelu_new")) {
      throw new IllegalArgumentException(
          source
              + " uses activation_function "
              + act
              + "; the engine computes gelu_new (tanh form)");
    }
    double eps = n.path("layer_norm_epsilon").asDouble(1e-5);
    if (eps != 1e-5) {
      throw new IllegalArgumentException(
          source + " sets layer_norm_epsilon " + eps + "; the engine's layer norm uses 1e-5");
    }
    int t =
        n.has("n_positions") ? intField(n, "n_positions", source) : intField(n, "n_ctx", source);
    return Gpt2Config.of(
        intField(n, "n_layer", source),
        intField(n, "n_head", source),
        intField(n, "n_embd", source),
        intField(n, "vocab_size", source),
        t);
  }

  private static int intField(JsonNode n, String key, String source) {
    JsonNode v = n.get(key);
    if (v == null || !v.canConvertToInt() || v.intValue() <= 0) {
      throw new IllegalArgumentException(
          source + " needs a positive integer '" + key + "', got " + v);
    }
    return v.intValue();
  }
}
