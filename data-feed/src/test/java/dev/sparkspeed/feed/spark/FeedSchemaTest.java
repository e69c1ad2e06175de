package dev.sparkspeed.feed.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.feed.ColumnSpec;
import dev.sparkspeed.feed.FeedSchemaException;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class FeedSchemaTest {
  private static final StructType DF =
      new StructType()
          .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType))
          .add("text", DataTypes.StringType)
          .add("vec", SQLDataTypes.VectorType())
          .add("floats", DataTypes.createArrayType(DataTypes.FloatType))
          .add("doubles", DataTypes.createArrayType(DataTypes.DoubleType))
          .add("label_i", DataTypes.IntegerType)
          .add("label_l", DataTypes.LongType)
          .add("label_d", DataTypes.DoubleType)
          .add("names", DataTypes.createArrayType(DataTypes.StringType))
          .add("Score", DataTypes.StringType);

  @Test
  void everyAcceptedFormResolves() {
    FeedSchema feed =
        FeedSchema.of(
            ColumnSpec.tokenIds("tokens"),
            ColumnSpec.text("text"),
            ColumnSpec.features("vec", 4),
            ColumnSpec.features("floats", 4),
            ColumnSpec.features("doubles", 4),
            ColumnSpec.label("label_i"),
            ColumnSpec.label("label_l"),
            ColumnSpec.label("label_d"));
    List<FeedSchema.Resolved> cols = feed.resolve(DF);
    assertEquals(
        List.of(
            FeedSchema.Form.INT_ARRAY,
            FeedSchema.Form.STRING,
            FeedSchema.Form.ML_VECTOR,
            FeedSchema.Form.FLOAT_ARRAY,
            FeedSchema.Form.DOUBLE_ARRAY,
            FeedSchema.Form.INT,
            FeedSchema.Form.LONG,
            FeedSchema.Form.DOUBLE),
        cols.stream().map(FeedSchema.Resolved::form).toList());
    assertEquals(2, cols.get(2).index());
  }

  @Test
  void aWrongTypeNamesTheColumnItsTypeAndWhatIsExpected() {
    FeedSchemaException ids =
        assertThrows(
            FeedSchemaException.class,
            () -> FeedSchema.of(ColumnSpec.tokenIds("names")).validate(DF));
    assertEquals(
        "column 'names' is array<string>, expected array<int> (token ids)", ids.getMessage());
    FeedSchemaException features =
        assertThrows(
            FeedSchemaException.class,
            () -> FeedSchema.of(ColumnSpec.features("tokens", 3)).validate(DF));
    assertTrue(
        features.getMessage().contains("is array<int>, expected vector"), features.getMessage());
    FeedSchemaException label =
        assertThrows(
            FeedSchemaException.class, () -> FeedSchema.of(ColumnSpec.label("vec")).validate(DF));
    assertTrue(label.getMessage().startsWith("column 'vec' is "), label.getMessage());
    assertTrue(
        label.getMessage().contains("expected int, bigint, float or double"), label.getMessage());
  }

  @Test
  void aMissingColumnListsTheColumnsThereAreAndSuggestsACaseMatch() {
    FeedSchemaException missing =
        assertThrows(
            FeedSchemaException.class, () -> FeedSchema.of(ColumnSpec.text("body")).validate(DF));
    assertTrue(missing.getMessage().startsWith("column 'body' not found"), missing.getMessage());
    assertTrue(missing.getMessage().contains("[tokens, text, vec,"), missing.getMessage());
    FeedSchemaException cased =
        assertThrows(
            FeedSchemaException.class, () -> FeedSchema.of(ColumnSpec.text("score")).validate(DF));
    assertTrue(cased.getMessage().contains("did you mean 'Score'?"), cased.getMessage());
  }

  @Test
  void duplicateColumnsAreRejected() {
    assertThrows(
        IllegalArgumentException.class,
        () -> FeedSchema.of(ColumnSpec.text("text"), ColumnSpec.text("text")));
  }
}
