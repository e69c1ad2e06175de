package dev.sparkspeed.feed;

import java.util.Objects;

/**
 * One column the feed reads: its name in the DataFrame, what it holds, its width (feature columns
 * only) and what to do with nulls.
 *
 * @param name column name, exactly as in the DataFrame's schema
 * @param kind what the column holds
 * @param width number of features per row for {@link ColumnKind#FEATURES}; 0 for other kinds
 * @param nulls what a null value does to its row
 */
public record ColumnSpec(String name, ColumnKind kind, int width, NullPolicy nulls) {
  public ColumnSpec {
    Objects.requireNonNull(name, "column name");
    Objects.requireNonNull(kind, "column kind");
    Objects.requireNonNull(nulls, "null policy");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("empty column name for a " + kind + " column");
    }
    if (kind == ColumnKind.FEATURES && width < 1) {
      throw new IllegalArgumentException(
          "feature column '"
              + name
              + "' needs a width of at least 1 (features per row), got "
              + width);
    }
    if (kind != ColumnKind.FEATURES && width != 0) {
      throw new IllegalArgumentException(
          kind + " column '" + name + "' has no width; pass 0, got " + width);
    }
  }

  /** A token-id column ({@code array<int>}); nulls are errors. */
  public static ColumnSpec tokenIds(String name) {
    return new ColumnSpec(name, ColumnKind.TOKEN_IDS, 0, NullPolicy.ERROR);
  }

  /** A text column ({@code string}); nulls are errors. */
  public static ColumnSpec text(String name) {
    return new ColumnSpec(name, ColumnKind.TEXT, 0, NullPolicy.ERROR);
  }

  /** A feature column of {@code width} values per row; nulls are errors. */
  public static ColumnSpec features(String name, int width) {
    return new ColumnSpec(name, ColumnKind.FEATURES, width, NullPolicy.ERROR);
  }

  /** A numeric label column; nulls are errors. */
  public static ColumnSpec label(String name) {
    return new ColumnSpec(name, ColumnKind.LABEL, 0, NullPolicy.ERROR);
  }

  /** The same column with another null policy. */
  public ColumnSpec withNulls(NullPolicy policy) {
    return new ColumnSpec(name, kind, width, policy);
  }
}
