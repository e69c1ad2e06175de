package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;

/** Typed, bounds-checked access to fields of untrusted JSON; every failure names the source. */
final class JsonCheck {
  /** Shared mapper; configured limits keep hostile input from exhausting memory or the stack. */
  static final ObjectMapper MAPPER = mapper();

  private final String source;

  JsonCheck(String source) {
    this.source = source;
  }

  private static ObjectMapper mapper() {
    // Duplicate keys would let two readers of one file see different values.
    JsonMapper m =
        JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    m.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(200)
                .maxNumberLength(100)
                .maxStringLength(16 << 20)
                .build());
    return m;
  }

  /** Parses {@code json}, turning every parser failure into a corrupt-checkpoint error. */
  JsonNode parse(byte[] json) throws CorruptCheckpointException {
    try {
      JsonNode n = MAPPER.readTree(json);
      if (n == null || n.isMissingNode()) {
        throw fail("is empty");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new CorruptCheckpointException(
          source + " is not well-formed JSON: " + e.getOriginalMessage(), e);
    } catch (CorruptCheckpointException e) {
      throw e;
    } catch (IOException e) {
      throw new CorruptCheckpointException(source + " could not be parsed: " + e, e);
    }
  }

  CorruptCheckpointException fail(String what) {
    return new CorruptCheckpointException(source + " " + what);
  }

  JsonNode object(JsonNode parent, String field) throws CorruptCheckpointException {
    JsonNode n = parent.get(field);
    if (n == null || !n.isObject()) {
      throw fail("needs an object field '" + field + "'");
    }
    return n;
  }

  JsonNode array(JsonNode parent, String field) throws CorruptCheckpointException {
    JsonNode n = parent.get(field);
    if (n == null || !n.isArray()) {
      throw fail("needs an array field '" + field + "'");
    }
    return n;
  }

  /** Any JSON value, or null when absent. */
  static JsonNode any(JsonNode parent, String field) {
    JsonNode n = parent.get(field);
    return n == null ? NullNode.getInstance() : n;
  }

  String text(JsonNode parent, String field) throws CorruptCheckpointException {
    JsonNode n = parent.get(field);
    if (n == null || !n.isTextual()) {
      throw fail("needs a string field '" + field + "'");
    }
    return n.textValue();
  }

  long integer(JsonNode parent, String field, long min, long max)
      throws CorruptCheckpointException {
    JsonNode n = parent.get(field);
    if (n == null) {
      throw fail("needs an integer field '" + field + "'");
    }
    return value(n, field, min, max);
  }

  long value(JsonNode n, String what, long min, long max) throws CorruptCheckpointException {
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw fail("has " + what + " = " + abbreviate(n) + ", not an integer");
    }
    long v = n.longValue();
    if (v < min || v > max) {
      throw fail("has " + what + " = " + v + " outside [" + min + ", " + max + "]");
    }
    return v;
  }

  static String abbreviate(JsonNode n) {
    String s = n.toString();
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
