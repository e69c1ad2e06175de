package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The three batch sizes, always consistent: {@code trainBatchSize = microBatchPerGpu ×
 * gradientAccumulationSteps × worldSize}.
 *
 * @param trainBatchSize samples per optimizer step, summed over all ranks
 * @param microBatchPerGpu samples per rank per forward/backward pass
 * @param gradientAccumulationSteps micro batches each rank accumulates before a step
 * @param worldSize data-parallel ranks the sizes were resolved for
 */
public record BatchConfig(
    int trainBatchSize, int microBatchPerGpu, int gradientAccumulationSteps, int worldSize) {

  static final String TRAIN = "train_batch_size";
  static final String MICRO = "train_micro_batch_size_per_gpu";
  static final String ACCUM = "gradient_accumulation_steps";

  public BatchConfig {
    if ((long) microBatchPerGpu * gradientAccumulationSteps * worldSize != trainBatchSize) {
      throw new ConfigException(
          TRAIN,
          mismatch(trainBatchSize, microBatchPerGpu, gradientAccumulationSteps, worldSize, ""));
    }
  }

  /**
   * DeepSpeed's rule: any two of the three give the third (rounding down); with only the train
   * batch, accumulation is 1 and the micro batch is its share per rank; with only the micro batch,
   * accumulation is 1; with none, or only accumulation steps, it is an error. The result must
   * satisfy the product exactly.
   */
  static BatchConfig resolve(Long train, Long micro, Long accum, int world) {
    String derived;
    long t;
    long m;
    long a;
    if (train != null && micro != null && accum != null) {
      t = train;
      m = micro;
      a = accum;
      derived = "";
    } else if (train != null && micro != null) {
      t = train;
      m = micro;
      a = train / micro / world;
      derived = " (" + ACCUM + " derived as " + train + " ÷ " + micro + " ÷ " + world + ")";
    } else if (train != null && accum != null) {
      t = train;
      a = accum;
      m = train / world / accum;
      derived = " (" + MICRO + " derived as " + train + " ÷ " + world + " ÷ " + accum + ")";
    } else if (micro != null && accum != null) {
      m = micro;
      a = accum;
      t = micro * accum * world;
      derived = "";
    } else if (train != null) {
      t = train;
      a = 1;
      m = train / world;
      derived = " (" + MICRO + " derived as " + train + " ÷ " + world + ")";
    } else if (micro != null) {
      m = micro;
      a = 1;
      t = micro * world;
      derived = "";
    } else {
      throw new ConfigException(
          TRAIN, "set \"" + TRAIN + "\" or \"" + MICRO + "\" (DeepSpeed needs one of them)");
    }
    if (m < 1 || a < 1) {
      throw new ConfigException(
          m < 1 ? MICRO : ACCUM,
          "\""
              + (m < 1 ? MICRO : ACCUM)
              + "\" comes out as 0"
              + derived
              + ": \""
              + TRAIN
              + "\" "
              + t
              + " is too small for world size "
              + world);
    }
    if (t > Integer.MAX_VALUE || m > Integer.MAX_VALUE || a > Integer.MAX_VALUE) {
      throw new ConfigException(
          TRAIN,
          "batch sizes must fit an int: "
              + TRAIN
              + " "
              + t
              + ", "
              + MICRO
              + " "
              + m
              + ", "
              + ACCUM
              + " "
              + a);
    }
    if (m * a * world != t) {
      throw new ConfigException(TRAIN, mismatch(t, m, a, world, derived));
    }
    return new BatchConfig((int) t, (int) m, (int) a, world);
  }

  private static String mismatch(long t, long m, long a, long world, String derived) {
    return TRAIN
        + " "
        + t
        + " is not "
        + MICRO
        + " "
        + m
        + " × "
        + ACCUM
        + " "
        + a
        + " × world size "
        + world
        + " = "
        + (m * a * world)
        + derived;
  }

  void write(ObjectNode out) {
    out.put(TRAIN, trainBatchSize);
    out.put(MICRO, microBatchPerGpu);
    out.put(ACCUM, gradientAccumulationSteps);
  }
}
