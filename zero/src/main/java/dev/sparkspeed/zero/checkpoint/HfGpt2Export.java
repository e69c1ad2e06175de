package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkspeed.zero.checkpoint.HfGpt2Layout.Entry;
import dev.sparkspeed.zero.checkpoint.SafetensorsWriter.Declaration;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Consolidates a checkpoint's weights into Hugging Face's GPT-2 layout: one {@code
 * model.safetensors} (FP32 or BF16) and a {@code config.json}. The weights come from the flat FP32
 * {@code master} tensor, read one parameter at a time from whichever rank files hold it, so memory
 * stays at two copies of the largest parameter (the token embedding) whatever the model's size and
 * the world size that wrote it.
 */
public final class HfGpt2Export {
  /** The weights file's name, as Hugging Face's loaders expect it. */
  public static final String WEIGHTS_FILE = "model.safetensors";

  /** The config file's name. */
  public static final String CONFIG_FILE = "config.json";

  private static final String MASTER = "master";

  /**
   * What an export wrote.
   *
   * @param config the model exported
   * @param tensors tensors in the safetensors file
   * @param bytes size of the safetensors file
   */
  public record Summary(Gpt2Config config, int tensors, long bytes) {}

  private HfGpt2Export() {}

  /**
   * Writes {@code outDir/model.safetensors} and {@code outDir/config.json}. The weights file is
   * written under a temporary name and renamed when complete.
   *
   * @param dtype FP32 or BF16 (rounded to nearest even)
   */
  public static Summary export(CheckpointReader r, Path outDir, DType dtype) throws IOException {
    if (dtype != DType.FP32 && dtype != DType.BF16) {
      throw new IllegalArgumentException(
          "--dtype " + dtype + " is not supported; use fp32 or bf16");
    }
    Gpt2Config cfg = modelConfig(r);
    long psi = cfg.parameterCount();
    if (!r.has(MASTER) || r.numel(MASTER) != psi || r.dtype(MASTER) != DType.FP32) {
      throw new IllegalArgumentException(
          "checkpoint "
              + r.tag()
              + " has no FP32 '"
              + MASTER
              + "' of "
              + psi
              + " elements for its model "
              + cfg
              + "; it was not written by the engine");
    }
    List<Entry> entries = HfGpt2Layout.entries(cfg);
    List<Declaration> decls = new ArrayList<>();
    long largest = 1;
    for (Entry e : entries) {
      decls.add(new Declaration(e.key(), dtype, e.hfShape()));
      largest = Math.max(largest, e.param().size());
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put("sparkspeed_checkpoint", r.tag());
    meta.put("sparkspeed_step", Long.toString(r.manifest().meta().step()));
    Files.createDirectories(outDir);
    Path tmp = outDir.resolve(WEIGHTS_FILE + ".partial");
    Path out = outDir.resolve(WEIGHTS_FILE);
    try (Allocator a = new Allocator("consolidate")) {
      Tensor ours = Tensor.whole(a.allocate("consolidate", DType.FP32, largest));
      Tensor hf = Tensor.whole(a.allocate("consolidate", DType.FP32, largest));
      Tensor half =
          Tensor.whole(a.allocate("consolidate", DType.BF16, dtype == DType.BF16 ? largest : 1));
      try (FileChannel ch =
              FileChannel.open(
                  tmp,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.TRUNCATE_EXISTING,
                  StandardOpenOption.WRITE);
          SafetensorsWriter w = SafetensorsWriter.open(ch, decls, meta)) {
        for (Entry e : entries) {
          int n = Math.toIntExact(e.param().size());
          int m = Math.toIntExact(e.hfNumel());
          Tensor o = ours.view(0, n);
          r.readRange(MASTER, e.param().offset(), e.param().end(), o.bytes());
          Tensor h = hf.view(0, m);
          HfGpt2Layout.toHf(e, o.floats(), h.floats());
          if (dtype == DType.BF16) {
            Tensor b = half.view(0, m);
            ShortBuffer sb = b.shorts();
            for (int i = 0; i < m; i++) {
              sb.put(i, DType.floatToBf16(h.floats().get(i)));
            }
            w.write(e.key(), b.bytes());
          } else {
            w.write(e.key(), h.bytes());
          }
        }
        w.finish();
      } finally {
        ours.storage().close();
        hf.storage().close();
        half.storage().close();
      }
    }
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    String torch = dtype == DType.BF16 ? "bfloat16" : "float32";
    Files.write(
        outDir.resolve(CONFIG_FILE),
        JsonCheck.MAPPER
            .writerWithDefaultPrettyPrinter()
            .writeValueAsBytes(HfGpt2Layout.configJson(cfg, torch)));
    return new Summary(cfg, entries.size(), Files.size(out));
  }

  /** The GPT-2 config a checkpoint was saved for. */
  public static Gpt2Config modelConfig(CheckpointReader r) {
    JsonNode mc = r.manifest().meta().modelConfig();
    String type = mc.path("model_type").asText("");
    if (!type.equals("gpt2")) {
      throw new IllegalArgumentException(
          "checkpoint "
              + r.tag()
              + " holds a model of type '"
              + type.toLowerCase(Locale.ROOT)
              + "' (model_config "
              + mc
              + "); only GPT-2 models can be written in Hugging Face's layout");
    }
    return Gpt2Config.fromJson(mc);
  }
}
