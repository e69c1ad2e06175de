package dev.sparkspeed.it;

import dev.sparkspeed.feed.ColumnSpec;
import dev.sparkspeed.feed.EpochPlan;
import dev.sparkspeed.feed.EpochPolicy;
import dev.sparkspeed.feed.FeatureBatch;
import dev.sparkspeed.feed.FeatureBatcher;
import dev.sparkspeed.feed.TokenBatch;
import dev.sparkspeed.feed.TokenBatcher;
import dev.sparkspeed.feed.spark.ArrowBatchStream;
import dev.sparkspeed.feed.spark.FeedSchema;
import dev.sparkspeed.feed.spark.RowBatchSource;
import dev.sparkspeed.feed.tokenizer.ByteTokenizer;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.comm.LoopbackRing;
import dev.sparkspeed.zero.config.AutoValues;
import dev.sparkspeed.zero.config.DeepSpeedConfig;
import dev.sparkspeed.zero.engine.SettingsFromConfig;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.model.MlpConfig;
import dev.sparkspeed.zero.model.MlpModel;
import dev.sparkspeed.zero.model.Model;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * The same training as a Spark run, in this JVM without Spark: one thread per rank over the
 * loopback ring, each reading its partition's rows (as Spark would hand them over) through the data
 * feed into the ZeRO engine. The reference for the Spark runs' parameters.
 */
final class InProcessReference {
  private InProcessReference() {}

  /** What a rank trains on: the micro-batch source, given the epoch plan. */
  private interface RankFeed extends AutoCloseable {
    long count();

    Batch next(EpochPlan plan);

    @Override
    void close();
  }

  /**
   * A byte-level GPT on a text column, rows separated by '\n' (the trainer's separator for a 256-id
   * byte model), epoch policy wrap, no shuffle.
   */
  static float[] gpt(
      List<List<Row>> parts,
      StructType schema,
      String col,
      Gpt2Config cfg,
      String ds,
      int steps,
      int t)
      throws Exception {
    DeepSpeedConfig c = config(ds, parts.size(), cfg.nEmbd(), steps);
    int micro = c.batch().microBatchPerGpu();
    ColumnSpec spec = ColumnSpec.text(col);
    return train(
        parts.size(),
        steps,
        c,
        be -> new Gpt2Model(cfg, be, micro, t),
        (rank, host, arrow) -> {
          RowBatchSource src = source(parts.get(rank), schema, FeedSchema.of(spec), arrow);
          TokenBatcher b =
              new TokenBatcher(
                  new TokenBatcher.Config(spec, micro, t, '\n', cfg.vocabSize(), 0, 0),
                  new ByteTokenizer(false),
                  src,
                  host);
          return feed(b.countTokens(), b::start, b::hasNext, () -> tokens(b.next()), b, src);
        },
        counts -> EpochPlan.forTokens(counts, micro, t, EpochPolicy.WRAP));
  }

  /** An MLP classifier on a features and a label column, epoch policy wrap, no shuffle. */
  static float[] mlp(
      List<List<Row>> parts,
      StructType schema,
      String x,
      String y,
      MlpConfig cfg,
      String ds,
      int steps)
      throws Exception {
    DeepSpeedConfig c = config(ds, parts.size(), 32, steps);
    int micro = c.batch().microBatchPerGpu();
    ColumnSpec fs = ColumnSpec.features(x, cfg.inputDim());
    ColumnSpec ls = ColumnSpec.label(y);
    return train(
        parts.size(),
        steps,
        c,
        be -> new MlpModel(cfg, be, micro),
        (rank, host, arrow) -> {
          RowBatchSource src = source(parts.get(rank), schema, FeedSchema.of(fs, ls), arrow);
          FeatureBatcher b =
              new FeatureBatcher(
                  FeatureBatcher.Config.classification(fs, ls, micro, cfg.outputs()), src, host);
          return feed(b.countRows(), b::start, b::hasNext, () -> features(b.next()), b, src);
        },
        counts -> EpochPlan.forRows(counts, micro, EpochPolicy.WRAP));
  }

  private static Batch tokens(TokenBatch b) {
    return new Batch(b.inputs(), b.targets());
  }

