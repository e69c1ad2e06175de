package dev.sparkspeed.trainer.ml;

import java.util.function.BiConsumer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.Identifiable;

/**
 * The params {@link SparkSpeedEstimator} and {@link SparkSpeedModel} share by name (Spark copies
 * their values from the estimator to the model it fits): the input columns, the tokenizer and the
 * sequence length.
 */
final class ModelParams {
  final Param<String> tokensCol;
  final Param<String> textCol;
  final Param<String> featuresCol;
  final Param<String> tokenizer;
  final IntParam seqLen;

  ModelParams(Identifiable owner) {
    tokensCol = new Param<>(owner, "tokensCol", "array<int> token-id column (GPT)");
    textCol = new Param<>(owner, "textCol", "string text column (GPT)");
    featuresCol = new Param<>(owner, "featuresCol", "feature vector column (MLP)");
    tokenizer = new Param<>(owner, "tokenizer", "\"byte\" or the path of a tokenizer.json");
    seqLen = new IntParam(owner, "seqLen", "GPT sequence length; 0 = min(64, block_size)");
  }

  /** Registers the defaults through the owner's {@code setDefault}. */
  void setDefaults(BiConsumer<Param<Object>, Object> setDefault) {
    put(setDefault, tokensCol, "");
    put(setDefault, textCol, "");
    put(setDefault, featuresCol, "");
    put(setDefault, tokenizer, "byte");
    put(setDefault, seqLen, 0);
  }

  @SuppressWarnings("unchecked")
  private static void put(BiConsumer<Param<Object>, Object> f, Param<?> p, Object v) {
    f.accept((Param<Object>) p, v);
  }

  static String orNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
