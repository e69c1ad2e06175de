package dev.sparkspeed.trainer;

import dev.sparkspeed.feed.EpochPolicy;
import dev.sparkspeed.feed.NullPolicy;
import dev.sparkspeed.feed.tokenizer.Tokenizer;
import dev.sparkspeed.plugin.SparkSpeedPlugin;
import dev.sparkspeed.trainer.rank.Tokenizers;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import dev.sparkspeed.zero.train.Args;
import dev.sparkspeed.zero.train.Sampler;
import dev.sparkspeed.zero.train.TinyCorpus;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The command-line trainer, for {@code spark-submit} and {@code bin/sparkspeed train}:
 *
 * <pre>
 * train --deepspeed ds_config.json --model (preset | model.json) --data (parquet | text | table)
 *       (--tokens-column C | --text-column C | --features-column C --label-column C)
 *       --world-size N --max-steps K [--output DIR_OR_URI [--save-every N]] [--master local[2]]
 *       [--format F]
 *       [--seq-len T] [--tokenizer byte|tokenizer.json] [--epoch-policy wrap|trim]
 *       [--null-policy error|skip] [--shuffle UNITS] [--rendezvous-timeout SECONDS]
 *       [--sample CHARS] [--no-plugin] [--device cpu|cuda|auto]
 * </pre>
 *
 * It creates the SparkSession itself ({@code local[N]} for N ranks unless a master is given, or
 * spark-submit's), enables {@link SparkSpeedPlugin} for live progress unless {@code spark.plugins}
 * is set, and ends with {@code RESULT steps=N loss=X params_sha256=H}. With {@code --output} the
 * ranks keep checkpoints under it (every {@code --save-every} steps, default the DeepSpeed config's
 * {@code sparkspeed.save_interval}, and at the end) and a run resumes from the newest one, printing
 * {@code resumed from TAG at step K}; N in the RESULT line counts the resumed steps too. Without
 * arguments it trains gpt2-mini on a generated English-like corpus (a DataFrame of text lines)
 * through a real barrier stage and prints a sample: the quickstart.
 */
public final class Main {
  private static final Set<String> OPTIONS =
      Set.of(
          "deepspeed",
          "device",
          "model",
          "data",
          "format",
          "tokens-column",
          "text-column",
          "features-column",
          "label-column",
          "world-size",
          "max-steps",
          "output",
          "save-every",
          "master",
          "seq-len",
          "tokenizer",
          "epoch-policy",
          "null-policy",
          "shuffle",
          "rendezvous-timeout",
          "sample",
          "no-plugin!");

  private Main() {}

  /** {@code [train] --option value ...}; no options runs the quickstart. */
  public static void main(String[] argv) {
    CliLogging.quiet();
    int from = argv.length > 0 && argv[0].equals("train") ? 1 : 0;
    run(new Args(argv, from, OPTIONS), System.out);
  }

  /** Trains as the command line says and prints the progress, the sample and the RESULT line. */
  public static TrainResult run(Args a, PrintStream out) {
    int world = a.getInt("world-size", 2);
    Duration rendezvous =
        Duration.ofSeconds(
            a.getInt(
                "rendezvous-timeout", (int) TrainOptions.DEFAULT_RENDEZVOUS_TIMEOUT.toSeconds()));
    SparkSession spark = session(a, world, rendezvous);
    try {
      Dataset<Row> data = a.has("data") ? read(spark, a) : quickstartData(spark);
      TrainOptions o = options(a, world, rendezvous);
      TrainResult r = SparkSpeed.fit(data, o);
      report(r, o, a, out);
      return r;
    } finally {
      spark.stop();
    }
  }

  private static SparkSession session(Args a, int world, Duration rendezvous) {
    SparkSession.Builder b = SparkSession.builder().appName("sparkspeed-train");
    String master = a.get("master", System.getProperty("spark.master"));
    b.master(master == null ? "local[" + world + "]" : master);
    if (System.getProperty("spark.barrier.sync.timeout") == null) {
      b.config("spark.barrier.sync.timeout", rendezvous.toSeconds() + "s");
    }
    if (!a.flag("no-plugin") && System.getProperty("spark.plugins") == null) {
      b.config("spark.plugins", SparkSpeedPlugin.CLASS_NAME);
    }
    b.config("spark.ui.showConsoleProgress", "false");
    return b.getOrCreate();
  }

  private static TrainOptions options(Args a, int world, Duration rendezvous) {
    boolean columns =
        a.has("tokens-column")
            || a.has("text-column")
            || a.has("features-column")
            || a.has("label-column");
    String text = a.get("text-column", columns ? null : defaultTextColumn(a));
    return TrainOptions.builder()
        .model(a.get("model", "gpt2-mini"))
        .deepspeed(deepspeed(a))
        .tokensColumn(a.get("tokens-column", null))
        .textColumn(text)
        .featuresColumn(a.get("features-column", null))
        .labelColumn(a.get("label-column", null))
        .worldSize(world)
        .maxSteps(a.getInt("max-steps", a.has("data") ? 0 : 300))
        .seqLen(a.getInt("seq-len", 0))
        .tokenizer(a.get("tokenizer", "byte"))
        .epochPolicy(EpochPolicy.valueOf(a.get("epoch-policy", "wrap").toUpperCase(Locale.ROOT)))
        .nullPolicy(NullPolicy.valueOf(a.get("null-policy", "error").toUpperCase(Locale.ROOT)))
        .shuffleBuffer(a.getInt("shuffle", 0))
        .output(a.get("output", null))
        .saveEvery(saveEvery(a))
        .rendezvousTimeout(rendezvous)
        .build();
  }

  /**
   * The --deepspeed config (a path or JSON text; the installation's conf/ds_config.json when none),
   * with --device, when given, as its {@code sparkspeed.device}.
   */
  private static String deepspeed(Args a) {
    String ds = a.get("deepspeed", defaultConfig());
    if (!a.has("device")) {
      return ds;
    }
    return DeepSpeedText.withDevice(DeepSpeedText.read(ds), a.get("device", null));
  }

  private static long saveEvery(Args a) {
    if (!a.has("save-every")) {
      return -1;
    }
    if (!a.has("output")) {
      throw new IllegalArgumentException("--save-every needs --output DIR_OR_URI to save into");
    }
    long every = a.getInt("save-every", 0);
    if (every < 0) {
      throw new IllegalArgumentException("--save-every " + every + " must be 0 (end only) or more");
    }
    return every;
  }

  /** The column of spark.read.text ("value") for text data, "text" for the quickstart. */
  private static String defaultTextColumn(Args a) {
    return a.has("data") ? "value" : "text";
  }

  /** conf/ds_config.json of the installation (bin/sparkspeed sets sparkspeed.home), if present. */
  private static String defaultConfig() {
    Path p = Path.of(System.getProperty("sparkspeed.home", "."), "conf", "ds_config.json");
    return Files.isRegularFile(p) ? p.toString() : null;
  }

  static Dataset<Row> read(SparkSession spark, Args a) {
    String data = a.get("data", null);
    String format = a.get("format", null);
    if (format == null) {
      String lower = data.toLowerCase(Locale.ROOT);
      if (!data.contains("/")
          && !Files.exists(Path.of(data))
          && spark.catalog().tableExists(data)) {
        format = "table";
      } else if (lower.endsWith(".txt") || lower.endsWith(".text") || lower.endsWith(".md")) {
        format = "text";
      } else if (lower.endsWith(".json") || lower.endsWith(".jsonl")) {
        format = "json";
      } else {
        format = "parquet";
      }
    }
    return switch (format) {
      case "table" -> spark.table(data);
      case "text" -> spark.read().text(data);
      case "json" -> spark.read().json(data);
      case "parquet" -> spark.read().parquet(data);
      default ->
          throw new IllegalArgumentException(
              "--format " + format + " is not parquet, text, json or table");
    };
  }

  /** The generated corpus as a DataFrame of text lines (column "text"). */
  static Dataset<Row> quickstartData(SparkSession spark) {
    List<Row> rows =
        Arrays.stream(TinyCorpus.generate(200_000, 1337).split("\n"))
            .map(l -> RowFactory.create(l))
            .toList();
    StructType schema = new StructType().add("text", DataTypes.StringType, false);
    return spark.createDataFrame(rows, schema);
  }

  private static void report(TrainResult r, TrainOptions o, Args a, PrintStream out) {
    if (r.resumedFrom() != null) {
      out.printf(Locale.ROOT, "resumed from %s at step %d%n", r.resumedFrom(), r.startStep());
    }
    if (SparkSpeedPlugin.progressLines().isEmpty()) {
      int every = Math.max(1, r.steps() / 10);
      for (int s = 0; s < r.steps(); s++) {
        if (s == 0 || (s + 1) % every == 0 || s == r.steps() - 1) {
          out.printf(
              Locale.ROOT,
              "step %5d/%d  loss %.4f  %.3f s/step%n",
              r.startStep() + s + 1,
              r.totalSteps(),
              r.losses()[s],
              r.stepSeconds()[s]);
        }
      }
    }
    if (r.steps() > 0) {
      out.printf(
          Locale.ROOT,
          "trained %d steps on %d ranks in %.1f s (stage attempt %d); loss %.4f -> %.4f%n",
          r.steps(),
          o.worldSize(),
          r.wallSeconds(),
          r.stageAttempt(),
          r.losses()[0],
          r.finalLoss());
    } else {
      out.printf(Locale.ROOT, "nothing left to train: %d steps done%n", r.totalSteps());
    }
    if (r.model().kind() == ModelSpec.Kind.GPT2 && o.textColumn() != null) {
      out.println("--- sample ---");
      out.println(sample(r, o, a.getInt("sample", 200)));
      out.println("--------------");
    }
    out.printf(
        Locale.ROOT,
        "RESULT steps=%d loss=%.6f params_sha256=%s%n",
        r.totalSteps(),
        r.finalLoss(),
        r.paramsSha256());
  }

  /** Text the trained model writes after "The ". */
  static String sample(TrainResult r, TrainOptions o, int chars) {
    Gpt2Config cfg = r.model().gpt2();
    Tokenizer tok = Tokenizers.open(o.tokenizer(), cfg.vocabSize());
    String prompt = "The ";
    try (Allocator host = new Allocator("sample");
        CpuBackend be = new CpuBackend()) {
      var buf = host.allocate("params", DType.FP32, r.params().length);
      try {
        Tensor params = Tensor.whole(buf);
        params.floats().put(r.params());
        int[] gen =
            Sampler.generate(
                cfg,
                be,
                params,
                tok.encode(prompt),
                chars,
                0.8,
                1337,
                r.model().seqLen(o.seqLen()));
        return prompt + tok.decode(gen);
      } finally {
        buf.close();
      }
    }
  }
}
