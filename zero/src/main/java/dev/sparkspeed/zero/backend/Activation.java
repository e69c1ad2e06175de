package dev.sparkspeed.zero.backend;

/** Elementwise nonlinearities the layers use. */
public enum Activation {
  /** GELU, tanh approximation (GPT-2's). */
  GELU,
  RELU,
  TANH,
  /** Identity, for a linear output layer. */
  NONE;

  /** Parses "gelu", "relu", "tanh", "none". */
  public static Activation parse(String name) {
    for (Activation a : values()) {
      if (a.name().equalsIgnoreCase(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "unknown activation '" + name + "': expected one of gelu, relu, tanh, none");
  }
}
