package dev.sparkspeed.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.model.ParamSpec;
import dev.sparkspeed.zero.model.ParameterTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A trained model on any Hadoop file system (file://, hdfs://, s3a://): a directory holding {@code
 * params.f32}, the FP32 parameters as raw little-endian floats in parameter-table order, and {@code
 * model.json}, which describes them: the model config, every tensor's name, shape and offset, the
 * element count and the SHA-256 of the parameter bytes (the {@code params_sha256} the trainer
 * prints). {@code model.json} is written last, so a directory without it is an unfinished save. No
 * Java serialization.
 */
public final class ModelIo {
  /** The value of model.json's "format" key. */
  public static final String FORMAT = "sparkspeed-model";

  static final int VERSION = 1;
  static final String PARAMS = "params.f32";
  static final String META = "model.json";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final int CHUNK = 1 << 16;

  /** A loaded model: its architecture and parameters. */
  public record Loaded(ModelSpec model, float[] params, JsonNode training) {}

  private ModelIo() {}

  /**
   * Writes a model into {@code dir} (created if missing; existing files are replaced).
   *
   * @param training free-form facts about the run (steps, loss), stored under "training"
   * @return the SHA-256 of the parameter bytes
   */
  public static String save(
      Configuration conf, String dir, ModelSpec model, float[] params, JsonNode training) {
    ParameterTable table = model.table();
    if (params.length != table.totalElements()) {
      throw new IllegalArgumentException(
          "the model has "
              + table.totalElements()
              + " parameters but "
              + params.length
              + " values were given");
    }
    Path root = new Path(dir);
    try {
      FileSystem fs = root.getFileSystem(conf);
      fs.mkdirs(root);
      fs.delete(new Path(root, META), false);
      String sha;
      try (OutputStream out = fs.create(new Path(root, PARAMS), true)) {
        sha = writeFloats(out, params);
      }
      ObjectNode meta = JSON.createObjectNode();
      meta.put("format", FORMAT);
      meta.put("version", VERSION);
      meta.set("model", model.json());
      ObjectNode p = meta.putObject("params");
      p.put("file", PARAMS);
      p.put("dtype", "F32");
      p.put("byte_order", "little");
      p.put("elements", params.length);
      p.put("sha256", sha);
      ArrayNode tensors = p.putArray("tensors");
      for (ParamSpec s : table.params()) {
        ObjectNode t = tensors.addObject();
        t.put("name", s.name());
        ArrayNode shape = t.putArray("shape");
        for (int d : s.shape()) {
          shape.add(d);
        }
        t.put("offset", s.offset());
      }
      meta.set("training", training == null ? JSON.createObjectNode() : training);
      try (OutputStream out = fs.create(new Path(root, META), true)) {
        out.write(JSON.writeValueAsBytes(meta));
      }
      return sha;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the model to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Reads a model {@link #save} wrote, checking the parameter count and the SHA-256. */
  public static Loaded load(Configuration conf, String dir) {
    Path root = new Path(dir);
    try {
      FileSystem fs = root.getFileSystem(conf);
      Path metaPath = new Path(root, META);
      if (!fs.exists(metaPath)) {
        throw new IllegalArgumentException(
            dir + " holds no " + META + ": not a SparkSpeed model, or its save did not finish");
      }
      JsonNode meta;
      try (InputStream in = fs.open(metaPath)) {
        meta = JSON.readTree(in);
      }
      if (!FORMAT.equals(meta.path("format").asText()) || meta.path("version").asInt() != VERSION) {
        throw new IllegalArgumentException(
            metaPath
                + " is not a "
                + FORMAT
                + " version "
                + VERSION
                + " file (format '"
                + meta.path("format").asText()
                + "', version "
                + meta.path("version").asInt()
                + ")");
      }
      ModelSpec model = ModelSpec.fromJson(meta.get("model"));
      long n = model.table().totalElements();
      JsonNode p = meta.path("params");
      if (p.path("elements").asLong() != n) {
        throw new IllegalArgumentException(
            metaPath + " lists " + p.path("elements").asLong() + " parameters, the model has " + n);
      }
      float[] params = new float[Math.toIntExact(n)];
      String sha;
      try (FSDataInputStream in = fs.open(new Path(root, p.path("file").asText(PARAMS)))) {
        sha = readFloats(in, params);
      }
      if (!sha.equals(p.path("sha256").asText())) {
        throw new IllegalArgumentException(
            "the parameters in "
                + dir
                + " have SHA-256 "
                + sha
                + " but "
                + META
                + " records "
                + p.path("sha256").asText()
                + "; the file is damaged or was replaced");
      }
      return new Loaded(model, params, meta.path("training"));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot load the model from " + dir + ": " + e.getMessage(), e);
    }
  }

  private static String writeFloats(OutputStream out, float[] v) throws IOException {
    MessageDigest md = sha256();
    ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      if (!chunk.hasRemaining()) {
        flush(out, md, chunk);
      }
      chunk.putFloat(f);
    }
    flush(out, md, chunk);
    return HexFormat.of().formatHex(md.digest());
  }

  private static void flush(OutputStream out, MessageDigest md, ByteBuffer chunk)
      throws IOException {
    out.write(chunk.array(), 0, chunk.position());
    md.update(chunk.array(), 0, chunk.position());
    chunk.clear();
  }

  private static String readFloats(InputStream in, float[] out) throws IOException {
    MessageDigest md = sha256();
    byte[] buf = new byte[CHUNK];
    ByteBuffer view = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    int i = 0;
    long expected = (long) out.length * Float.BYTES;
    long read = 0;
    while (read < expected) {
      int want = (int) Math.min(buf.length, expected - read);
      int got = in.readNBytes(buf, 0, want);
      if (got < want) {
        throw new IOException(
            PARAMS + " ends after " + (read + got) + " bytes; " + expected + " expected");
      }
      md.update(buf, 0, got);
      for (int k = 0; k < got; k += Float.BYTES) {
        out[i++] = view.getFloat(k);
      }
      read += got;
    }
    if (in.read() != -1) {
      throw new IOException(PARAMS + " is longer than the " + expected + " bytes expected");
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JVM", e);
    }
  }

  /** SHA-256 of FP32 values as little-endian bytes: the same as {@code ParamHash}. */
  public static String sha256(float[] v) {
    try {
      return writeFloats(OutputStream.nullOutputStream(), v);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
