package dev.sparkspeed.feed.bench;

import dev.sparkspeed.feed.ColumnSpec;
import dev.sparkspeed.feed.EpochPlan;
import dev.sparkspeed.feed.EpochPolicy;
import dev.sparkspeed.feed.FeatureBatcher;
import dev.sparkspeed.feed.TokenBatcher;
import dev.sparkspeed.feed.spark.ArrowBatchStream;
import dev.sparkspeed.feed.spark.FeedSchema;
import dev.sparkspeed.feed.spark.RowBatchSource;
import dev.sparkspeed.zero.tensor.Allocator;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.ArraySeq;

/**
 * Feed throughput without a cluster: rows are generated in memory in the form Spark hands them to a
 * task (array columns as Scala sequences of boxed values, ML vectors) and streamed through Arrow
 * into fixed-shape batches, as a barrier task would. Ends with exactly one line
 *
 * <pre>RESULT rows_per_s=X mb_per_s=Y tokens_per_s=Z</pre>
 *
 * where MB/s counts the column data that went into Arrow (4 bytes per token id; 4 per feature plus
 * 8 per label) and tokens/s the input positions handed out in batches (0 for features).
 *
 * <p>Flags: {@code --kind tokens|features} (default tokens), {@code --rows N}, {@code --batch B},
 * {@code --block T} (tokens), {@code --width F} (features), {@code --shuffle N}, {@code --seconds
 * S} of timed passes after one warm-up pass. Needs Spark's jars on the class path and, on JDK 17,
 * {@code --add-opens=java.base/java.nio=ALL-UNNAMED} for Arrow.
 */
public final class FeedBench {
  /** Measured rates. */
  public record Result(double rowsPerSecond, double mbPerSecond, double tokensPerSecond) {
    String line() {
      return String.format(
          "RESULT rows_per_s=%.0f mb_per_s=%.1f tokens_per_s=%.0f",
          rowsPerSecond, mbPerSecond, tokensPerSecond);
    }
  }

  private FeedBench() {}

  public static void main(String[] args) {
    run(args, System.out);
  }

