package dev.sparkspeed.trainer.ml;

import java.io.Serializable;

/**
 * The columns {@link SparkSpeedModel#transform} reads and writes.
 *
 * @param tokens the token-id input column (GPT), or null
 * @param text the text input column (GPT), or null
 * @param features the feature input column (MLP), or null
 * @param tokenizer the tokenizer for the text column
 * @param seqLen the GPT context length T
 * @param prediction MLP output: the class (or the regression value)
 * @param probability MLP output: class probabilities (classification only)
 * @param loss GPT output: mean next-token loss over the row's last T tokens
 * @param nextToken GPT output: the most likely token after the row
 */
record ModelColumns(
    String tokens,
    String text,
    String features,
    String tokenizer,
    int seqLen,
    String prediction,
    String probability,
    String loss,
    String nextToken)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The input column. */
  String input() {
    return tokens != null ? tokens : text != null ? text : features;
  }
}
