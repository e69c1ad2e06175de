package dev.sparkspeed.trainer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.model.MlpConfig;
import dev.sparkspeed.zero.model.MlpModel;
import dev.sparkspeed.zero.model.Model;
import dev.sparkspeed.zero.model.ParameterTable;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model's architecture, as the driver resolved it from a preset, JSON text or a JSON file. It
 * travels to the ranks as its JSON (the same JSON {@link ModelIo} saves), so every rank builds the
 * identical parameter table.
 */
public final class ModelSpec implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The model families the trainer knows. */
  public enum Kind {
    GPT2,
    MLP
  }

  private final Kind kind;
  private final String json;

  private ModelSpec(Kind kind, String json) {
    this.kind = kind;
    this.json = json;
  }

  /**
   * @param model a preset name (gpt2-tiny, gpt2-mini, gpt2-124m, gpt2-350m), model JSON text
   *     starting with '{', or the path of a JSON file on the driver
   */
  public static ModelSpec resolve(String model) {
    String m = model.trim();
    if (Gpt2Config.isPreset(m)) {
      return of(Gpt2Config.preset(m));
    }
    if (m.startsWith("{")) {
      return fromJson(parse(m, "model JSON"));
    }
    Path p = Path.of(m);
    if (!Files.isRegularFile(p)) {
      throw new IllegalArgumentException(
          "model '"
              + m
              + "' is neither a preset (gpt2-tiny, gpt2-mini, gpt2-124m, gpt2-350m), JSON text,"
              + " nor a readable JSON file");
    }
    try {
      return fromJson(parse(Files.readString(p), p.toString()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read model config " + p, e);
    }
  }

  public static ModelSpec of(Gpt2Config c) {
    return new ModelSpec(Kind.GPT2, c.toJson().toString());
  }

  public static ModelSpec of(MlpConfig c) {
    return new ModelSpec(Kind.MLP, c.toJson().toString());
  }

  /** Reads a model JSON whose {@code model_type} is "gpt2" or "mlp". */
  public static ModelSpec fromJson(JsonNode n) {
    String type = n.path("model_type").asText("");
    return switch (type) {
      case "gpt2" -> of(Gpt2Config.fromJson(n));
      case "mlp" -> of(MlpConfig.fromJson(n));
      default ->
          throw new IllegalArgumentException(
              "model JSON needs \"model_type\": \"gpt2\" or \"mlp\", got '" + type + "'");
    };
  }

  private static JsonNode parse(String text, String what) {
    try {
      JsonNode n = JSON.readTree(text);
      if (n == null || !n.isObject()) {
        throw new IllegalArgumentException(what + " is not a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  public Kind kind() {
    return kind;
  }

  /** The model config as JSON (Hugging Face-style keys plus model_type). */
  public ObjectNode json() {
    return (ObjectNode) parse(json, "model JSON");
  }

  /** The GPT-2 config; fails for an MLP. */
  public Gpt2Config gpt2() {
    if (kind != Kind.GPT2) {
      throw new IllegalStateException("the model is an MLP, not a GPT-2");
    }
    return Gpt2Config.fromJson(json());
  }

  /** The MLP config; fails for a GPT-2. */
  public MlpConfig mlp() {
    if (kind != Kind.MLP) {
      throw new IllegalStateException("the model is a GPT-2, not an MLP");
    }
    return MlpConfig.fromJson(json());
  }

  /** The parameter layout. */
  public ParameterTable table() {
    return kind == Kind.GPT2 ? Gpt2Model.table(gpt2()) : MlpModel.table(mlp());
  }

  /** The width that sizes ZeRO buckets ("auto" values): n_embd, or the widest MLP layer. */
  public int hiddenSize() {
    if (kind == Kind.GPT2) {
      return gpt2().nEmbd();
    }
    int w = mlp().inputDim();
    for (int h : mlp().hidden()) {
      w = Math.max(w, h);
    }
    return w;
  }

  /**
   * The sequence length T for GPT runs: {@code requested}, or min(64, block_size) when 0; 0 for an
   * MLP.
   */
  public int seqLen(int requested) {
    if (kind != Kind.GPT2) {
      return 0;
    }
    int block = gpt2().blockSize();
    if (requested > block) {
      throw new IllegalArgumentException(
          "sequence length " + requested + " exceeds the model's block_size " + block);
    }
    return requested > 0 ? requested : Math.min(64, block);
  }

  /** A model with activations for micro-batches of {@code batch} rows (and {@code seqLen}). */
  public Model build(Backend backend, int batch, int seqLen) {
    return kind == Kind.GPT2
        ? new Gpt2Model(gpt2(), backend, batch, seqLen)
        : new MlpModel(mlp(), backend, batch);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec m && m.kind == kind && m.json().equals(json());
  }

  @Override
  public int hashCode() {
    return json.hashCode();
  }

  @Override
  public String toString() {
    return json;
  }
}
