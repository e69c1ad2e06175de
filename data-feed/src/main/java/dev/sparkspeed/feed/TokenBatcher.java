package dev.sparkspeed.feed;

import dev.sparkspeed.feed.tokenizer.Tokenizer;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.IntBuffer;
import java.util.List;

/**
 * Turns a partition's token column into fixed-shape language-model batches: rows are packed into
 * one continuous token stream (a separator after each row when configured), cut into blocks of
 * {@code blockSize + 1} tokens, optionally shuffled block-wise, and grouped {@code batchSize}
 * blocks at a time into inputs (B, T) and targets (B, T).
 *
 * <p>Use: {@link #countTokens()} once, exchange counts between ranks, build an {@link EpochPlan},
 * then per epoch {@link #start} (or {@link #resume} from a checkpoint's {@link FeedCursor}) and
 * {@link #next()} while {@link #hasNext()}. Single-threaded. Owns two host buffers from the given
 * allocator until {@link #close()}; the source stays the caller's.
 */
public final class TokenBatcher implements AutoCloseable {
  /**
   * Batcher settings.
   *
   * @param column the token-id or text column
   * @param batchSize blocks per batch (B)
   * @param blockSize input positions per block (T)
   * @param eotId separator appended after every row, or -1 for none
   * @param vocabSize token ids must lie in [0, vocabSize); 0 takes the tokenizer's size, or skips
   *     the check for token-id columns
   * @param shuffleBlocks blocks the shuffle buffer holds; 0 keeps stream order
   * @param seed shuffle seed; epoch e uses a seed derived from it and e
   */
  public record Config(
      ColumnSpec column,
      int batchSize,
      int blockSize,
      int eotId,
      int vocabSize,
      int shuffleBlocks,
      long seed) {
    public Config {
      if (column.kind() != ColumnKind.TOKEN_IDS && column.kind() != ColumnKind.TEXT) {
        throw new IllegalArgumentException(
            "token batcher column '"
                + column.name()
                + "' is "
                + column.kind()
                + "; it needs TOKEN_IDS or TEXT");
      }
      if (batchSize < 1 || blockSize < 1) {
        throw new IllegalArgumentException(
            "batch size " + batchSize + " and block size " + blockSize + " must be at least 1");
      }
      if (shuffleBlocks < 0) {
        throw new IllegalArgumentException("shuffle blocks must be >= 0, got " + shuffleBlocks);
      }
      if (eotId < -1 || (vocabSize > 0 && eotId >= vocabSize)) {
        throw new IllegalArgumentException(
            "separator id " + eotId + " is outside the vocabulary [0, " + vocabSize + ")");
      }
    }

    /** No separator, no vocabulary check, no shuffle. */
    public static Config of(ColumnSpec column, int batchSize, int blockSize) {
      return new Config(column, batchSize, blockSize, -1, 0, 0, 0);
    }

    public Config withEot(int id) {
      return new Config(column, batchSize, blockSize, id, vocabSize, shuffleBlocks, seed);
    }

    public Config withVocab(int size) {
      return new Config(column, batchSize, blockSize, eotId, size, shuffleBlocks, seed);
    }

    public Config withShuffle(int blocks, long newSeed) {
      return new Config(column, batchSize, blockSize, eotId, vocabSize, blocks, newSeed);
    }
  }

  private final Config config;
  private final Tokenizer tokenizer;
  private final RecordBatchSource source;
  private final EpochRunner<int[]> runner;
  private final HostBuffer inputs;
  private final HostBuffer targets;
  private final int vocab;

  /**
   * @param tokenizer required for a text column; must be null for a token-id column
   * @param allocator where the (B, T) input and target buffers come from
   */
  public TokenBatcher(
      Config config, Tokenizer tokenizer, RecordBatchSource source, Allocator allocator) {
    boolean text = config.column().kind() == ColumnKind.TEXT;
    if (text != (tokenizer != null)) {
      throw new IllegalArgumentException(
          "column '"
              + config.column().name()
              + "' is "
              + config.column().kind()
              + (text ? ": a text column needs a tokenizer" : ": token ids take no tokenizer"));
    }
    this.vocab =
        config.vocabSize() > 0 || tokenizer == null ? config.vocabSize() : tokenizer.vocabSize();
    if (vocab > 0 && config.eotId() >= vocab) {
      throw new IllegalArgumentException(
          "separator id " + config.eotId() + " is outside the tokenizer's vocabulary of " + vocab);
    }
    this.config = config;
    this.tokenizer = tokenizer;
    this.source = source;
    this.runner =
        new EpochRunner<>(
            source, reader(), config.batchSize(), config.shuffleBlocks(), config.seed());
    long n = (long) config.batchSize() * config.blockSize();
    HostBuffer in = allocator.allocate("feed_inputs", DType.INT32, n);
    try {
      this.targets = allocator.allocate("feed_targets", DType.INT32, n);
    } catch (RuntimeException | Error e) {
      in.close();
      throw e;
    }
    this.inputs = in;
  }

  private TokenBlockReader reader() {
    return new TokenBlockReader(
        config.column(), tokenizer, config.blockSize(), config.eotId(), vocab);
  }

  /**
   * Tokens in one pass over the source, separators included: what this rank reports for {@link
   * EpochPlan#forTokens}. Reads (and for text, tokenizes) the whole partition. Call it before
   * starting an epoch: it opens a pass of its own, which may close the epoch's pass.
   */
  public long countTokens() {
    TokenBlockReader counter = reader();
    try (RecordBatchStream s = source.open()) {
      counter.startEpoch();
      counter.startPass(s);
      return counter.countPass();
    }
  }

  /** Starts epoch {@code epoch}: {@code plan.steps()} batches from the partition's first row. */
  public void start(int epoch, EpochPlan plan) {
    checkPlan(plan);
    runner.start(epoch, plan.steps(), plan.policy() == EpochPolicy.WRAP);
  }

  /**
   * Continues from {@code cursor}: replays its epoch up to its step and verifies the replay, so the
   * next batch is the one that would have followed when the cursor was saved.
   */
  public void resume(FeedCursor cursor, EpochPlan plan) {
    checkPlan(plan);
    runner.resume(cursor, plan.steps(), plan.policy() == EpochPolicy.WRAP);
  }

  private void checkPlan(EpochPlan plan) {
    if (plan.batchSize() != config.batchSize() || plan.blockSize() != config.blockSize()) {
      throw new IllegalArgumentException(
          "the epoch plan was made for batch size "
              + plan.batchSize()
              + ", block size "
              + plan.blockSize()
              + " but this batcher uses batch size "
              + config.batchSize()
              + ", block size "
              + config.blockSize()
              + "; build the plan with the same settings");
    }
  }

  /** Whether the current epoch has batches left. */
  public boolean hasNext() {
    return runner.hasNext();
  }

  /** The next batch; its tensors are overwritten by the following call. */
  public TokenBatch next() {
    long step = runner.cursor().step();
    List<int[]> blocks = runner.next();
    int t = config.blockSize();
    IntBuffer in = inputs.ints();
    IntBuffer out = targets.ints();
    for (int[] block : blocks) {
      in.put(block, 0, t);
      out.put(block, 1, t);
    }
    int b = config.batchSize();
    return new TokenBatch(
        runner.epoch(), step, Tensor.of(inputs, 0, b, t), Tensor.of(targets, 0, b, t));
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
      inputs.close();
      targets.close();
    }
  }
}
