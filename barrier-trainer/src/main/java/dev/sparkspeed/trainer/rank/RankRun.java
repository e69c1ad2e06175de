package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.feed.ColumnSpec;
import dev.sparkspeed.feed.EpochPlan;
import dev.sparkspeed.feed.FeatureBatcher;
import dev.sparkspeed.feed.FeedException;
import dev.sparkspeed.feed.LabelKind;
import dev.sparkspeed.feed.TokenBatcher;
import dev.sparkspeed.feed.spark.ArrowBatchStream;
import dev.sparkspeed.feed.spark.FeedSchema;
import dev.sparkspeed.feed.tokenizer.Tokenizer;
import dev.sparkspeed.trainer.DeepSpeedText;
import dev.sparkspeed.trainer.FeedColumns;
import dev.sparkspeed.trainer.ModelSpec;
import dev.sparkspeed.trainer.SparkSpeedException;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cuda.CudaBackend;
import dev.sparkspeed.zero.backend.cuda.NcclCommunicator;
import dev.sparkspeed.zero.comm.CommException;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.comm.RingConfig;
import dev.sparkspeed.zero.comm.RingEndpoint;
import dev.sparkspeed.zero.comm.TcpRingCommunicator;
import dev.sparkspeed.zero.config.ConfigException;
import dev.sparkspeed.zero.config.DeepSpeedConfig;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint;
import dev.sparkspeed.zero.model.Model;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rank of a training job, from its partition's rows to its result: spill and count the
 * partition, meet the other ranks once ({@link Rendezvous}), join the ring (NCCL when the ranks
 * train on GPUs), train, and export the parameters. Errors in the data or the settings found before
 * the rendezvous are shared there, so every rank returns the same failed result instead of leaving
 * the others waiting; failures after it (or ones a retry may fix) are thrown, so Spark retries the
 * whole barrier stage.
 */
public final class RankRun {
  private static final Logger LOG = LoggerFactory.getLogger(RankRun.class);

  /** Arrow memory a rank's feed may hold: a few record batches. */
  static final long FEED_MEMORY_BYTES = 256L << 20;

  /** How long a rank whose ring broke waits before failing; see {@link #yieldToFailedPeer}. */
  static final Duration PEER_FAILURE_GRACE = Duration.ofSeconds(2);

  private final RankJob job;
  private final TrainOptions o;
  private final RankContext ctx;
  private final Closer closer;
  private final int rank;
  private final int world;

  /** The feed of a rank, ready to train once the ranks' counts are known. */
  private record Prepared(
      DeepSpeedConfig config,
      Backend backend,
      StepFeed.Batches batches,
      long count,
      long rowsSkipped,
      double feedSeconds,
      Function<long[], EpochPlan> plan) {}

  private RankRun(RankJob job, RankContext ctx, Closer closer) {
    this.job = job;
    this.o = job.options();
    this.ctx = ctx;
    this.closer = closer;
    this.rank = ctx.rank();
    this.world = ctx.world();
  }

  /** Runs rank {@code ctx.rank()} on its partition's rows. */
  public static RankResult run(RankJob job, RankContext ctx, Iterator<Row> rows) {
    Thread me = Thread.currentThread();
    String name = me.getName();
    me.setName("sparkspeed-rank" + ctx.rank() + "-attempt" + ctx.stageAttempt());
    try (Closer closer = new Closer()) {
      return new RankRun(job, ctx, closer).train(rows);
    } finally {
      me.setName(name);
    }
  }

