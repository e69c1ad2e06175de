package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file after checking its header completely: the length prefix within bounds
 * and within the file, the JSON well-formed with the expected fields, every tensor's bytes inside
 * the data region, sized exactly product(shape) × element size without overflow, and no two tensors
 * overlapping. A file failing any check is a {@link CorruptCheckpointException}; nothing is
 * allocated from an unchecked number.
 *
 * <p>Not thread-safe.
 */
public final class SafetensorsReader implements AutoCloseable {
  /** Largest header accepted, in bytes (the bound the reference implementation uses). */
  public static final long MAX_HEADER_BYTES = 100_000_000;

  private static final int MAX_DIMS = 32;

  private final SeekableInput in;
  private final String source;
  private final long dataStart;
  private final Map<String, String> metadata;
  private final Map<String, SafetensorsEntry> entries;

  private SafetensorsReader(
      SeekableInput in,
      String source,
      long dataStart,
      Map<String, String> metadata,
      Map<String, SafetensorsEntry> entries) {
    this.in = in;
    this.source = source;
    this.dataStart = dataStart;
    this.metadata = metadata;
    this.entries = entries;
  }

  /**
   * Checks the header of {@code in} and returns a reader that owns it (closing the reader closes
   * it, also when this method fails).
   *
   * @param source names the file in error messages
   */
  public static SafetensorsReader open(SeekableInput in, String source) throws IOException {
    try {
      return parse(in, source);
    } catch (IOException | RuntimeException e) {
      try {
        in.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** Opens {@code path} of a store. */
  public static SafetensorsReader open(CheckpointStore store, String path) throws IOException {
    return open(store.openRead(path), store.describe() + "/" + path);
  }

  private static SafetensorsReader parse(SeekableInput in, String source) throws IOException {
    JsonCheck c = new JsonCheck(source);
    long size = in.size();
    if (size < 8) {
      throw c.fail("is " + size + " bytes, too short for the 8-byte header length");
    }
    ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    in.readFully(0, prefix);
    long n = prefix.getLong(0);
    if (n < 2 || n > MAX_HEADER_BYTES || n > size - 8) {
      throw c.fail(
          "declares a header of "
              + Long.toUnsignedString(n)
              + " bytes; the file has "
              + (size - 8)
              + " after the length and at most "
              + MAX_HEADER_BYTES
              + " are allowed");
    }
    ByteBuffer header = ByteBuffer.allocate((int) n);
    readHeader(in, header, c);
    if (header.get(0) != '{') {
      throw c.fail("has a header that does not start with '{'");
    }
    JsonNode root = c.parse(header.array());
    if (!root.isObject()) {
      throw c.fail("has a header that is not a JSON object");
    }
    long dataLen = size - 8 - n;
    Map<String, String> metadata = Map.of();
    List<SafetensorsEntry> list = new ArrayList<>();
    for (Map.Entry<String, JsonNode> f : root.properties()) {
      if (f.getKey().equals("__metadata__")) {
        metadata = metadata(c, f.getValue());
      } else {
        list.add(entry(c, f.getKey(), f.getValue(), dataLen));
      }
    }
    list.sort(Comparator.comparingLong(SafetensorsEntry::begin));
    // Empty tensors own no bytes, so only non-empty neighbours can overlap.
    SafetensorsEntry last = null;
    for (SafetensorsEntry e : list) {
      if (e.begin() == e.end()) {
        continue;
      }
      if (last != null && e.begin() < last.end()) {
        throw c.fail("has tensors " + last.name() + " and " + e.name() + " overlapping");
      }
      last = e;
    }
    Map<String, SafetensorsEntry> entries = new LinkedHashMap<>();
    for (SafetensorsEntry e : list) {
      entries.put(e.name(), e);
    }
    return new SafetensorsReader(in, source, 8 + n, metadata, entries);
  }

  private static void readHeader(SeekableInput in, ByteBuffer header, JsonCheck c)
      throws IOException {
    try {
      in.readFully(8, header);
    } catch (EOFException e) {
      throw new CorruptCheckpointException(c.fail("ended inside its header").getMessage(), e);
    }
  }

  private static Map<String, String> metadata(JsonCheck c, JsonNode m)
      throws CorruptCheckpointException {
    if (!m.isObject()) {
      throw c.fail("has __metadata__ that is not an object");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : m.properties()) {
      if (!e.getValue().isTextual()) {
        throw c.fail("has __metadata__ value for '" + e.getKey() + "' that is not a string");
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
    return Collections.unmodifiableMap(out);
  }

  private static SafetensorsEntry entry(JsonCheck c, String name, JsonNode t, long dataLen)
      throws CorruptCheckpointException {
    if (!t.isObject()) {
      throw c.fail("describes tensor '" + name + "' with something other than an object");
    }
    String dtype = c.text(t, "dtype");
    Integer width = SafetensorsEntry.TYPE_BYTES.get(dtype);
    if (width == null) {
      throw c.fail("gives tensor '" + name + "' unknown dtype '" + dtype + "'");
    }
    JsonNode shapeNode = c.array(t, "shape");
    if (shapeNode.size() > MAX_DIMS) {
      throw c.fail("gives tensor '" + name + "' " + shapeNode.size() + " dimensions");
    }
    long[] shape = new long[shapeNode.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = c.value(shapeNode.get(i), name + ".shape[" + i + "]", 0, Long.MAX_VALUE);
      numel = multiply(c, name, numel, shape[i]);
    }
    long bytes = multiply(c, name, numel, width);
    JsonNode off = c.array(t, "data_offsets");
    if (off.size() != 2) {
      throw c.fail("gives tensor '" + name + "' " + off.size() + " data_offsets, not 2");
    }
    long begin = c.value(off.get(0), name + ".data_offsets[0]", 0, dataLen);
    long end = c.value(off.get(1), name + ".data_offsets[1]", begin, dataLen);
    if (end - begin != bytes) {
      throw c.fail(
          "gives tensor '"
              + name
              + "' "
              + (end - begin)
              + " bytes but its shape and "
              + dtype
              + " need "
              + bytes);
    }
    return new SafetensorsEntry(name, dtype, shape, begin, end);
  }

  private static long multiply(JsonCheck c, String name, long a, long b)
      throws CorruptCheckpointException {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      throw c.fail("gives tensor '" + name + "' a size that overflows");
    }
  }

  /** The {@code __metadata__} pairs (empty when absent). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Every tensor, in data order. */
  public List<SafetensorsEntry> entries() {
    return List.copyOf(entries.values());
  }

  /** One tensor by name. */
  public SafetensorsEntry entry(String name) {
    SafetensorsEntry e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException(source + " has no tensor '" + name + "'");
    }
    return e;
  }

  /** Reads all of {@code name} into {@code dst} (exactly its bytes remaining). */
  public void read(String name, ByteBuffer dst) throws IOException {
    SafetensorsEntry e = entry(name);
    readRange(name, 0, e.numel(), dst);
  }

  /**
   * Reads elements {@code [from, to)} of {@code name} (as a flat row-major array) into {@code dst},
   * which must have exactly (to − from) × element size bytes remaining.
   */
  public void readRange(String name, long from, long to, ByteBuffer dst) throws IOException {
    SafetensorsEntry e = entry(name);
    int w = e.elementBytes();
    if (from < 0 || from > to || to > e.numel()) {
      throw new IndexOutOfBoundsException(
          "range [" + from + ", " + to + ") outside " + name + " of " + e.numel() + " elements");
    }
    if (dst.remaining() != (to - from) * w) {
      throw new IllegalArgumentException(
          "reading "
              + (to - from)
              + " elements of "
              + name
              + " needs "
              + (to - from) * w
              + " bytes; the buffer has "
              + dst.remaining());
    }
    try {
      in.readFully(dataStart + e.begin() + from * w, dst);
    } catch (EOFException x) {
      throw new CorruptCheckpointException(source + " ended inside tensor " + name, x);
    }
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
