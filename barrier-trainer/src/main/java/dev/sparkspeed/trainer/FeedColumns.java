package dev.sparkspeed.trainer;

import dev.sparkspeed.feed.ColumnSpec;
import dev.sparkspeed.feed.spark.FeedSchema;

/** The feed columns a run reads, from its options and model. */
public final class FeedColumns {
  private FeedColumns() {}

  /**
   * @throws IllegalArgumentException when the columns do not fit the model (tokens or text for a
   *     GPT, features and a label for an MLP)
   */
  public static FeedSchema of(TrainOptions o, ModelSpec m) {
    if ((m.kind() == ModelSpec.Kind.GPT2) != o.isTokenInput()) {
      throw new IllegalArgumentException(
          m.kind() == ModelSpec.Kind.GPT2
              ? "a GPT-2 model trains on a tokens column or a text column, but the options name"
                  + " features/label columns"
              : "an MLP trains on a features column and a label column, but the options name a"
                  + " tokens or text column");
    }
    if (o.tokensColumn() != null) {
      return FeedSchema.of(ColumnSpec.tokenIds(o.tokensColumn()).withNulls(o.nullPolicy()));
    }
    if (o.textColumn() != null) {
      return FeedSchema.of(ColumnSpec.text(o.textColumn()).withNulls(o.nullPolicy()));
    }
    return FeedSchema.of(
        ColumnSpec.features(o.featuresColumn(), m.mlp().inputDim()).withNulls(o.nullPolicy()),
        ColumnSpec.label(o.labelColumn()).withNulls(o.nullPolicy()));
  }
}
