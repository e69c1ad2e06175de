package dev.sparkspeed.feed;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Arrow layout of each {@link ColumnKind}, shared by whatever writes record batches and the
 * batchers that read them: token ids {@code list<int32>}, text {@code utf8}, features {@code
 * fixed_size_list<float32>[width]}, labels {@code float64}. All fields are nullable.
 */
public final class ArrowColumns {
  private ArrowColumns() {}

  /** The Arrow field for {@code spec}. */
  public static Field field(ColumnSpec spec) {
    return switch (spec.kind()) {
      case TOKEN_IDS ->
          new Field(
              spec.name(),
              FieldType.nullable(ArrowType.List.INSTANCE),
              List.of(Field.notNullable("id", new ArrowType.Int(32, true))));
      case TEXT -> Field.nullable(spec.name(), ArrowType.Utf8.INSTANCE);
      case FEATURES ->
          new Field(
              spec.name(),
              FieldType.nullable(new ArrowType.FixedSizeList(spec.width())),
              List.of(
                  Field.notNullable(
                      "x", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE))));
      case LABEL ->
          Field.nullable(spec.name(), new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE));
    };
  }

  /** The Arrow schema holding {@code specs} in order. */
  public static Schema schema(List<ColumnSpec> specs) {
    List<Field> fields = new ArrayList<>(specs.size());
    for (ColumnSpec s : specs) {
      fields.add(field(s));
    }
    return new Schema(fields);
  }

  /** The token-id vector of {@code spec} in {@code root}, checked. */
  static ListVector tokenIds(VectorSchemaRoot root, ColumnSpec spec) {
    FieldVector v = vector(root, spec);
    if (v instanceof ListVector l && l.getDataVector() instanceof IntVector) {
      return l;
    }
    throw wrongType(spec, v);
  }

  /** The text vector of {@code spec} in {@code root}, checked. */
  static VarCharVector text(VectorSchemaRoot root, ColumnSpec spec) {
    FieldVector v = vector(root, spec);
    if (v instanceof VarCharVector t) {
      return t;
    }
    throw wrongType(spec, v);
  }

  /** The feature vector of {@code spec} in {@code root}, checked (including its width). */
  static FixedSizeListVector features(VectorSchemaRoot root, ColumnSpec spec) {
    FieldVector v = vector(root, spec);
    if (v instanceof FixedSizeListVector f
        && f.getDataVector() instanceof Float4Vector
        && f.getListSize() == spec.width()) {
      return f;
    }
    throw wrongType(spec, v);
  }

  /** The label vector of {@code spec} in {@code root}, checked. */
  static Float8Vector label(VectorSchemaRoot root, ColumnSpec spec) {
    FieldVector v = vector(root, spec);
    if (v instanceof Float8Vector d) {
      return d;
    }
    throw wrongType(spec, v);
  }

  private static FieldVector vector(VectorSchemaRoot root, ColumnSpec spec) {
    FieldVector v = root.getVector(spec.name());
    if (v == null) {
      List<String> names = new ArrayList<>();
      root.getSchema().getFields().forEach(f -> names.add(f.getName()));
      throw new FeedSchemaException(
          "record batch has no column '" + spec.name() + "'; it has " + names);
    }
    return v;
  }

  private static FeedSchemaException wrongType(ColumnSpec spec, FieldVector v) {
    return new FeedSchemaException(
        "record batch column '"
            + spec.name()
            + "' is "
            + v.getField()
            + ", expected "
            + field(spec)
            + " for "
            + spec.kind().expected());
  }
}