  private static Batch features(FeatureBatch b) {
    return new Batch(b.features(), b.labels());
  }

  private interface Starter {
    void start(int epoch, EpochPlan plan);
  }

  private static RankFeed feed(
      long count,
      Starter start,
      Supplier<Boolean> hasNext,
      Supplier<Batch> next,
      AutoCloseable batcher,
      RowBatchSource src) {
    return new RankFeed() {
      int epoch = -1;

      @Override
      public long count() {
        return count;
      }

      @Override
      public Batch next(EpochPlan plan) {
        if (epoch < 0 || !hasNext.get()) {
          start.start(++epoch, plan);
        }
        return next.get();
      }

      @Override
      public void close() {
        try {
          batcher.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        src.close();
      }
    };
  }

  private interface FeedFactory {
    RankFeed open(int rank, Allocator host, RootAllocator arrow);
  }

  private interface ModelFactory {
    Model create(Backend be);
  }

  private static DeepSpeedConfig config(String ds, int world, int hidden, int steps) {
    return DeepSpeedConfig.parse(
        ds, AutoValues.world(world).withHiddenSize(hidden).withTotalSteps(steps));
  }

  private static RowBatchSource source(
      List<Row> rows, StructType schema, FeedSchema feed, RootAllocator arrow) {
    return new RowBatchSource(
        rows::iterator, schema, feed, arrow, ArrowBatchStream.Options.defaults());
  }

  private static float[] train(
      int world,
      int steps,
      DeepSpeedConfig c,
      ModelFactory models,
      FeedFactory feeds,
      java.util.function.Function<long[], EpochPlan> planner)
      throws Exception {
    TrainSettings s = SettingsFromConfig.of(c, OptimizerSpec.adamW(1e-3, 0.0));
    if (s.gradAccumSteps() != 1) {
      throw new IllegalArgumentException("the reference runs one micro-batch per step");
    }
    List<Allocator> hosts = new ArrayList<>();
    List<RootAllocator> arrows = new ArrayList<>();
    List<RankFeed> feedsByRank = new ArrayList<>();
    List<Communicator> comms = LoopbackRing.open(world);
    ExecutorService pool = Executors.newFixedThreadPool(world, r -> new Thread(r, "ref-rank"));
    try {
      long[] counts = new long[world];
      for (int r = 0; r < world; r++) {
        hosts.add(new Allocator("ref-host"));
        arrows.add(new RootAllocator(64L << 20));
        feedsByRank.add(feeds.open(r, hosts.get(r), arrows.get(r)));
        counts[r] = feedsByRank.get(r).count();
      }
      EpochPlan plan = planner.apply(counts);
      List<Future<float[]>> out = new ArrayList<>();
      for (int r = 0; r < world; r++) {
        Communicator comm = comms.get(r);
        RankFeed feed = feedsByRank.get(r);
        out.add(pool.submit(() -> rank(comm, feed, plan, models, s, steps)));
      }
      float[] p0 = out.get(0).get();
      for (Future<float[]> f : out) {
        f.get();
      }
      return p0;
    } finally {
      pool.shutdownNow();
      comms.forEach(Communicator::close);
      feedsByRank.forEach(RankFeed::close);
      hosts.forEach(Allocator::close);
      arrows.forEach(RootAllocator::close);
    }
  }

  private static float[] rank(
      Communicator comm,
      RankFeed feed,
      EpochPlan plan,
      ModelFactory models,
      TrainSettings s,
      int steps) {
    try (CpuBackend be = new CpuBackend(1, Long.MAX_VALUE);
        Model model = models.create(be);
        ZeroEngine engine = new ZeroEngine(model, be, comm, s);
        Allocator host = new Allocator("ref-export")) {
      for (int k = 0; k < steps; k++) {
        engine.step(List.of(feed.next(plan)));
      }
      var buf = host.allocate("params", DType.FP32, model.table().totalElements());
      Tensor all = Tensor.whole(buf);
      engine.copyParamsTo(all);
      float[] p = new float[all.intSize()];
      all.floats().get(p);
      buf.close();
      return p;
    }
  }
}
