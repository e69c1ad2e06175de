package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.feed.EpochPlan;
import dev.sparkspeed.feed.FeatureBatch;
import dev.sparkspeed.feed.FeatureBatcher;
import dev.sparkspeed.feed.FeedCursor;
import dev.sparkspeed.feed.TokenBatch;
import dev.sparkspeed.feed.TokenBatcher;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Hands out each optimizer step's micro-batches ({@code gradient_accumulation_steps} of them) from
 * a batcher, starting the next epoch when one runs out. The batchers reuse one buffer per batch, so
 * every micro-batch of a step is copied into a buffer of its own. Owns those buffers. Its {@link
 * #cursor()} goes into checkpoints and {@link #resume} continues the identical sequence from one.
 */
final class StepFeed implements AutoCloseable {
  /** The part of a batcher the feed uses. */
  interface Batches {
    void start(int epoch, EpochPlan plan);

    /** Continues from {@code cursor}, replaying and verifying its epoch up to its step. */
    void resume(FeedCursor cursor, EpochPlan plan);

    /** Where the batcher stands. */
    FeedCursor cursor();

    boolean hasNext();

    /** The next micro-batch, valid until the following call. */
    Batch next();

    /** Units (tokens or rows) a micro-batch trains on. */
    long unitsPerBatch();
  }

  private final Batches batches;
  private final EpochPlan plan;
  private final List<Batch> step;
  private final Allocator host;
  private int epoch;
  private boolean started;

  StepFeed(Batches batches, EpochPlan plan, int gradAccum) {
    this.batches = batches;
    this.plan = plan;
    this.step = new ArrayList<>(gradAccum);
    this.host = new Allocator("step-feed");
    for (int i = 0; i < gradAccum; i++) {
      step.add(null);
    }
  }

  /** A token batcher's micro-batches: (B, T) ids and next-token targets. */
  static Batches of(TokenBatcher b) {
    return batches(
        b::start,
        b::resume,
        b::cursor,
        b::hasNext,
        () -> {
          TokenBatch t = b.next();
          return new Batch(t.inputs(), t.targets());
        },
        (long) b.config().batchSize() * b.config().blockSize());
  }

  /** A feature batcher's micro-batches: (B, F) features and (B) labels. */
  static Batches of(FeatureBatcher b) {
    return batches(
        b::start,
        b::resume,
        b::cursor,
        b::hasNext,
        () -> {
          FeatureBatch f = b.next();
          return new Batch(f.features(), f.labels());
        },
        b.config().batchSize());
  }

  private static Batches batches(
      BiConsumer<Integer, EpochPlan> start,
      BiConsumer<FeedCursor, EpochPlan> resume,
      Supplier<FeedCursor> cursor,
      BooleanSupplier hasNext,
      Supplier<Batch> next,
      long units) {
    return new Batches() {
      @Override
      public void start(int epoch, EpochPlan plan) {
        start.accept(epoch, plan);
      }

      @Override
      public void resume(FeedCursor c, EpochPlan plan) {
        resume.accept(c, plan);
      }

      @Override
      public FeedCursor cursor() {
        return cursor.get();
      }

      @Override
      public boolean hasNext() {
        return hasNext.getAsBoolean();
      }

      @Override
      public Batch next() {
        return next.get();
      }

      @Override
      public long unitsPerBatch() {
        return units;
      }
    };
  }

  /**
   * Continues after the step at which {@code c} was saved: the next call returns the step that
   * followed it. Call before the first {@link #next()}.
   */
  void resume(FeedCursor c) {
    if (started) {
      throw new IllegalStateException("the feed already started; resume before the first step");
    }
    batches.resume(c, plan);
    epoch = c.epoch();
    started = true;
  }

  /** Where the feed stands after the steps handed out so far. */
  FeedCursor cursor() {
    return batches.cursor();
  }

  /** The micro-batches of the next step; valid until the next call. */
  List<Batch> next() {
    for (int i = 0; i < step.size(); i++) {
      if (!started || !batches.hasNext()) {
        batches.start(started ? ++epoch : epoch, plan);
        started = true;
      }
      Batch b = batches.next();
      if (step.get(i) == null) {
        step.set(i, new Batch(copyOf(b.inputs()), copyOf(b.targets())));
      }
      Batch own = step.get(i);
      own.inputs().bytes().put(b.inputs().bytes());
      own.targets().bytes().put(b.targets().bytes());
    }
    return step;
  }

  private Tensor copyOf(Tensor t) {
    return Tensor.whole(host.allocate("micro_batch", t.dtype(), t.size())).reshape(t.shape());
  }

  /** Units (tokens or rows) one optimizer step trains on, on this rank. */
  long unitsPerStep() {
    return batches.unitsPerBatch() * step.size();
  }

  @Override
  public void close() {
    for (Batch b : step) {
      if (b != null) {
        b.inputs().storage().close();
        b.targets().storage().close();
      }
    }
    host.close();
  }
}
