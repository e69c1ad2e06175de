package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code manifest.json} and per-file report JSON, both ways. Parsing checks every field's type and
 * range and the tensor layout ({@link LayoutCheck}) before anything is returned, so no later read
 * can go out of range or allocate by an unchecked number.
 */
public final class ManifestCodec {
  /** Smallest and largest checksum chunk accepted. */
  static final int MIN_CHUNK_BYTES = 64;

  static final int MAX_CHUNK_BYTES = 64 << 20;

  private static final int MAX_DIMS = 32;
  private static final int MAX_NAME_CHARS = 1000;

  private ManifestCodec() {}

  /** The manifest as UTF-8 JSON. */
  public static byte[] toJson(CheckpointManifest m) {
    ObjectNode root = JsonCheck.MAPPER.createObjectNode();
    root.put("format", CheckpointFormat.FORMAT_NAME);
    root.put("format_version", CheckpointFormat.VERSION);
    root.put("tag", m.tag());
    CheckpointMeta meta = m.meta();
    root.put("step", meta.step());
    root.put("world_size", meta.worldSize());
    root.put("zero_stage", meta.zeroStage());
    root.set("model_config", meta.modelConfig());
    root.set("deepspeed_config", meta.deepspeedConfig());
    root.set("data_cursor", meta.dataCursor());
    root.set("rng_states", meta.rngStates());
    root.set("loss_scaler", meta.lossScaler());
    ObjectNode checksum = root.putObject("checksum");
    checksum.put("algorithm", "crc32c");
    checksum.put("chunk_bytes", m.chunkBytes());
    ArrayNode files = root.putArray("files");
    for (FileEntry f : m.files()) {
      files.add(fileJson(f));
    }
    ArrayNode tensors = root.putArray("tensors");
    for (TensorEntry t : m.tensors()) {
      tensors.add(tensorJson(t));
    }
    return write(root);
  }

