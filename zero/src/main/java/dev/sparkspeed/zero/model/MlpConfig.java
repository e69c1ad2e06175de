package dev.sparkspeed.zero.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.backend.Activation;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A multilayer perceptron for tabular data.
 *
 * @param inputDim features per row F
 * @param hidden hidden layer widths, input to output
 * @param outputs number of classes (≥ 2, softmax cross-entropy) or 1 for regression (squared error)
 * @param activation nonlinearity between layers
 */
public record MlpConfig(int inputDim, int[] hidden, int outputs, Activation activation) {
  private static final Set<String> KEYS =
      Set.of("model_type", "input_dim", "hidden", "outputs", "activation");

  public MlpConfig {
    if (inputDim <= 0 || outputs <= 0 || Arrays.stream(hidden).anyMatch(h -> h <= 0)) {
      throw new IllegalArgumentException(
          "MLP needs positive input_dim, hidden sizes and outputs; got input_dim "
              + inputDim
              + ", hidden "
              + Arrays.toString(hidden)
              + ", outputs "
              + outputs);
    }
    hidden = hidden.clone();
  }

  /** True for a regression head (one output, squared error). */
  public boolean isRegression() {
    return outputs == 1;
  }

  /** Reads input_dim, hidden (array), outputs, activation; unknown keys fail. */
  public static MlpConfig fromJson(JsonNode n) {
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      String k = it.next().getKey();
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException("unknown MLP config key '" + k + "'; valid: " + KEYS);
      }
    }
    JsonNode h = n.path("hidden");
    int[] hidden = new int[h.size()];
    for (int i = 0; i < hidden.length; i++) {
      hidden[i] = h.get(i).intValue();
    }
    return new MlpConfig(
        n.path("input_dim").asInt(0),
        hidden,
        n.path("outputs").asInt(0),
        Activation.parse(n.path("activation").asText("relu")));
  }

  public ObjectNode toJson() {
    ObjectNode o = new ObjectMapper().createObjectNode();
    o.put("model_type", "mlp");
    o.put("input_dim", inputDim);
    ArrayNode a = o.putArray("hidden");
    for (int x : hidden) {
      a.add(x);
    }
    o.put("outputs", outputs);
    o.put("activation", activation.name().toLowerCase(java.util.Locale.ROOT));
    return o;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MlpConfig m
        && m.inputDim == inputDim
        && Arrays.equals(m.hidden, hidden)
        && m.outputs == outputs
        && m.activation == activation;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hidden) * 31 + inputDim;
  }

  @Override
  public String toString() {
    return toJson().toString();
  }
}
