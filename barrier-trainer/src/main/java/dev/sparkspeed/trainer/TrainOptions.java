package dev.sparkspeed.trainer;

import dev.sparkspeed.feed.EpochPolicy;
import dev.sparkspeed.feed.NullPolicy;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What to train and on which columns: the settings of {@link SparkSpeed#fit}. Everything about the
 * optimisation itself (batch sizes, optimizer, ZeRO stage, precision) is in the DeepSpeed config;
 * these options say what the DeepSpeed config cannot. Immutable; built with {@link #builder()}.
 * Serializable because every rank receives a copy in its task closure.
 *
 * <p>Exactly one input shape is allowed: a GPT model reads a token-id column ({@code array<int>})
 * or a text column ({@code string}); an MLP reads a feature column and a label column.
 */
public final class TrainOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The rendezvous and barrier wait used when none is given. */
  public static final Duration DEFAULT_RENDEZVOUS_TIMEOUT = Duration.ofMinutes(10);

  private final String model;
  private final String deepspeed;
  private final String tokensColumn;
  private final String textColumn;
  private final String featuresColumn;
  private final String labelColumn;
  private final int worldSize;
  private final long maxSteps;
  private final int seqLen;
  private final String tokenizer;
  private final EpochPolicy epochPolicy;
  private final NullPolicy nullPolicy;
  private final int shuffleBuffer;
  private final String output;
  private final Duration rendezvousTimeout;
  private final int failStageAttempts;
  private final long saveEvery;
  private final int haltRank;
  private final long haltAfterStep;

  private TrainOptions(Builder b) {
    this.model = b.model;
    this.deepspeed = b.deepspeed;
    this.tokensColumn = b.tokensColumn;
    this.textColumn = b.textColumn;
    this.featuresColumn = b.featuresColumn;
    this.labelColumn = b.labelColumn;
    this.worldSize = b.worldSize;
    this.maxSteps = b.maxSteps;
    this.seqLen = b.seqLen;
    this.tokenizer = b.tokenizer;
    this.epochPolicy = b.epochPolicy;
    this.nullPolicy = b.nullPolicy;
    this.shuffleBuffer = b.shuffleBuffer;
    this.output = b.output;
    this.rendezvousTimeout = b.rendezvousTimeout;
    this.failStageAttempts = b.failStageAttempts;
    this.saveEvery = b.saveEvery;
    this.haltRank = b.haltRank;
    this.haltAfterStep = b.haltAfterStep;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A preset name (gpt2-tiny, gpt2-mini, gpt2-124m, gpt2-350m), model JSON text, or its path. */
  public String model() {
    return model;
  }

  /** DeepSpeed config JSON text or the path of a config file; null for DeepSpeed's defaults. */
  public String deepspeed() {
    return deepspeed;
  }

  /** The {@code array<int>} token-id column (GPT), or null. */
  public String tokensColumn() {
    return tokensColumn;
  }

  /** The {@code string} text column (GPT, tokenized on the executors), or null. */
  public String textColumn() {
    return textColumn;
  }

  /** The feature column (MLP): an ML vector, {@code array<float>} or {@code array<double>}. */
  public String featuresColumn() {
    return featuresColumn;
  }

  /** The numeric label column (MLP), or null. */
  public String labelColumn() {
    return labelColumn;
  }

  /** Data-parallel ranks: barrier tasks, one per partition. */
  public int worldSize() {
    return worldSize;
  }

  /** Optimizer steps to run; 0 runs one epoch over the smallest (trim) or largest (wrap) rank. */
  public long maxSteps() {
    return maxSteps;
  }

  /** GPT sequence length T; 0 takes min(64, block_size). */
  public int seqLen() {
    return seqLen;
  }

  /** "byte" (UTF-8 bytes as tokens) or the path of a Hugging Face GPT-2 tokenizer.json. */
  public String tokenizer() {
    return tokenizer;
  }

  /** How ranks with different amounts of data agree on the steps of an epoch. */
  public EpochPolicy epochPolicy() {
    return epochPolicy;
  }

  /** What a null in an input column does: drop the row, or fail naming the column and row. */
  public NullPolicy nullPolicy() {
    return nullPolicy;
  }

  /** Units (token blocks or rows) each rank's shuffle buffer holds; 0 keeps partition order. */
  public int shuffleBuffer() {
    return shuffleBuffer;
  }

  /**
   * Where the trained model is saved (a directory or Hadoop URI), or null for nowhere. Unless the
   * DeepSpeed config's {@code sparkspeed.checkpoint_dir} names another place, the ranks also keep
   * their checkpoints under {@code <output>/checkpoints} and every run resumes from the newest one.
   */
  public String output() {
    return output;
  }

  /**
   * Optimizer steps between checkpoints, overriding the DeepSpeed config's {@code
   * sparkspeed.save_interval}; 0 saves only at the end; -1 (the default) keeps the config's.
   */
  public long saveEvery() {
    return saveEvery;
  }

  /**
   * Fault injection for multi-process tests: in stage attempt 0, this rank halts its JVM (as a lost
   * executor would vanish) after step {@link #haltAfterStep()}. Never use it in {@code local[N]}
   * mode, where the ranks share the driver's JVM.
   */
  public int haltRank() {
    return haltRank;
  }

  /** The step after which {@link #haltRank()} halts its JVM; 0 (the default) never halts. */
  public long haltAfterStep() {
    return haltAfterStep;
  }

  /**
   * The longest the ranks wait for each other at the rendezvous. Spark's own barrier wait ({@code
   * spark.barrier.sync.timeout}) defaults to a year; this bounds it for the training stage.
   */
  public Duration rendezvousTimeout() {
    return rendezvousTimeout;
  }

  /**
   * Fault injection for tests: rank 0 throws after its first step in every stage attempt below this
   * number, so Spark retries the barrier stage. 0 (the default) never fails.
   */
  public int failStageAttempts() {
    return failStageAttempts;
  }

  /** True when the input is token ids or text (a GPT model), false for features and labels. */
  public boolean isTokenInput() {
    return tokensColumn != null || textColumn != null;
  }

  /** The columns the ranks read, in feed order. */
  public List<String> inputColumns() {
    if (tokensColumn != null) {
      return List.of(tokensColumn);
    }
    if (textColumn != null) {
      return List.of(textColumn);
    }
    return List.of(featuresColumn, labelColumn);
  }

  @Override
  public String toString() {
    return "TrainOptions[model="
        + (model.length() > 60 ? model.substring(0, 60) + "..." : model)
        + ", columns="
        + inputColumns()
        + ", worldSize="
        + worldSize
        + ", maxSteps="
        + maxSteps
        + ", seqLen="
        + seqLen
        + ", tokenizer="
        + tokenizer
        + ", epochPolicy="
        + epochPolicy
        + ", nullPolicy="
        + nullPolicy
        + ", shuffleBuffer="
        + shuffleBuffer
        + ", output="
        + output
        + (saveEvery >= 0 ? ", saveEvery=" + saveEvery : "")
        + "]";
  }

  /** Collects options; {@link #build()} checks them. */
  public static final class Builder {
    private String model;
    private String deepspeed;
    private String tokensColumn;
    private String textColumn;
    private String featuresColumn;
    private String labelColumn;
    private int worldSize = 1;
    private long maxSteps;
    private int seqLen;
    private String tokenizer = "byte";
    private EpochPolicy epochPolicy = EpochPolicy.WRAP;
    private NullPolicy nullPolicy = NullPolicy.ERROR;
    private int shuffleBuffer;
    private String output;
    private Duration rendezvousTimeout = DEFAULT_RENDEZVOUS_TIMEOUT;
    private int failStageAttempts;
    private long saveEvery = -1;
    private int haltRank;
    private long haltAfterStep;

    private Builder() {}

    public Builder model(String v) {
      model = v;
      return this;
    }

    public Builder deepspeed(String v) {
      deepspeed = v;
      return this;
    }

    public Builder tokensColumn(String v) {
      tokensColumn = v;
      return this;
    }

    public Builder textColumn(String v) {
      textColumn = v;
      return this;
    }

    public Builder featuresColumn(String v) {
      featuresColumn = v;
      return this;
    }

    public Builder labelColumn(String v) {
      labelColumn = v;
      return this;
    }

    public Builder worldSize(int v) {
      worldSize = v;
      return this;
    }

    public Builder maxSteps(long v) {
      maxSteps = v;
      return this;
    }

    public Builder seqLen(int v) {
      seqLen = v;
      return this;
    }

    public Builder tokenizer(String v) {
      tokenizer = v;
      return this;
    }

    public Builder epochPolicy(EpochPolicy v) {
      epochPolicy = v;
      return this;
    }

    public Builder nullPolicy(NullPolicy v) {
      nullPolicy = v;
      return this;
    }

    public Builder shuffleBuffer(int v) {
      shuffleBuffer = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder rendezvousTimeout(Duration v) {
      rendezvousTimeout = v;
      return this;
    }

    public Builder failStageAttempts(int v) {
      failStageAttempts = v;
      return this;
    }

    public Builder saveEvery(long v) {
      saveEvery = v;
      return this;
    }

    /** See {@link TrainOptions#haltRank()}. */
    public Builder haltAfterStep(int rank, long step) {
      haltRank = rank;
      haltAfterStep = step;
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the option that is missing, conflicting or out of
     *     range
     */
    public TrainOptions build() {
      if (model == null || model.isBlank()) {
        throw new IllegalArgumentException(
            "model is not set: give a preset (gpt2-tiny, gpt2-mini, gpt2-124m, gpt2-350m), model"
                + " JSON or the path of a model JSON file");
      }
      int tokenInputs = (tokensColumn != null ? 1 : 0) + (textColumn != null ? 1 : 0);
      boolean tabular = featuresColumn != null || labelColumn != null;
      if (tokenInputs > 1) {
        throw new IllegalArgumentException(
            "set either the tokens column ("
                + tokensColumn
                + ") or the text column ("
                + textColumn
                + "), not both");
      }
      if (tokenInputs == 1 && tabular) {
        throw new IllegalArgumentException(
            "a token or text column cannot be combined with features/label columns; a GPT model"
                + " reads tokens or text, an MLP reads features and a label");
      }
      if (tokenInputs == 0 && (featuresColumn == null || labelColumn == null)) {
        throw new IllegalArgumentException(
            "no input columns: set the tokens or text column (GPT), or both the features and the"
                + " label column (MLP)");
      }
      Objects.requireNonNull(epochPolicy, "epoch policy");
      Objects.requireNonNull(nullPolicy, "null policy");
      if (worldSize < 1) {
        throw new IllegalArgumentException("world size " + worldSize + " must be at least 1");
      }
      if (maxSteps < 0) {
        throw new IllegalArgumentException(
            "max steps " + maxSteps + " must be >= 0 (0: one epoch)");
      }
      if (seqLen < 0 || shuffleBuffer < 0 || failStageAttempts < 0) {
        throw new IllegalArgumentException(
            "sequence length "
                + seqLen
                + ", shuffle buffer "
                + shuffleBuffer
                + " and failStageAttempts "
                + failStageAttempts
                + " must be >= 0");
      }
      if (saveEvery < -1) {
        throw new IllegalArgumentException(
            "save every "
                + saveEvery
                + " steps: give 0 (only at the end), a positive interval, or -1 for the DeepSpeed"
                + " config's sparkspeed.save_interval");
      }
      if (haltAfterStep < 0 || haltRank < 0 || haltRank >= worldSize) {
        throw new IllegalArgumentException(
            "halt rank "
                + haltRank
                + " after step "
                + haltAfterStep
                + ": the rank must lie in [0, world size "
                + worldSize
                + ") and the step be >= 0");
      }
      if (rendezvousTimeout == null
          || rendezvousTimeout.isNegative()
          || rendezvousTimeout.isZero()) {
        throw new IllegalArgumentException(
            "rendezvous timeout " + rendezvousTimeout + " must be positive");
      }
      if (tokenizer == null || tokenizer.isBlank()) {
        throw new IllegalArgumentException(
            "tokenizer must be \"byte\" or the path of a tokenizer.json");
      }
      return new TrainOptions(this);
    }
  }
}