  private RankResult train(Iterator<Row> rows) {
    if (world != o.worldSize()) {
      throw new SparkSpeedException(
          "the barrier stage has "
              + world
              + " tasks but the world size is "
              + o.worldSize()
              + "; the input must have one partition per rank");
    }
    Prepared p = null;
    RingEndpoint endpoint = null;
    Throwable failure = null;
    try {
      p = prepare(rows);
      if (!(p.backend() instanceof CudaBackend)) {
        endpoint = closer.add(RingEndpoint.bind(InetAddress.getByName(ctx.host())));
      }
    } catch (RuntimeException | IOException | Error e) {
      failure = e;
      LOG.error("rank {} cannot start training", rank, e);
    }
    RankInfo mine =
        new RankInfo(
            rank,
            ctx.host(),
            endpoint == null ? "" : endpoint.address(),
            p == null ? 0 : p.count(),
            ctx.gpu(),
            p == null ? "" : backendKind(p.backend()),
            failure == null ? null : describe(failure),
            failure != null && !isDataOrSettingsError(failure));
    List<RankInfo> all = Rendezvous.exchange(ctx::allGather, mine, world, o.rendezvousTimeout());
    Optional<String> errors = Rendezvous.errors(all);
    if (errors.isPresent()) {
      if (failure != null && mine.retryable()) {
        throw new SparkSpeedException("rank " + rank + " failed: " + failure, failure);
      }
      if (Rendezvous.retryable(all)) {
        throw new SparkSpeedException("another rank failed before training:\n" + errors.get());
      }
      return RankResult.failed(rank, ctx.stageAttempt(), errors.get());
    }
    Optional<String> mismatch =
        Rendezvous.mixedBackends(all).or(() -> Rendezvous.duplicateGpus(all));
    if (mismatch.isPresent()) {
      return RankResult.failed(rank, ctx.stageAttempt(), mismatch.get());
    }
    long[] counts = all.stream().mapToLong(RankInfo::count).toArray();
    EpochPlan plan;
    try {
      plan = p.plan().apply(counts);
    } catch (FeedException | IllegalArgumentException e) {
      return RankResult.failed(rank, ctx.stageAttempt(), e.getMessage());
    }
    return loop(p, plan, connect(p.backend(), endpoint, all));
  }

  /**
   * The communicator among the ranks: NCCL for GPU ranks, bootstrapped through one more barrier
   * all-gather (every rank is a GPU rank here, so every rank makes that call), else the TCP ring.
   */
  private Communicator connect(Backend backend, RingEndpoint endpoint, List<RankInfo> all) {
    if (backend instanceof CudaBackend gpu) {
      Duration timeout = o.rendezvousTimeout();
      BarrierRendezvous exchange = new BarrierRendezvous(ctx::allGather, rank, world, timeout);
      return closer.add(NcclCommunicator.create(gpu, exchange, timeout));
    }
    List<String> addresses = all.stream().map(RankInfo::ringAddress).toList();
    RingConfig ring =
        RingConfig.of(rank, world, addresses, job.secret().forStageAttempt(ctx.stageAttempt()));
    return closer.add(TcpRingCommunicator.connect(endpoint, ring));
  }

  /** "cuda" or "cpu", as the ranks compare it at the rendezvous. */
  static String backendKind(Backend backend) {
    return backend instanceof CudaBackend ? "cuda" : "cpu";
  }

  /**
   * A mistake in the data or the settings: every attempt would hit it again, so it is reported, not
   * retried.
   */
  static boolean isDataOrSettingsError(Throwable t) {
    return t instanceof FeedException
        || t instanceof ConfigException
        || t instanceof IllegalArgumentException
        || t instanceof UnsupportedOperationException;
  }

