package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.train.Args;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code bin/sparkspeed checkpoint inspect|consolidate}: prints a checkpoint's manifest, or writes
 * its weights as a Hugging Face GPT-2 directory.
 *
 * <pre>
 * checkpoint inspect     --checkpoint DIR [--tag T] [--verify]
 * checkpoint consolidate --checkpoint DIR [--tag T] --out DIR [--dtype fp32|bf16]
 * </pre>
 *
 * DIR is a checkpoint root (the newest committed checkpoint is used unless --tag names one) or one
 * checkpoint's own directory. {@code --verify} also reads every tensor and checks its checksums.
 */
public final class CheckpointTool {
  private static final String USAGE =
      "usage: checkpoint inspect --checkpoint DIR [--tag T] [--verify]\n"
          + "       checkpoint consolidate --checkpoint DIR [--tag T] --out DIR [--dtype fp32|bf16]";

  private CheckpointTool() {}

  public static void main(String[] argv) throws IOException {
    if (argv.length == 0 || !Set.of("inspect", "consolidate").contains(argv[0])) {
      System.err.println(USAGE);
      System.exit(2);
    }
    String cmd = argv[0];
    Args a =
        new Args(
            argv,
            1,
            cmd.equals("inspect")
                ? Set.of("checkpoint", "tag", "verify!")
                : Set.of("checkpoint", "tag", "out", "dtype"));
    if (!a.has("checkpoint")) {
      throw new IllegalArgumentException("--checkpoint DIR is required\n" + USAGE);
    }
    try (CheckpointReader r = open(Path.of(a.get("checkpoint", "")), a.get("tag", null))) {
      if (cmd.equals("inspect")) {
        if (a.flag("verify")) {
          r.verifyChecksums();
        }
        inspect(r, System.out);
        if (a.flag("verify")) {
          System.out.println("checksums: all tensors verified");
        }
      } else {
        if (!a.has("out")) {
          throw new IllegalArgumentException("--out DIR is required\n" + USAGE);
        }
        DType dtype = DType.parse(a.get("dtype", "fp32"));
        Path out = Path.of(a.get("out", ""));
        HfGpt2Export.Summary s = HfGpt2Export.export(r, out, dtype);
        System.out.printf(
            "wrote %s (%d tensors, %d bytes, %s) and %s for checkpoint %s step %d%n",
            out.resolve(HfGpt2Export.WEIGHTS_FILE),
            s.tensors(),
            s.bytes(),
            dtype,
            HfGpt2Export.CONFIG_FILE,
            r.tag(),
            r.manifest().meta().step());
      }
    }
  }

  /**
   * Opens {@code tag} under {@code dir}, the newest usable checkpoint when tag is null, or {@code
   * dir} itself when it is one checkpoint's directory.
   */
  static CheckpointReader open(Path dir, String tag) throws IOException {
    if (tag == null && Files.isRegularFile(dir.resolve(CheckpointFormat.MANIFEST))) {
      Path root = dir.toAbsolutePath().getParent();
      return CheckpointReader.open(new LocalCheckpointStore(root), dir.getFileName().toString());
    }
    if (!Files.isDirectory(dir)) {
      throw new IOException("--checkpoint " + dir + " is not a directory");
    }
    CheckpointStore store = new LocalCheckpointStore(dir);
    if (tag != null) {
      return CheckpointReader.open(store, tag);
    }
    return CheckpointLocator.openLatest(store, CheckpointLocator.Verify.STRUCTURE)
        .orElseThrow(
            () ->
                new IOException(
                    "no committed checkpoint under " + dir + "; pass --tag to name one"));
  }

  /** Prints the manifest's summary: training state, configs, files and flat tensors. */
  static void inspect(CheckpointReader r, PrintStream out) {
    CheckpointManifest m = r.manifest();
    CheckpointMeta meta = m.meta();
    out.printf("checkpoint %s%n", r.tag());
    out.printf(
        "  format %s version %d, step %d, world size %d, ZeRO stage %d%n",
        CheckpointFormat.FORMAT_NAME,
        CheckpointFormat.VERSION,
        meta.step(),
        meta.worldSize(),
        meta.zeroStage());
    line(out, "model_config", meta.modelConfig());
    line(out, "engine_state", meta.engineState());
    line(out, "loss_scaler", meta.lossScaler());
    line(out, "data_cursor", meta.dataCursor());
    line(out, "rng_states", meta.rngStates());
    line(out, "deepspeed_config", meta.deepspeedConfig());
    long total = 0;
    out.printf("  files (%d):%n", m.files().size());
    for (FileEntry f : m.files()) {
      out.printf("    %-20s rank %2d  %,d bytes%n", f.name(), f.rank(), f.bytes());
      total += f.bytes();
    }
    out.printf("  total %,d bytes, checksum chunks of %,d bytes%n", total, m.chunkBytes());
    Map<String, long[]> flat = new TreeMap<>();
    int whole = 0;
    for (TensorEntry t : m.tensors()) {
      if (t.partOf() == null) {
        whole++;
        continue;
      }
      long[] s = flat.computeIfAbsent(t.partOf().tensor(), k -> new long[2]);
      s[0]++;
      s[1] = t.partOf().numel();
    }
    for (Map.Entry<String, long[]> e : flat.entrySet()) {
      out.printf(
          "  flat tensor %-8s %,d elements of %s in %d pieces%n",
          e.getKey(), e.getValue()[1], r.dtype(e.getKey()), e.getValue()[0]);
    }
    if (whole > 0) {
      out.printf("  %d other tensors%n", whole);
    }
  }

  private static void line(PrintStream out, String name, JsonNode value) {
    if (!value.isNull()) {
      out.printf("  %s: %s%n", name, value);
    }
  }
}
