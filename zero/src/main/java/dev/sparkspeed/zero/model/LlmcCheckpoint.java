package dev.sparkspeed.zero.model;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * llm.c's GPT-2 model file ({@code gpt2_124M.bin}), read and written so weights move between llm.c
 * and this engine. Layout: a header of 256 little-endian int32 (magic 20240326, version, maxT, V,
 * L, NH, C, Vp, then zeros), then 16 tensors, each stacked over the layers: wte (Vp, C), wpe (maxT,
 * C), ln1w (L, C), ln1b (L, C), qkvw (L, 3C, C), qkvb (L, 3C), attprojw (L, C, C), attprojb (L, C),
 * ln2w (L, C), ln2b (L, C), fcw (L, 4C, C), fcb (L, 4C), fcprojw (L, C, 4C), fcprojb (L, C), lnfw
 * (C), lnfb (C). Version 3 holds FP32 values, version 5 BF16. Both layouts keep weights as (out,
 * in), so converting to {@link Gpt2Model#table}'s per-block order is a reordering of whole tensors.
 */
public final class LlmcCheckpoint {
  /** First header word of every llm.c model file. */
  public static final int MAGIC = 20240326;

  /** Header version of FP32 parameters with a padded vocabulary. */
  public static final int VERSION_FP32 = 3;

  /** Header version of BF16 parameters with a padded vocabulary. */
  public static final int VERSION_BF16 = 5;

  private static final int HEADER_BYTES = 256 * Integer.BYTES;
  private static final int CHUNK_BYTES = 1 << 22;

  /** Per-block tensors in llm.c's file order, by their names in {@link Gpt2Model#table}. */
  private static final String[] BLOCK_TENSORS = {
    "ln_1.weight",
    "ln_1.bias",
    "attn.c_attn.weight",
    "attn.c_attn.bias",
    "attn.c_proj.weight",
    "attn.c_proj.bias",
    "ln_2.weight",
    "ln_2.bias",
    "mlp.c_fc.weight",
    "mlp.c_fc.bias",
    "mlp.c_proj.weight",
    "mlp.c_proj.bias"
  };

  private LlmcCheckpoint() {}

  /** The model shape in a file's header, after checking its magic, version and length. */
  public static Gpt2Config readConfig(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return header(file, ch).cfg;
    }
  }

  /**
   * Reads a file's parameters into {@code hostParams}, host FP32 of Ψ elements laid out by {@link
   * Gpt2Model#table}(expected).
   *
   * @throws IllegalArgumentException when the file's model shape is not {@code expected}, naming
   *     both
   */
  public static void read(Path file, Gpt2Config expected, Tensor hostParams) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Header h = header(file, ch);
      if (!h.cfg.equals(expected)) {
        throw new IllegalArgumentException(
            "llm.c checkpoint "
                + file
                + " holds a GPT-2 of "
                + shape(h.cfg)
                + ", but the model is "
                + shape(expected)
                + "; choose the model that matches the file");
      }
      ParameterTable table = Gpt2Model.table(expected);
      checkHost(hostParams, table);
      DType stored = h.version == VERSION_FP32 ? DType.FP32 : DType.BF16;
      ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      long pos = HEADER_BYTES;
      for (ParamSpec p : fileOrder(table, expected.nLayer())) {
        FloatBuffer dst = hostParams.view(p.offset(), Math.toIntExact(p.size())).floats();
        long left = p.size() * stored.bytes();
        while (left > 0) {
          buf.clear().limit((int) Math.min(CHUNK_BYTES, left));
          while (buf.hasRemaining()) {
            if (ch.read(buf, pos + buf.position()) < 0) {
              throw new IOException(file + " ended inside " + p.name());
            }
          }
          buf.flip();
          pos += buf.limit();
          left -= buf.limit();
          if (stored == DType.FP32) {
            dst.put(buf.asFloatBuffer());
          } else {
            while (buf.hasRemaining()) {
              dst.put(DType.bf16ToFloat(buf.getShort()));
            }
          }
        }
      }
    }
  }

  /**
   * Writes a version-3 (FP32) file from {@code hostParams}, host FP32 of Ψ elements laid out by
   * {@link Gpt2Model#table}(cfg). The file appears whole or not at all: it is written beside the
   * target and moved into place.
   */
  public static void write(Path file, Gpt2Config cfg, Tensor hostParams) throws IOException {
    ParameterTable table = Gpt2Model.table(cfg);
    checkHost(hostParams, table);
    Path tmp = file.resolveSibling(file.getFileName() + ".partial");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      head.asIntBuffer()
          .put(
              new int[] {
                MAGIC,
                VERSION_FP32,
                cfg.blockSize(),
                cfg.vocabSize(),
                cfg.nLayer(),
                cfg.nHead(),
                cfg.nEmbd(),
                cfg.paddedVocabSize()
              });
      writeFully(ch, head);
      ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      for (ParamSpec p : fileOrder(table, cfg.nLayer())) {
        FloatBuffer src = hostParams.view(p.offset(), Math.toIntExact(p.size())).floats();
        while (src.hasRemaining()) {
          int n = Math.min(src.remaining(), CHUNK_BYTES / Float.BYTES);
          buf.clear();
          buf.asFloatBuffer().put(src.slice(src.position(), n));
          src.position(src.position() + n);
          buf.limit(n * Float.BYTES);
          writeFully(ch, buf);
        }
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The table's parameters in llm.c's file order. */
  static List<ParamSpec> fileOrder(ParameterTable table, int layers) {
    List<ParamSpec> out = new ArrayList<>();
    out.add(table.get("wte.weight"));
    out.add(table.get("wpe.weight"));
    for (String t : BLOCK_TENSORS) {
      for (int l = 0; l < layers; l++) {
        out.add(table.get("h." + l + "." + t));
      }
    }
    out.add(table.get("ln_f.weight"));
    out.add(table.get("ln_f.bias"));
    return out;
  }

  private record Header(int version, Gpt2Config cfg) {}

  private static Header header(Path file, FileChannel ch) throws IOException {
    long length = ch.size();
    if (length < HEADER_BYTES) {
      throw new IllegalArgumentException(
          file + " is " + length + " bytes, shorter than llm.c's 1024-byte header");
    }
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      ch.read(b, b.position());
    }
    IntBuffer h = b.flip().asIntBuffer();
    if (h.get(0) != MAGIC) {
      throw new IllegalArgumentException(
          file + " is not an llm.c GPT-2 model file: magic " + h.get(0) + ", expected " + MAGIC);
    }
    int version = h.get(1);
    if (version != VERSION_FP32 && version != VERSION_BF16) {
      throw new IllegalArgumentException(
          file
              + " has llm.c version "
              + version
              + "; readable versions are 3 (fp32) and 5 (bf16): re-export it with llm.c's"
              + " train_gpt2.py");
    }
    Gpt2Config cfg;
    try {
      cfg = new Gpt2Config(h.get(4), h.get(5), h.get(6), h.get(3), h.get(2), h.get(7));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + " has an invalid header: " + e.getMessage(), e);
    }
    long want = HEADER_BYTES + cfg.parameterCount() * (version == VERSION_FP32 ? 4 : 2);
    if (length != want) {
      throw new IllegalArgumentException(
          file
              + " is "
              + length
              + " bytes, but its header ("
              + shape(cfg)
              + ", version "
              + version
              + ") needs "
              + want
              + ": the file is truncated or not from llm.c");
    }
    return new Header(version, cfg);
  }

  private static void checkHost(Tensor hostParams, ParameterTable table) {
    if (hostParams.dtype() != DType.FP32 || hostParams.size() != table.totalElements()) {
      throw new IllegalArgumentException(
          "parameters must be host FP32 of "
              + table.totalElements()
              + " elements for this GPT-2, got "
              + hostParams);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static String shape(Gpt2Config c) {
    return "L="
        + c.nLayer()
        + " NH="
        + c.nHead()
        + " C="
        + c.nEmbd()
        + " V="
        + c.vocabSize()
        + " Vp="
        + c.paddedVocabSize()
        + " maxT="
        + c.blockSize();
  }
}
