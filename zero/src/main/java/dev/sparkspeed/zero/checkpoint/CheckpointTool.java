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
 * {@link #main} reads local directories; {@link #run} reads any {@link CheckpointStore} (the Spark
 * module's command opens hdfs:// and s3a:// URIs with it). {@code --out} is always local.
 */
public final class CheckpointTool {
  private static final String USAGE =
      "usage: checkpoint inspect --checkpoint DIR [--tag T] [--verify]\n"
          + "       checkpoint consolidate --checkpoint DIR [--tag T] --out DIR [--dtype fp32|bf16]";

  private CheckpointTool() {}

  /** Opens the store rooted at a location given on the command line. */
  @FunctionalInterface
  public interface StoreOpener {
    /**
     * @param location a checkpoint root or one checkpoint's directory, as the user wrote it (a
     *     local path, or a URI for openers that know its scheme)
     */
    CheckpointStore open(String location) throws IOException;
  }

  /** The tool on local directories. */
  public static void main(String[] argv) throws IOException {
    if (argv.length == 0 || !Set.of("inspect", "consolidate").contains(argv[0])) {
      System.err.println(USAGE);
      System.exit(2);
    }
    run(argv, CheckpointTool::openLocal, System.out);
  }

  /**
   * Runs {@code inspect} or {@code consolidate} ({@code argv[0]}) on the checkpoint that {@code
   * stores} opens for {@code --checkpoint}; {@code --out} is a local directory.
   *
   * @throws IllegalArgumentException naming the option that is missing or malformed
   */
  public static void run(String[] argv, StoreOpener stores, PrintStream out) throws IOException {
    if (argv.length == 0 || !Set.of("inspect", "consolidate").contains(argv[0])) {
      throw new IllegalArgumentException(USAGE);
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
    try (CheckpointReader r = open(stores, a.get("checkpoint", ""), a.get("tag", null))) {
      if (cmd.equals("inspect")) {
        if (a.flag("verify")) {
          r.verifyChecksums();
        }
        inspect(r, out);
        if (a.flag("verify")) {
          out.println("checksums: all tensors verified");
        }
      } else {
        if (!a.has("out")) {
          throw new IllegalArgumentException("--out DIR is required\n" + USAGE);
        }
        DType dtype = DType.parse(a.get("dtype", "fp32"));
        Path dir = Path.of(a.get("out", ""));
        HfGpt2Export.Summary s = HfGpt2Export.export(r, dir, dtype);
        out.printf(
            "wrote %s (%d tensors, %d bytes, %s) and %s for checkpoint %s step %d%n",
            dir.resolve(HfGpt2Export.WEIGHTS_FILE),
            s.tensors(),
            s.bytes(),
            dtype,
            HfGpt2Export.CONFIG_FILE,
            r.tag(),
            r.manifest().meta().step());
      }
    }
  }

  /** The store of a local checkpoint directory; fails when it is not a directory. */
  public static CheckpointStore openLocal(String location) throws IOException {
    Path dir = Path.of(location);
    if (!Files.isDirectory(dir)) {
      throw new IOException("--checkpoint " + dir + " is not a directory");
    }
    return new LocalCheckpointStore(dir);
  }

  /**
   * Opens {@code tag} under {@code location}, the newest usable checkpoint when tag is null, or
   * {@code location} itself when it is one checkpoint's directory (it holds a manifest).
   */
  static CheckpointReader open(StoreOpener stores, String location, String tag) throws IOException {
    String loc = location.replaceAll("(?<=.)/+$", "");
    CheckpointStore store = stores.open(loc);
    if (tag == null && store.exists(CheckpointFormat.MANIFEST)) {
      int slash = loc.lastIndexOf('/');
      if (slash < 0) {
        return CheckpointReader.open(stores.open("."), loc);
      }
      String parent = slash == 0 ? "/" : loc.substring(0, slash);
      return CheckpointReader.open(stores.open(parent), loc.substring(slash + 1));
    }
    if (tag != null) {
      return CheckpointReader.open(store, tag);
    }
    return CheckpointLocator.openLatest(store, CheckpointLocator.Verify.STRUCTURE)
        .orElseThrow(
            () ->
                new IOException(
                    "no committed checkpoint under "
                        + store.describe()
                        + "; pass --tag to name one"));
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