  private static String describe(Throwable t) {
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  private Prepared prepare(Iterator<Row> rows) {
    ModelSpec spec = job.model();
    DeepSpeedConfig cfg = DeepSpeedText.parse(job.deepspeedJson(), world, spec, o.maxSteps());
    Backend be =
        closer.add(
            RankBackend.open(
                cfg.sparkspeed().device(), ctx.gpu(), rank, ctx.cpus(), cfg.mixedPrecision()));
    FeedSchema feed = FeedColumns.of(o, spec);
    long t0 = System.nanoTime();
    BufferAllocator arrow = closer.add(new RootAllocator(FEED_MEMORY_BYTES));
    SpilledPartition part =
        closer.add(
            SpilledPartition.write(
                rows,
                job.schema(),
                feed,
                arrow,
                ArrowBatchStream.Options.defaults(),
                Path.of(System.getProperty("java.io.tmpdir"))));
    Allocator host = closer.add(new Allocator("rank-feed"));
    int micro = cfg.batch().microBatchPerGpu();
    long seed = cfg.seed() + 1_000_003L * rank;
    ColumnSpec first = feed.columns().get(0);
    if (spec.kind() == ModelSpec.Kind.GPT2) {
      int vocab = spec.gpt2().vocabSize();
      int t = spec.seqLen(o.seqLen());
      Tokenizer tok = o.textColumn() == null ? null : Tokenizers.open(o.tokenizer(), vocab);
      int eot = tok == null ? -1 : Tokenizers.separator(tok, vocab);
      TokenBatcher tb =
          closer.add(
              new TokenBatcher(
                  new TokenBatcher.Config(first, micro, t, eot, vocab, o.shuffleBuffer(), seed),
                  tok,
                  part,
                  host));
      long count = tb.countTokens();
      return new Prepared(
          cfg,
          be,
          StepFeed.of(tb),
          count,
          part.rowsSkipped(),
          logFeed(part, count, "tokens", t0),
          c -> EpochPlan.forTokens(c, micro, t, o.epochPolicy()));
    }
    int outputs = spec.mlp().outputs();
    FeatureBatcher.Config fc =
        new FeatureBatcher.Config(
            first,
            feed.columns().get(1),
            micro,
            outputs == 1 ? LabelKind.REGRESSION : LabelKind.CLASSIFICATION,
            outputs == 1 ? 0 : outputs,
            o.shuffleBuffer(),
            seed);
    FeatureBatcher fb = closer.add(new FeatureBatcher(fc, part, host));
    long count = fb.countRows();
    return new Prepared(
        cfg,
        be,
        StepFeed.of(fb),
        count,
        part.rowsSkipped(),
        logFeed(part, count, "rows", t0),
        c -> EpochPlan.forRows(c, micro, o.epochPolicy()));
  }

  /** Logs what reading the partition took; returns its seconds. */
  private double logFeed(SpilledPartition part, long count, String unit, long t0) {
    double s = (System.nanoTime() - t0) / 1e9;
    LOG.info(
        "rank {}: read {} rows ({} skipped, {} bytes spilled), {} {}, in {} s",
        rank,
        part.rows(),
        part.rowsSkipped(),
        part.bytes(),
        count,
        unit,
        String.format("%.3f", s));
    return s;
  }

  private RankResult loop(Prepared p, EpochPlan plan, Communicator comm) {
    DeepSpeedConfig cfg = p.config();
    TrainSettings settings = DeepSpeedText.settings(cfg);
    int accum = settings.gradAccumSteps();
    long total = o.maxSteps() > 0 ? o.maxSteps() : Math.max(1, plan.steps() / accum);
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("max steps " + total + " is too large");
    }
    Backend be = p.backend();
    int t = job.model().seqLen(o.seqLen());
    Model model = closer.add(job.model().build(be, cfg.batch().microBatchPerGpu(), t));
    ZeroEngine engine = closer.add(new ZeroEngine(model, be, comm, settings));
    StepFeed feed = closer.add(new StepFeed(p.batches(), plan, accum));
    ProgressReporter progress =
        new ProgressReporter(
            job.runId(), rank, world, total, cfg.stepsPerPrint(), feed.unitsPerStep());
    ZeroEngine.StepResult last = null;
    float[] params;
    long start;
    String resumedFrom;
    float[] losses;
    double[] seconds;
    try {
      RankCheckpoints ck =
          closer.add(RankCheckpoints.open(o, cfg, engine, job.hadoop().toConfiguration()));
      Optional<EngineCheckpoint.Resumed> resumed = ck.resume(feed);
      start = resumed.map(EngineCheckpoint.Resumed::globalSteps).orElse(0L);
      resumedFrom = resumed.map(EngineCheckpoint.Resumed::tag).orElse(null);
      if (resumedFrom != null) {
        LOG.info(
            "rank {}: resumed from {} at step {} ({})", rank, resumedFrom, start, ck.describe());
      }
      int run = (int) Math.max(0, total - start);
      losses = new float[run];
      seconds = new double[run];
      LOG.info(
          "rank {}/{}: {} units, epoch plan {}, steps {} to {}",
          rank,
          world,
          p.count(),
          plan,
          start + 1,
          total);
      for (int i = 0; i < run; i++) {
        long step = start + i + 1;
        ctx.checkCancelled();
        long t0 = System.nanoTime();
        last = engine.step(feed.next());
        seconds[i] = (System.nanoTime() - t0) / 1e9;
        losses[i] = last.loss();
        progress.step(step, seconds[i], last, engine, be.liveBytes());
        ck.afterStep(step, total, feed);
        injectFaults(step);
      }
      ck.finish();
      params = exportParams(engine, model);
      Rendezvous.depart(ctx::barrier, rank, world, o.rendezvousTimeout());
    } catch (CommException e) {
      yieldToFailedPeer();
      throw e;
    } catch (IOException e) {
      throw new SparkSpeedException("rank " + rank + ": checkpoint failed: " + e.getMessage(), e);
    }
    return new RankResult(
        rank,
        ctx.stageAttempt(),
        null,
        start,
        resumedFrom,
        losses,
        seconds,
        params,
        p.count(),
        p.rowsSkipped(),
        p.feedSeconds(),
        plan.steps(),
        feed.unitsPerStep(),
        last == null ? engine.lossScaler().scale() : last.lossScale(),
        engine.modelStateBytes());
  }

