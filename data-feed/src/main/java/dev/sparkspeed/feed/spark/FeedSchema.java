package dev.sparkspeed.feed.spark;

import dev.sparkspeed.feed.ArrowColumns;
import dev.sparkspeed.feed.ColumnKind;
import dev.sparkspeed.feed.ColumnSpec;
import dev.sparkspeed.feed.FeedSchemaException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The columns a feed reads, checked against a DataFrame's schema. The driver calls {@link
 * #validate} before launching the barrier stage, so a missing column or a wrong type fails at once
 * with a message naming the column, its actual type and what is expected, instead of failing in
 * every task.
 */
public final class FeedSchema {
  /** How a column's values arrive in a {@link org.apache.spark.sql.Row}. */
  enum Form {
    INT_ARRAY,
    STRING,
    ML_VECTOR,
    FLOAT_ARRAY,
    DOUBLE_ARRAY,
    INT,
    LONG,
    FLOAT,
    DOUBLE
  }

  /** A column found in the DataFrame: its spec, position and value form. */
  record Resolved(ColumnSpec spec, int index, Form form) {}

  private final List<ColumnSpec> columns;

  public FeedSchema(List<ColumnSpec> columns) {
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("a feed schema needs at least one column");
    }
    Set<String> names = new HashSet<>();
    for (ColumnSpec c : columns) {
      if (!names.add(c.name())) {
        throw new IllegalArgumentException("column '" + c.name() + "' is listed twice");
      }
    }
    this.columns = List.copyOf(columns);
  }

  public static FeedSchema of(ColumnSpec... columns) {
    return new FeedSchema(Arrays.asList(columns));
  }

  public List<ColumnSpec> columns() {
    return columns;
  }

  /** The Arrow schema of the record batches this feed's streams produce. */
  public Schema arrowSchema() {
    return ArrowColumns.schema(columns);
  }

  /**
   * Checks that every column exists in {@code schema} with a type its kind accepts.
   *
   * @throws FeedSchemaException naming the first bad column, its type and the expected types
   */
  public void validate(StructType schema) {
    resolve(schema);
  }

  List<Resolved> resolve(StructType schema) {
    List<Resolved> out = new ArrayList<>(columns.size());
    StructField[] fields = schema.fields();
    for (ColumnSpec spec : columns) {
      int index = indexOf(fields, spec.name());
      DataType type = fields[index].dataType();
      Form form = form(spec.kind(), type);
      if (form == null) {
        throw new FeedSchemaException(
            "column '"
                + spec.name()
                + "' is "
                + type.catalogString()
                + ", expected "
                + spec.kind().expected());
      }
      out.add(new Resolved(spec, index, form));
    }
    return out;
  }

  private static int indexOf(StructField[] fields, String name) {
    List<String> names = new ArrayList<>();
    String caseMatch = null;
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].name().equals(name)) {
        return i;
      }
      if (fields[i].name().equalsIgnoreCase(name)) {
        caseMatch = fields[i].name();
      }
      names.add(fields[i].name());
    }
    throw new FeedSchemaException(
        "column '"
            + name
            + "' not found"
            + (caseMatch != null ? " (did you mean '" + caseMatch + "'? names match exactly)" : "")
            + "; the DataFrame has columns "
            + names);
  }

  private static Form form(ColumnKind kind, DataType type) {
    return switch (kind) {
      case TOKEN_IDS ->
          type instanceof ArrayType a && DataTypes.IntegerType.equals(a.elementType())
              ? Form.INT_ARRAY
              : null;
      case TEXT -> type instanceof StringType ? Form.STRING : null;
      case FEATURES -> {
        if (SQLDataTypes.VectorType().equals(type)) {
          yield Form.ML_VECTOR;
        }
        if (type instanceof ArrayType a) {
          if (DataTypes.FloatType.equals(a.elementType())) {
            yield Form.FLOAT_ARRAY;
          }
          if (DataTypes.DoubleType.equals(a.elementType())) {
            yield Form.DOUBLE_ARRAY;
          }
        }
        yield null;
      }
      case LABEL -> {
        if (DataTypes.IntegerType.equals(type)) {
          yield Form.INT;
        }
        if (DataTypes.LongType.equals(type)) {
          yield Form.LONG;
        }
        if (DataTypes.FloatType.equals(type)) {
          yield Form.FLOAT;
        }
        yield DataTypes.DoubleType.equals(type) ? Form.DOUBLE : null;
      }
    };
  }
}
