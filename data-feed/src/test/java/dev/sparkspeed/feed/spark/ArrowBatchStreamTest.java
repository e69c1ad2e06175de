package dev.sparkspeed.feed.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.feed.ColumnSpec;
import dev.sparkspeed.feed.FeedException;
import dev.sparkspeed.feed.NullPolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import scala.collection.immutable.ArraySeq;
import scala.jdk.javaapi.CollectionConverters;

class ArrowBatchStreamTest {
  static final StructType TEXT_SCHEMA =
      new StructType()
          .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType))
          .add("text", DataTypes.StringType)
          .add("label", DataTypes.LongType);
  static final FeedSchema TEXT_FEED =
      FeedSchema.of(
          ColumnSpec.tokenIds("tokens"), ColumnSpec.text("text"), ColumnSpec.label("label"));

  private BufferAllocator arrow;

  @BeforeEach
  void open() {
    arrow = new RootAllocator(1L << 20);
  }

  @AfterEach
  void close() {
    assertEquals(0, arrow.getAllocatedMemory(), "Arrow bytes left after the stream closed");
    arrow.close();
  }

  /** Spark hands array columns to rows as Scala sequences of boxed values. */
  static Object boxedSeq(Object... values) {
    return CollectionConverters.asScala(Arrays.asList(values)).toSeq();
  }

  private static int[] ids(ListVector v, int row) {
    List<?> l = v.getObject(row);
    return l.stream().mapToInt(o -> (Integer) o).toArray();
  }

  @Test
  void rowsBecomeArrowBatchesOfTheConfiguredSize() {
    List<Row> rows = new ArrayList<>();
    rows.add(new GenericRowWithSchema(new Object[] {boxedSeq(1, 2, 3), "héllo", 7L}, TEXT_SCHEMA));
    rows.add(RowFactory.create(ArraySeq.unsafeWrapArray(new int[] {4, 5}), "", 8L));
    rows.add(RowFactory.create(List.of(6), "✓", -1L));
    rows.add(RowFactory.create(boxedSeq(), "last", 0L));
    rows.add(RowFactory.create(new int[] {9, 9}, "x", 1L));
    ArrowBatchStream.Options opts = new ArrowBatchStream.Options(2, 1 << 20);
    try (ArrowBatchStream s =
        new ArrowBatchStream(rows.iterator(), TEXT_SCHEMA, TEXT_FEED, arrow, opts)) {
      VectorSchemaRoot b = s.next();
      assertEquals(2, b.getRowCount());
      ListVector tokens = (ListVector) b.getVector("tokens");
      assertArrayEquals(new int[] {1, 2, 3}, ids(tokens, 0));
      assertArrayEquals(new int[] {4, 5}, ids(tokens, 1));
      VarCharVector text = (VarCharVector) b.getVector("text");
      assertEquals("héllo", new String(text.get(0), StandardCharsets.UTF_8));
      assertEquals(8.0, ((Float8Vector) b.getVector("label")).get(1));
      b = s.next();
      assertEquals(2, b.getRowCount());
      assertArrayEquals(new int[] {6}, ids(tokens, 0));
      assertArrayEquals(new int[0], ids(tokens, 1));
      assertEquals("✓", new String(text.get(0), StandardCharsets.UTF_8));
      assertEquals(-1.0, ((Float8Vector) b.getVector("label")).get(0));
      b = s.next();
      assertEquals(1, b.getRowCount());
      assertArrayEquals(new int[] {9, 9}, ids(tokens, 0));
      assertFalse(s.hasNext());
      assertEquals(5, s.rowsSeen());
      assertEquals(3, s.batches());
      assertEquals(
          4 * 8 + "héllo✓lastx".getBytes(StandardCharsets.UTF_8).length + 5 * 8, s.bytesWritten());
    }
  }

  @Test
  void denseSparseAndArrayFeaturesAllBecomeFixedWidthFloats() {
    StructType schema =
        new StructType()
            .add("v", SQLDataTypes.VectorType())
            .add("f", DataTypes.createArrayType(DataTypes.FloatType))
            .add("d", DataTypes.createArrayType(DataTypes.DoubleType));
    FeedSchema feed =
        FeedSchema.of(
            ColumnSpec.features("v", 4), ColumnSpec.features("f", 2), ColumnSpec.features("d", 2));
    List<Row> rows =
        List.of(
            RowFactory.create(Vectors.dense(1, 2, 3, 4), boxedSeq(0.5f, 1.5f), boxedSeq(2.5, -3.0)),
            RowFactory.create(
                Vectors.sparse(4, new int[] {1, 3}, new double[] {7, 8}),
                new float[] {9f, 10f},
                List.of(0.25, 0.75)));
    try (ArrowBatchStream s =
        new ArrowBatchStream(
            rows.iterator(), schema, feed, arrow, ArrowBatchStream.Options.defaults())) {
      VectorSchemaRoot b = s.next();
      assertEquals(2, b.getRowCount());
      assertArrayEquals(new float[] {1, 2, 3, 4, 0, 7, 0, 8}, floats(b, "v", 8));
      assertArrayEquals(new float[] {0.5f, 1.5f, 9f, 10f}, floats(b, "f", 4));
      assertArrayEquals(new float[] {2.5f, -3f, 0.25f, 0.75f}, floats(b, "d", 4));
    }
  }

  private static float[] floats(VectorSchemaRoot b, String col, int n) {
    Float4Vector data = (Float4Vector) ((FixedSizeListVector) b.getVector(col)).getDataVector();
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = data.get(i);
    }
    return out;
  }

  @Test
  void nullsAreSkippedOrFailAsEachColumnSays() {
    List<Row> rows =
        List.of(
            RowFactory.create(boxedSeq(1), "a", 1L),
            RowFactory.create(boxedSeq(2), null, 2L),
            RowFactory.create(boxedSeq(3), "c", 3L));
    ArrowBatchStream.Options opts = ArrowBatchStream.Options.defaults();
    try (ArrowBatchStream strict =
        new ArrowBatchStream(rows.iterator(), TEXT_SCHEMA, TEXT_FEED, arrow, opts)) {
      FeedException e = assertThrows(FeedException.class, strict::next);
      assertTrue(e.getMessage().startsWith("column 'text' is null in row 1"), e.getMessage());
    }
    FeedSchema lenient =
        FeedSchema.of(
            ColumnSpec.tokenIds("tokens"),
            ColumnSpec.text("text").withNulls(NullPolicy.SKIP),
            ColumnSpec.label("label"));
    try (ArrowBatchStream skip =
        new ArrowBatchStream(rows.iterator(), TEXT_SCHEMA, lenient, arrow, opts)) {
      VectorSchemaRoot b = skip.next();
      assertEquals(2, b.getRowCount());
      assertEquals(3.0, ((Float8Vector) b.getVector("label")).get(1));
      assertEquals(1, skip.rowsSkipped());
    }
  }

  @Test
  void valuesThatDoNotFitTheSchemaFailNamingColumnRowAndWhatWasFound() {
    StructType schema = new StructType().add("v", SQLDataTypes.VectorType());
    FeedSchema feed = FeedSchema.of(ColumnSpec.features("v", 3));
    List<Row> rows =
        List.of(RowFactory.create(Vectors.dense(1, 2, 3)), RowFactory.create(Vectors.dense(1, 2)));
    try (ArrowBatchStream s =
        new ArrowBatchStream(
            rows.iterator(), schema, feed, arrow, ArrowBatchStream.Options.defaults())) {
      FeedException e = assertThrows(FeedException.class, s::next);
      assertTrue(
          e.getMessage().contains("column 'v' row 1 has 2 features, expected 3"), e.getMessage());
    }
    List<Row> wrong = List.of(RowFactory.create("1 2 3", "t", 1L));
    try (ArrowBatchStream s =
        new ArrowBatchStream(
            wrong.iterator(), TEXT_SCHEMA, TEXT_FEED, arrow, ArrowBatchStream.Options.defaults())) {
      FeedException e = assertThrows(FeedException.class, s::next);
      assertTrue(
          e.getMessage().contains("column 'tokens' row 0 holds a java.lang.String"),
          e.getMessage());
    }
    List<Row> nullElement = List.of(RowFactory.create(boxedSeq(1, null), "t", 1L));
    try (ArrowBatchStream s =
        new ArrowBatchStream(
            nullElement.iterator(),
            TEXT_SCHEMA,
            TEXT_FEED,
            arrow,
            ArrowBatchStream.Options.defaults())) {
      FeedException e = assertThrows(FeedException.class, s::next);
      assertTrue(e.getMessage().contains("null at element 1"), e.getMessage());
    }
  }

  @Test
  void theAllocatorLimitBoundsMemoryAndBatchesEndAtTheByteBudget() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      rows.add(RowFactory.create(boxedSeq(i), "x".repeat(1000), (long) i));
    }
    ArrowBatchStream.Options budget = new ArrowBatchStream.Options(64, 4096);
    try (ArrowBatchStream s =
        new ArrowBatchStream(rows.iterator(), TEXT_SCHEMA, TEXT_FEED, arrow, budget)) {
      VectorSchemaRoot b = s.next();
      // Rows of 1012 bytes: after 4 the batch holds 4048 < 4096, the 5th reaches the budget.
      assertEquals(5, b.getRowCount());
      assertEquals(5, s.next().getRowCount());
      assertEquals(2, s.batches());
    }
    try (BufferAllocator tight = arrow.newChildAllocator("tight", 0, 32 << 10);
        ArrowBatchStream s =
            new ArrowBatchStream(
                rows.iterator(),
                TEXT_SCHEMA,
                TEXT_FEED,
                tight,
                new ArrowBatchStream.Options(64, 1 << 20))) {
      FeedException e = assertThrows(FeedException.class, s::next);
      assertTrue(e.getMessage().contains("Arrow memory limit of 32768 bytes"), e.getMessage());
      assertTrue(e.getMessage().contains("lower rowsPerBatch (64)"), e.getMessage());
    }
  }

  @Test
  void aBadSchemaFailsBeforeAnyRowIsRead() {
    StructType other = new StructType().add("text", DataTypes.IntegerType);
    Row never = RowFactory.create(1);
    List<Row> rows = List.of(never);
    assertThrows(
        dev.sparkspeed.feed.FeedSchemaException.class,
        () ->
            new ArrowBatchStream(
                rows.iterator(), other, TEXT_FEED, arrow, ArrowBatchStream.Options.defaults()));
  }
}
