package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Typed, path-aware reads from one JSON object of a DeepSpeed config. A reader first declares every
 * key valid at its level ({@link #expect}) and calls {@link #rejectUnknown()}, so that a misspelt
 * key is reported, with the nearest valid key, before any rule that its absence would trip. Getters
 * refuse undeclared keys, which keeps the declaration and the reads in step.
 *
 * <p>An {@code "auto"} value is accepted only by the overloads that take an auto value and its
 * source; a null auto value there means the caller has nothing to resolve it with, which is an
 * error naming both the key and the missing source.
 */
final class JsonBlock {
  private static final String AUTO = "auto";

  private final String path;
  private final ObjectNode node;
  private final boolean present;
  private final List<String> warnings;
  private final Set<String> known = new LinkedHashSet<>();
  private final Map<String, String> rejected = new LinkedHashMap<>();

  private JsonBlock(String path, ObjectNode node, boolean present, List<String> warnings) {
    this.path = path;
    this.node = node;
    this.present = present;
    this.warnings = warnings;
  }

  /** The document's top level; warnings from every nested block collect in {@code warnings}. */
  static JsonBlock root(JsonNode document, List<String> warnings) {
    if (!document.isObject()) {
      throw new ConfigException(
          "", "a DeepSpeed config must be a JSON object, got " + describe(document));
    }
    return new JsonBlock("", (ObjectNode) document, true, warnings);
  }

  /** Whether the block was written in the document (false for an absent block read as empty). */
  boolean isPresent() {
    return present;
  }

  /** The dotted path of {@code key} inside this block. */
  String pathOf(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Records a warning for the caller to log; the config keeps going. */
  void warn(String message) {
    warnings.add(message);
  }

  /** Declares keys valid at this level. */
  void expect(String... keys) {
    known.addAll(List.of(keys));
  }

  /** Whether {@code key} holds a non-null value. */
  boolean has(String key) {
    JsonNode v = node.get(declared(key));
    return v != null && !v.isNull();
  }

  /**
   * Accepts {@code alias} as another spelling of {@code key} (DeepSpeed keeps both) and returns
   * whichever one the document uses; writing both is an error because they could disagree.
   */
  String alias(String key, String alias) {
    boolean hasKey = has(key);
    boolean hasAlias = has(alias);
    if (hasKey && hasAlias) {
      throw new ConfigException(
          pathOf(key),
          "\"" + pathOf(key) + "\" and \"" + pathOf(alias) + "\" are the same setting; keep one");
    }
    return hasAlias ? alias : key;
  }

  /**
   * Marks keys that DeepSpeed knows but this engine does not implement, so that {@link
   * #rejectUnknown()} says so instead of calling them unknown.
   */
  void unsupported(String reason, String... keys) {
    for (String k : keys) {
      rejected.put(k, reason);
    }
  }

  /** The nested object at {@code key}, or an empty, not-present block when the key is absent. */
  JsonBlock block(String key) {
    JsonNode v = node.get(declared(key));
    if (v == null || v.isNull()) {
      return new JsonBlock(pathOf(key), JsonNodeFactory.instance.objectNode(), false, warnings);
    }
    if (!v.isObject()) {
      throw typeError(key, "an object", v);
    }
    return new JsonBlock(pathOf(key), (ObjectNode) v, true, warnings);
  }

  boolean bool(String key, boolean fallback) {
    return bool(key, fallback, null, null);
  }

  /** A boolean; {@code "auto"} takes {@code auto}, described by {@code source} when missing. */
  boolean bool(String key, boolean fallback, Boolean auto, String source) {
    JsonNode v = value(key);
    if (v == null) {
      return fallback;
    }
    if (isAuto(v)) {
      return resolve(key, auto, source);
    }
    if (!v.isBoolean()) {
      throw typeError(key, "a boolean", v);
    }
    return v.booleanValue();
  }

  long integer(String key, long fallback, long min) {
    return integer(key, fallback, min, null, null);
  }

  /** An integer at least {@code min}; JSON numbers like {@code 5e8} count when integral. */
  long integer(String key, long fallback, long min, Long auto, String source) {
    Long v = optionalInteger(key, min, auto, source);
    return v == null ? fallback : v;
  }

  /** An integer that fits a Java int, at least {@code min}. */
  int smallInteger(String key, int fallback, int min) {
    long v = integer(key, fallback, min);
    if (v > Integer.MAX_VALUE) {
      throw new ConfigException(
          pathOf(key),
          "\"" + pathOf(key) + "\" must be at most " + Integer.MAX_VALUE + ", got " + v);
    }
    return (int) v;
  }

  /** Like {@link #integer} but null when the key is absent or JSON null. */
  Long optionalInteger(String key, long min, Long auto, String source) {
    JsonNode v = value(key);
    if (v == null) {
      return null;
    }
    long n;
    if (isAuto(v)) {
      n = resolve(key, auto, source);
    } else if (v.isIntegralNumber() && v.canConvertToLong()) {
      n = v.longValue();
    } else if (v.isFloatingPointNumber()
        && v.doubleValue() == Math.rint(v.doubleValue())
        && Math.abs(v.doubleValue()) < 0x1p62) {
      n = (long) v.doubleValue();
    } else {
      throw typeError(key, "an integer", v);
    }
    if (n < min) {
      throw new ConfigException(
          pathOf(key), "\"" + pathOf(key) + "\" must be at least " + min + ", got " + n);
    }
    return n;
  }

  double number(String key, double fallback, double min, double max) {
    return number(key, fallback, min, max, null, null);
  }

  /** A finite number in {@code [min, max]}. */
  double number(String key, double fallback, double min, double max, Double auto, String source) {
    JsonNode v = value(key);
    if (v == null) {
      return fallback;
    }
    double d;
    if (isAuto(v)) {
      d = resolve(key, auto, source);
    } else if (v.isNumber() && Double.isFinite(v.doubleValue())) {
      d = v.doubleValue();
    } else {
      throw typeError(key, "a finite number", v);
    }
    if (d < min || d > max) {
      throw new ConfigException(
          pathOf(key), "\"" + pathOf(key) + "\" must be " + range(min, max) + ", got " + d);
    }
    return d;
  }

  /** A string, or {@code fallback} when absent or JSON null. */
  String string(String key, String fallback) {
    JsonNode v = value(key);
    if (v == null) {
      return fallback;
    }
    if (!v.isTextual()) {
      throw typeError(key, "a string", v);
    }
    return v.textValue();
  }

  /**
   * One of a fixed set of names. With {@code ignoreCase} the document may use any case, as
   * DeepSpeed allows for a few settings; otherwise a wrong case gets a "did you mean".
   */
  <E> E choice(String key, E fallback, Map<String, E> names, boolean ignoreCase) {
    String s = string(key, null);
    if (s == null) {
      return fallback;
    }
    for (Map.Entry<String, E> e : names.entrySet()) {
      if (ignoreCase ? e.getKey().equalsIgnoreCase(s) : e.getKey().equals(s)) {
        return e.getValue();
      }
    }
    String hint =
        NearestKey.of(s, names.keySet())
            .map(n -> " — did you mean \"" + n + "\"? Valid values: ")
            .orElse("; valid values: ");
    throw new ConfigException(
        pathOf(key),
        "\""
            + pathOf(key)
            + "\" is \""
            + s
            + "\""
            + hint
            + String.join(", ", names.keySet())
            + (ignoreCase ? " (any case)" : ""));
  }

  /** A two-element array of finite numbers, e.g. Adam's {@code betas}. */
  double[] pair(String key, double[] fallback, double min, double max) {
    JsonNode v = value(key);
    if (v == null) {
      return fallback;
    }
    if (!v.isArray() || v.size() != 2) {
      throw typeError(key, "an array of two numbers", v);
    }
    double[] out = new double[2];
    for (int i = 0; i < 2; i++) {
      JsonNode e = v.get(i);
      if (!e.isNumber() || !Double.isFinite(e.doubleValue())) {
        throw typeError(key, "an array of two numbers", v);
      }
      out[i] = e.doubleValue();
      if (out[i] < min || out[i] > max) {
        throw new ConfigException(
            pathOf(key),
            "\"" + pathOf(key) + "\" values must be " + range(min, max) + ", got " + v);
      }
    }
    return out;
  }

  /** Rejects {@code key} with {@code reason} when present; used for keys of another variant. */
  void forbid(String key, String reason) {
    if (has(key)) {
      throw new ConfigException(pathOf(key), "\"" + pathOf(key) + "\" " + reason);
    }
  }

  /**
   * Fails on the first key in the document that was not declared, naming its full path and the
   * nearest valid key; keys DeepSpeed knows but this engine does not get their own message.
   */
  void rejectUnknown() {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String k = names.next();
      if (known.contains(k)) {
        continue;
      }
      if (rejected.containsKey(k)) {
        throw new ConfigException(pathOf(k), "\"" + pathOf(k) + "\" " + rejected.get(k));
      }
      throw new ConfigException(pathOf(k), unknownKeyMessage(k));
    }
  }

  private String unknownKeyMessage(String k) {
    List<String> valid = new ArrayList<>(known);
    String head = "unknown key \"" + pathOf(k) + "\"";
    if (path.isEmpty() && SparkSpeedConfig.KEYS.contains(k)) {
      return head
          + " — \""
          + k
          + "\" is a SparkSpeed setting and belongs in the \""
          + SparkSpeedConfig.BLOCK
          + "\" block";
    }
    return NearestKey.of(k, valid)
        .map(n -> head + " — did you mean \"" + n + "\"?")
        .orElse(head + " — valid keys here: " + String.join(", ", valid));
  }

  private JsonNode value(String key) {
    JsonNode v = node.get(declared(key));
    return v == null || v.isNull() ? null : v;
  }

  private static String range(double min, double max) {
    return max == Double.MAX_VALUE ? "at least " + min : "in [" + min + ", " + max + "]";
  }

  private String declared(String key) {
    if (!known.contains(key)) {
      throw new IllegalStateException("reader of \"" + path + "\" reads undeclared key " + key);
    }
    return key;
  }

  private static boolean isAuto(JsonNode v) {
    return v.isTextual() && AUTO.equals(v.textValue().toLowerCase(Locale.ROOT));
  }

  private <T> T resolve(String key, T auto, String source) {
    if (source == null) {
      throw new ConfigException(
          pathOf(key), "\"" + pathOf(key) + "\" does not accept \"auto\"; write a value");
    }
    if (auto == null) {
      throw new ConfigException(
          pathOf(key),
          "\""
              + pathOf(key)
              + "\" is \"auto\" but nothing resolves it: give "
              + source
              + " or write a value");
    }
    return auto;
  }

  private ConfigException typeError(String key, String expected, JsonNode seen) {
    return new ConfigException(
        pathOf(key), "\"" + pathOf(key) + "\" must be " + expected + ", got " + describe(seen));
  }

  /** How a value reads in an error message: its JSON type and, for scalars, the value. */
  static String describe(JsonNode v) {
    if (v.isTextual()) {
      return "string \"" + v.textValue() + "\"";
    }
    if (v.isNumber()) {
      return "number " + v.asText();
    }
    if (v.isBoolean()) {
      return "boolean " + v.asText();
    }
    if (v.isArray()) {
      return "array " + v;
    }
    return v.isObject() ? "an object" : "null";
  }
}