  /** One file's report (what a rank wrote) as JSON, to be gathered on rank 0. */
  public static String toJson(FileReport r) {
    ObjectNode root = JsonCheck.MAPPER.createObjectNode();
    root.set("file", fileJson(r.file()));
    root.put("chunk_bytes", r.chunkBytes());
    ArrayNode tensors = root.putArray("tensors");
    for (TensorEntry t : r.tensors()) {
      tensors.add(tensorJson(t));
    }
    return new String(write(root), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static byte[] write(ObjectNode root) {
    try {
      return JsonCheck.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialize", e);
    }
  }

  private static ObjectNode fileJson(FileEntry f) {
    ObjectNode n = JsonCheck.MAPPER.createObjectNode();
    n.put("name", f.name());
    n.put("rank", f.rank());
    n.put("bytes", f.bytes());
    return n;
  }

  private static ObjectNode tensorJson(TensorEntry t) {
    ObjectNode n = JsonCheck.MAPPER.createObjectNode();
    n.put("name", t.name());
    n.put("dtype", t.dtype().name().toLowerCase(Locale.ROOT));
    ArrayNode shape = n.putArray("shape");
    for (long d : t.shape()) {
      shape.add(d);
    }
    n.put("file", t.file());
    n.put("offset", t.offset());
    n.put("length", t.length());
    ArrayNode crc = n.putArray("crc32c");
    for (int c : t.crc32c()) {
      crc.add(String.format("%08x", c));
    }
    if (t.partOf() != null) {
      ObjectNode p = n.putObject("part_of");
      p.put("tensor", t.partOf().tensor());
      p.put("start", t.partOf().start());
      p.put("numel", t.partOf().numel());
    }
    return n;
  }

  /**
   * Parses and validates a manifest.
   *
   * @param source named in error messages, e.g. the file's full path
   */
  public static CheckpointManifest parseManifest(byte[] json, String source)
      throws CorruptCheckpointException {
    JsonCheck c = new JsonCheck(source);
    JsonNode root = c.parse(json);
    if (!root.isObject()) {
      throw c.fail("is not a JSON object");
    }
    if (!CheckpointFormat.FORMAT_NAME.equals(c.text(root, "format"))) {
      throw c.fail(
          "has format '"
              + root.get("format").textValue()
              + "', not '"
              + CheckpointFormat.FORMAT_NAME
              + "'");
    }
    long version = c.integer(root, "format_version", 1, Integer.MAX_VALUE);
    if (version != CheckpointFormat.VERSION) {
      throw c.fail(
          "has format_version "
              + version
              + "; this build reads version "
              + CheckpointFormat.VERSION
              + " (written by a newer SparkSpeed?)");
    }
    String tag = c.text(root, "tag");
    if (!StorePaths.isName(tag)) {
      throw c.fail("has an invalid tag '" + tag + "'");
    }
    int world = (int) c.integer(root, "world_size", 1, 1 << 20);
    CheckpointMeta meta =
        new CheckpointMeta(
            c.integer(root, "step", 0, Long.MAX_VALUE),
            world,
            (int) c.integer(root, "zero_stage", 0, 3),
            JsonCheck.any(root, "model_config"),
            JsonCheck.any(root, "deepspeed_config"),
            JsonCheck.any(root, "data_cursor"),
            JsonCheck.any(root, "rng_states"),
            JsonCheck.any(root, "loss_scaler"));
    int chunk = chunkBytes(c, c.object(root, "checksum"));
    List<FileEntry> files = new ArrayList<>();
    for (JsonNode f : c.array(root, "files")) {
      files.add(parseFile(c, f, world));
    }
    List<TensorEntry> tensors = parseTensors(c, c.array(root, "tensors"));
    LayoutCheck.check(c, chunk, files, tensors, true);
    return new CheckpointManifest(tag, meta, chunk, files, tensors);
  }

  /** Parses and validates one file's report. */
  public static FileReport parseReport(String json, String source)
      throws CorruptCheckpointException {
    JsonCheck c = new JsonCheck(source);
    JsonNode root = c.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    if (!root.isObject()) {
      throw c.fail("is not a JSON object");
    }
    JsonNode f = c.object(root, "file");
    FileEntry file = parseFile(c, f, 1 << 20);
    int chunk = (int) c.integer(root, "chunk_bytes", MIN_CHUNK_BYTES, MAX_CHUNK_BYTES);
    List<TensorEntry> tensors = parseTensors(c, c.array(root, "tensors"));
    LayoutCheck.check(c, chunk, List.of(file), tensors, false);
    return new FileReport(file, chunk, tensors);
  }

  private static int chunkBytes(JsonCheck c, JsonNode checksum) throws CorruptCheckpointException {
    String algorithm = c.text(checksum, "algorithm");
    if (!"crc32c".equals(algorithm)) {
      throw c.fail("uses checksum algorithm '" + algorithm + "'; this build checks crc32c");
    }
    return (int) c.integer(checksum, "chunk_bytes", MIN_CHUNK_BYTES, MAX_CHUNK_BYTES);
  }

  private static FileEntry parseFile(JsonCheck c, JsonNode f, int world)
      throws CorruptCheckpointException {
    if (!f.isObject()) {
      throw c.fail("has a files entry that is not an object");
    }
    String name = c.text(f, "name");
    if (!StorePaths.isName(name) || !name.endsWith(".bin")) {
      throw c.fail("lists an invalid tensor file name '" + name + "'");
    }
    int rank = (int) c.integer(f, "rank", -1, world - 1L);
    long bytes = c.integer(f, "bytes", CheckpointFormat.HEADER_BYTES, Long.MAX_VALUE);
    return new FileEntry(name, rank, bytes);
  }

  private static List<TensorEntry> parseTensors(JsonCheck c, JsonNode array)
      throws CorruptCheckpointException {
    List<TensorEntry> out = new ArrayList<>(array.size());
    for (JsonNode t : array) {
      out.add(parseTensor(c, t));
    }
    return out;
  }

  private static TensorEntry parseTensor(JsonCheck c, JsonNode t)
      throws CorruptCheckpointException {
    if (!t.isObject()) {
      throw c.fail("has a tensors entry that is not an object");
    }
    String name = c.text(t, "name");
    if (name.isEmpty() || name.length() > MAX_NAME_CHARS) {
      throw c.fail(
          "has a tensor name of "
              + name.length()
              + " characters (1.."
              + MAX_NAME_CHARS
              + " allowed)");
    }
    DType dtype = dtype(c, c.text(t, "dtype"), name);
    JsonNode shapeNode = c.array(t, "shape");
    if (shapeNode.size() > MAX_DIMS) {
      throw c.fail(
          "gives tensor "
              + name
              + " "
              + shapeNode.size()
              + " dimensions (at most "
              + MAX_DIMS
              + ")");
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = c.value(shapeNode.get(i), name + ".shape[" + i + "]", 0, Long.MAX_VALUE);
    }
    String file = c.text(t, "file");
    long offset = c.integer(t, "offset", 0, Long.MAX_VALUE);
    long length = c.integer(t, "length", 0, Long.MAX_VALUE);
    JsonNode crcNode = c.array(t, "crc32c");
    int[] crc = new int[crcNode.size()];
    for (int i = 0; i < crc.length; i++) {
      crc[i] = hex32(c, crcNode.get(i), name);
    }
    PartOf part = null;
    JsonNode p = t.get("part_of");
    if (p != null && !p.isNull()) {
      if (!p.isObject()) {
        throw c.fail("has a part_of of tensor " + name + " that is not an object");
      }
      String whole = c.text(p, "tensor");
      long numel = c.integer(p, "numel", 0, Long.MAX_VALUE);
      long start = c.integer(p, "start", 0, numel);
      if (whole.isEmpty() || whole.length() > MAX_NAME_CHARS) {
        throw c.fail("has an invalid part_of name for tensor " + name);
      }
      part = new PartOf(whole, start, numel);
    }
    return new TensorEntry(name, dtype, shape, file, offset, length, crc, part);
  }

  private static DType dtype(JsonCheck c, String s, String tensor)
      throws CorruptCheckpointException {
    for (DType d : DType.values()) {
      if (d.name().equalsIgnoreCase(s)) {
        return d;
      }
    }
    throw c.fail("gives tensor " + tensor + " unknown dtype '" + s + "'");
  }

  private static int hex32(JsonCheck c, JsonNode n, String tensor)
      throws CorruptCheckpointException {
    String s = n.isTextual() ? n.textValue() : "";
    if (s.length() != 8) {
      throw c.fail(
          "has a crc32c of tensor "
              + tensor
              + " that is not 8 hex digits: "
              + JsonCheck.abbreviate(n));
    }
    try {
      return Integer.parseUnsignedInt(s, 16);
    } catch (NumberFormatException e) {
      throw c.fail("has a crc32c of tensor " + tensor + " that is not hex: " + s);
    }
  }
}