  /** The test-only failures {@link TrainOptions} can ask for, after {@code step} (1-based). */
  private void injectFaults(long step) {
    if (step == 1 && rank == 0 && ctx.stageAttempt() < o.failStageAttempts()) {
      throw new InjectedFailure(ctx.stageAttempt(), o.failStageAttempts());
    }
    if (step == o.haltAfterStep() && rank == o.haltRank() && ctx.stageAttempt() == 0) {
      LOG.warn("rank {}: halting this JVM after step {} (haltAfterStep)", rank, step);
      Runtime.getRuntime().halt(1);
    }
  }

  /**
   * A broken ring usually means another rank failed first. Spark reports the first task failure it
   * hears of as the stage's failure, so this rank waits a moment (or until Spark kills it) before
   * failing: the other rank's own error, not "connection closed", then explains the stage failure
   * and the job's.
   */
  private void yieldToFailedPeer() {
    long end = System.nanoTime() + PEER_FAILURE_GRACE.toNanos();
    try {
      while (System.nanoTime() < end) {
        ctx.checkCancelled();
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** All ranks take part (a collective at ZeRO stage 1+); rank 0 keeps the copy. */
  private float[] exportParams(ZeroEngine engine, Model model) {
    try (Allocator a = new Allocator("export")) {
      var buf = a.allocate("params", DType.FP32, model.table().totalElements());
      try {
        Tensor all = Tensor.whole(buf);
        engine.copyParamsTo(all);
        if (rank != 0) {
          return null;
        }
        float[] out = new float[all.intSize()];
        all.floats().get(out);
        return out;
      } finally {
        buf.close();
      }
    }
  }

  /** The failure {@link TrainOptions#failStageAttempts()} injects. */
  static final class InjectedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InjectedFailure(int attempt, int failing) {
      super(
          "injected failure on rank 0 in stage attempt "
              + attempt
              + " (failStageAttempts "
              + failing
              + ")");
    }
  }
}
