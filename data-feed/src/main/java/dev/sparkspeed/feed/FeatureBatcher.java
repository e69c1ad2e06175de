package dev.sparkspeed.feed;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.List;

/**
 * Turns a partition's feature and label columns into fixed-shape supervised batches: features (B,
 * F) FP32 and labels (B) FP32 or INT32 class ids, with an optional seeded row shuffle.
 *
 * <p>Use as {@link TokenBatcher}: {@link #countRows()}, an {@link EpochPlan} from every rank's
 * count, then {@link #start} or {@link #resume} and {@link #next()} per epoch. Single-threaded.
 * Owns two host buffers from the given allocator until {@link #close()}; the source stays the
 * caller's.
 */
public final class FeatureBatcher implements AutoCloseable {
  /**
   * Batcher settings.
   *
   * @param features the feature column (its width is F)
   * @param label the label column
   * @param batchSize rows per batch (B)
   * @param labels FP32 values or INT32 class ids
   * @param numClasses class ids must lie in [0, numClasses); ignored for regression
   * @param shuffleRows rows the shuffle buffer holds; 0 keeps partition order
   * @param seed shuffle seed; epoch e uses a seed derived from it and e
   */
  public record Config(
      ColumnSpec features,
      ColumnSpec label,
      int batchSize,
      LabelKind labels,
      int numClasses,
      int shuffleRows,
      long seed) {
    public Config {
      if (features.kind() != ColumnKind.FEATURES) {
        throw new IllegalArgumentException(
            "feature column '" + features.name() + "' is " + features.kind() + ", not FEATURES");
      }
      if (label.kind() != ColumnKind.LABEL) {
        throw new IllegalArgumentException(
            "label column '" + label.name() + "' is " + label.kind() + ", not LABEL");
      }
      if (batchSize < 1) {
        throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
      }
      if (labels == LabelKind.CLASSIFICATION && numClasses < 2) {
        throw new IllegalArgumentException(
            "classification needs numClasses >= 2, got " + numClasses);
      }
      if (shuffleRows < 0) {
        throw new IllegalArgumentException("shuffle rows must be >= 0, got " + shuffleRows);
      }
    }

    /** Regression labels, no shuffle. */
    public static Config regression(ColumnSpec features, ColumnSpec label, int batchSize) {
      return new Config(features, label, batchSize, LabelKind.REGRESSION, 0, 0, 0);
    }

    /** Class-id labels in [0, numClasses), no shuffle. */
    public static Config classification(
        ColumnSpec features, ColumnSpec label, int batchSize, int numClasses) {
      return new Config(features, label, batchSize, LabelKind.CLASSIFICATION, numClasses, 0, 0);
    }

    public Config withShuffle(int rows, long newSeed) {
      return new Config(features, label, batchSize, labels, numClasses, rows, newSeed);
    }
  }

  private final Config config;
  private final RecordBatchSource source;
  private final EpochRunner<FeatureRowReader.Row> runner;
  private final HostBuffer features;
  private final HostBuffer labels;

  /**
   * @param allocator where the (B, F) feature and (B) label buffers come from
   */
  public FeatureBatcher(Config config, RecordBatchSource source, Allocator allocator) {
    this.config = config;
    this.source = source;
    this.runner =
        new EpochRunner<>(
            source, reader(), config.batchSize(), config.shuffleRows(), config.seed());
    int b = config.batchSize();
    HostBuffer x =
        allocator.allocate("feed_features", DType.FP32, (long) b * config.features().width());
    try {
      this.labels =
          allocator.allocate(
              "feed_labels",
              config.labels() == LabelKind.CLASSIFICATION ? DType.INT32 : DType.FP32,
              b);
    } catch (RuntimeException | Error e) {
      x.close();
      throw e;
    }
    this.features = x;
  }

  private FeatureRowReader reader() {
    return new FeatureRowReader(
        config.features(), config.label(), config.labels(), config.numClasses());
  }

  /**
   * Rows in one pass over the source that survive the null policies: what this rank reports for
   * {@link EpochPlan#forRows}. Call it before starting an epoch: it opens a pass of its own, which
   * may close the epoch's pass.
   */
  public long countRows() {
    FeatureRowReader counter = reader();
    try (RecordBatchStream s = source.open()) {
      counter.startPass(s);
      return counter.countPass();
    }
  }

  /** Starts epoch {@code epoch}: {@code plan.steps()} batches from the partition's first row. */
  public void start(int epoch, EpochPlan plan) {
    checkPlan(plan);
    runner.start(epoch, plan.steps(), plan.policy() == EpochPolicy.WRAP);
  }

  /** Continues from {@code cursor}, replaying and verifying its epoch up to its step. */
  public void resume(FeedCursor cursor, EpochPlan plan) {
    checkPlan(plan);
    runner.resume(cursor, plan.steps(), plan.policy() == EpochPolicy.WRAP);
  }

  private void checkPlan(EpochPlan plan) {
    if (plan.batchSize() != config.batchSize() || plan.blockSize() != 0) {
      throw new IllegalArgumentException(
          "the epoch plan was made for batch size "
              + plan.batchSize()
              + (plan.blockSize() != 0 ? " of token blocks" : "")
              + " but this batcher takes batches of "
              + config.batchSize()
              + " rows; build it with EpochPlan.forRows and the same batch size");
    }
  }

  public boolean hasNext() {
    return runner.hasNext();
  }

  /** The next batch; its tensors are overwritten by the following call. */
  public FeatureBatch next() {
    long step = runner.cursor().step();
    List<FeatureRowReader.Row> rows = runner.next();
    FloatBuffer x = features.floats();
    for (FeatureRowReader.Row r : rows) {
      x.put(r.features());
    }
    if (config.labels() == LabelKind.CLASSIFICATION) {
      IntBuffer y = labels.ints();
      for (FeatureRowReader.Row r : rows) {
        y.put((int) r.label());
      }
    } else {
      FloatBuffer y = labels.floats();
      for (FeatureRowReader.Row r : rows) {
        y.put((float) r.label());
      }
    }
    int b = config.batchSize();
    return new FeatureBatch(
        runner.epoch(),
        step,
        Tensor.of(features, 0, b, config.features().width()),
        Tensor.of(labels, 0, b));
  }

  /** Where the feed stands after the last batch handed out; save it with a checkpoint. */
  public FeedCursor cursor() {
    return runner.cursor();
  }

  public Config config() {
    return config;
  }

  /** Closes the open pass and frees the batch buffers. */
  @Override
  public void close() {
    try {
      runner.close();
    } finally {
      features.close();
      labels.close();
    }
  }
}