  /** Runs the benchmark, printing progress and the RESULT line to {@code out}. */
  public static Result run(String[] args, PrintStream out) {
    Map<String, String> flags = parse(args);
    String kind = flags.getOrDefault("kind", "tokens");
    double seconds = Double.parseDouble(flags.getOrDefault("seconds", "3"));
    int shuffle = Integer.parseInt(flags.getOrDefault("shuffle", "0"));
    Result r =
        switch (kind) {
          case "tokens" ->
              tokens(
                  Integer.parseInt(flags.getOrDefault("rows", "4000")),
                  Integer.parseInt(flags.getOrDefault("batch", "4")),
                  Integer.parseInt(flags.getOrDefault("block", "1024")),
                  shuffle,
                  seconds,
                  out);
          case "features" ->
              features(
                  Integer.parseInt(flags.getOrDefault("rows", "50000")),
                  Integer.parseInt(flags.getOrDefault("batch", "256")),
                  Integer.parseInt(flags.getOrDefault("width", "64")),
                  shuffle,
                  seconds,
                  out);
          default ->
              throw new IllegalArgumentException(
                  "--kind " + kind + " is not one of tokens, features");
        };
    out.println(r.line());
    return r;
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> flags = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "expected --flag value pairs, got '"
                + args[i]
                + "'; flags: --kind, --rows, --batch,"
                + " --block, --width, --shuffle, --seconds");
      }
      flags.put(args[i].substring(2), args[++i]);
    }
    return flags;
  }

  private static Result tokens(
      int docs, int b, int t, int shuffle, double seconds, PrintStream out) {
    StructType schema =
        new StructType().add("tokens", DataTypes.createArrayType(DataTypes.IntegerType));
    SplittableRandom rnd = new SplittableRandom(1);
    List<Row> rows = new ArrayList<>(docs);
    long tokens = 0;
    for (int d = 0; d < docs; d++) {
      Object[] ids = new Object[64 + rnd.nextInt(961)];
      for (int k = 0; k < ids.length; k++) {
        ids[k] = rnd.nextInt(50257);
      }
      tokens += ids.length;
      rows.add(RowFactory.create(ArraySeq.unsafeWrapArray(ids)));
    }
    out.printf(
        "feed bench: tokens, %d rows, %d tokens, B=%d T=%d shuffle=%d%n",
        docs, tokens, b, t, shuffle);
    ColumnSpec col = ColumnSpec.tokenIds("tokens");
    TokenBatcher.Config cfg =
        TokenBatcher.Config.of(col, b, t).withVocab(50257).withShuffle(shuffle, 7);
    try (BufferAllocator arrow = new RootAllocator(256L << 20);
        Allocator host = new Allocator("feed-bench");
        RowBatchSource src = source(rows, schema, FeedSchema.of(col), arrow);
        TokenBatcher batcher = new TokenBatcher(cfg, null, src, host)) {
      EpochPlan plan = EpochPlan.single(tokens, b, t, EpochPolicy.TRIM);
      Timed timed =
          time(
              seconds,
              out,
              epoch -> {
                batcher.start(epoch, plan);
                while (batcher.hasNext()) {
                  batcher.next();
                }
              });
      double s = timed.seconds;
      long passes = timed.passes;
      return new Result(
          passes * docs / s,
          passes * tokens * Integer.BYTES / 1e6 / s,
          passes * plan.steps() * b * t / s);
    }
  }

  private static Result features(
      int n, int b, int width, int shuffle, double seconds, PrintStream out) {
    StructType schema =
        new StructType()
            .add("features", SQLDataTypes.VectorType())
            .add("label", DataTypes.DoubleType);
    SplittableRandom rnd = new SplittableRandom(2);
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      double[] x = new double[width];
      for (int k = 0; k < width; k++) {
        x[k] = rnd.nextDouble();
      }
      rows.add(RowFactory.create(Vectors.dense(x), rnd.nextDouble()));
    }
    out.printf("feed bench: features, %d rows, F=%d, B=%d shuffle=%d%n", n, width, b, shuffle);
    ColumnSpec x = ColumnSpec.features("features", width);
    ColumnSpec y = ColumnSpec.label("label");
    FeatureBatcher.Config cfg = FeatureBatcher.Config.regression(x, y, b).withShuffle(shuffle, 7);
    try (BufferAllocator arrow = new RootAllocator(256L << 20);
        Allocator host = new Allocator("feed-bench");
        RowBatchSource src = source(rows, schema, FeedSchema.of(x, y), arrow);
        FeatureBatcher batcher = new FeatureBatcher(cfg, src, host)) {
      EpochPlan plan = EpochPlan.forRows(new long[] {n}, b, EpochPolicy.TRIM);
      Timed timed =
          time(
              seconds,
              out,
              epoch -> {
                batcher.start(epoch, plan);
                while (batcher.hasNext()) {
                  batcher.next();
                }
              });
      double bytesPerRow = width * (double) Float.BYTES + Double.BYTES;
      return new Result(
          timed.passes * n / timed.seconds,
          timed.passes * n * bytesPerRow / 1e6 / timed.seconds,
          0);
    }
  }

  private static RowBatchSource source(
      List<Row> rows, StructType schema, FeedSchema feed, BufferAllocator arrow) {
    return new RowBatchSource(
        rows::iterator, schema, feed, arrow, ArrowBatchStream.Options.defaults());
  }

  private record Timed(long passes, double seconds) {}

  private interface Pass {
    void run(int epoch);
  }

  /** One warm-up pass, then whole passes until {@code seconds} have gone by. */
  private static Timed time(double seconds, PrintStream out, Pass pass) {
    long w0 = System.nanoTime();
    pass.run(0);
    out.printf("warm-up pass: %.3f s%n", (System.nanoTime() - w0) / 1e9);
    long t0 = System.nanoTime();
    long passes = 0;
    double elapsed;
    do {
      pass.run((int) passes + 1);
      passes++;
      elapsed = (System.nanoTime() - t0) / 1e9;
    } while (elapsed < seconds);
    out.printf("timed: %d passes in %.3f s%n", passes, elapsed);
    return new Timed(passes, elapsed);
  }
}
