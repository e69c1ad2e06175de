package dev.sparkspeed.feed.spark;

import dev.sparkspeed.feed.ColumnSpec;
import dev.sparkspeed.feed.FeedException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import scala.collection.Iterator;
import scala.collection.Seq;

/**
 * Copies one column's value from a Spark {@link org.apache.spark.sql.Row} into its Arrow vector,
 * converting Spark's external forms (Scala sequences, ML vectors, boxed numbers) and failing with
 * the column, the row and what was found when a value does not fit the schema.
 */
abstract class RowColumnWriter {
  final ColumnSpec spec;

  private RowColumnWriter(ColumnSpec spec) {
    this.spec = spec;
  }

  /** A writer for {@code col} into {@code vector} (the root's vector for that column). */
  static RowColumnWriter of(FeedSchema.Resolved col, FieldVector vector) {
    return switch (col.form()) {
      case INT_ARRAY -> new IntArrayWriter(col.spec(), (ListVector) vector);
      case STRING -> new StringWriter(col.spec(), (VarCharVector) vector);
      case ML_VECTOR, FLOAT_ARRAY, DOUBLE_ARRAY ->
          new FeatureWriter(col.spec(), (FixedSizeListVector) vector);
      case INT, LONG, FLOAT, DOUBLE -> new LabelWriter(col.spec(), (Float8Vector) vector);
    };
  }

  /**
   * Writes non-null {@code value} at row {@code out} of the batch; {@code row} is the row's
   * position in the partition, for messages. Returns the bytes of data written.
   */
  abstract long write(Object value, int out, long row);

  final FeedException wrong(Object value, long row, String expected) {
    return new FeedException(
        "column '"
            + spec.name()
            + "' row "
            + row
            + " holds a "
            + value.getClass().getName()
            + ", expected "
            + expected
            + "; the rows do not match the schema given to the feed");
  }

  final FeedException nullElement(long row, int k) {
    return new FeedException(
        "column '"
            + spec.name()
            + "' row "
            + row
            + " has a null at element "
            + k
            + "; array elements cannot be null (drop or fill them before training)");
  }

  private static final class IntArrayWriter extends RowColumnWriter {
    private final ListVector list;
    private final IntVector data;

    IntArrayWriter(ColumnSpec spec, ListVector list) {
      super(spec);
      this.list = list;
      this.data = (IntVector) list.getDataVector();
    }

    @Override
    long write(Object value, int out, long row) {
      int start = list.startNewValue(out);
      int n;
      if (value instanceof scala.collection.mutable.ArraySeq.ofInt a) {
        n = put(a.array(), start);
      } else if (value instanceof scala.collection.immutable.ArraySeq.ofInt a) {
        n = put(a.unsafeArray(), start);
      } else if (value instanceof int[] a) {
        n = put(a, start);
      } else if (value instanceof Seq<?> s) {
        n = s.length();
        reserve(start + n);
        Iterator<?> it = s.iterator();
        for (int k = 0; k < n; k++) {
          data.set(start + k, element(it.next(), row, k));
        }
      } else if (value instanceof List<?> l) {
        n = l.size();
        reserve(start + n);
        for (int k = 0; k < n; k++) {
          data.set(start + k, element(l.get(k), row, k));
        }
      } else {
        throw wrong(value, row, "array<int> (a Scala Seq or java.util.List of Integer)");
      }
      list.endValue(out, n);
      return (long) n * Integer.BYTES;
    }

    private int element(Object e, long row, int k) {
      if (e instanceof Integer i) {
        return i;
      }
      if (e == null) {
        throw nullElement(row, k);
      }
      throw wrong(e, row, "an Integer token id at element " + k);
    }

    private int put(int[] ids, int start) {
      reserve(start + ids.length);
      for (int k = 0; k < ids.length; k++) {
        data.set(start + k, ids[k]);
      }
      return ids.length;
    }

    private void reserve(int values) {
      while (data.getValueCapacity() < values) {
        data.reAlloc();
      }
    }
  }

  private static final class StringWriter extends RowColumnWriter {
    private final VarCharVector text;

    StringWriter(ColumnSpec spec, VarCharVector text) {
      super(spec);
      this.text = text;
    }

    @Override
    long write(Object value, int out, long row) {
      if (!(value instanceof String s)) {
        throw wrong(value, row, "a String");
      }
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      text.setSafe(out, utf8);
      return utf8.length;
    }
  }

  private static final class FeatureWriter extends RowColumnWriter {
    private final FixedSizeListVector list;
    private final Float4Vector data;
    private final int width;

    FeatureWriter(ColumnSpec spec, FixedSizeListVector list) {
      super(spec);
      this.list = list;
      this.data = (Float4Vector) list.getDataVector();
      this.width = spec.width();
    }

    @Override
    long write(Object value, int out, long row) {
      int base = out * width;
      while (data.getValueCapacity() < base + width) {
        data.reAlloc();
      }
      if (value instanceof DenseVector d) {
        checkSize(d.size(), row);
        double[] v = d.values();
        for (int k = 0; k < width; k++) {
          data.set(base + k, (float) v[k]);
        }
      } else if (value instanceof SparseVector s) {
        checkSize(s.size(), row);
        for (int k = 0; k < width; k++) {
          data.set(base + k, 0f);
        }
        int[] idx = s.indices();
        double[] v = s.values();
        for (int k = 0; k < idx.length; k++) {
          data.set(base + idx[k], (float) v[k]);
        }
      } else if (value instanceof Vector other) {
        checkSize(other.size(), row);
        for (int k = 0; k < width; k++) {
          data.set(base + k, (float) other.apply(k));
        }
      } else if (value instanceof Seq<?> s) {
        checkSize(s.length(), row);
        Iterator<?> it = s.iterator();
        for (int k = 0; k < width; k++) {
          data.set(base + k, element(it.next(), row, k));
        }
      } else if (value instanceof List<?> l) {
        checkSize(l.size(), row);
        for (int k = 0; k < width; k++) {
          data.set(base + k, element(l.get(k), row, k));
        }
      } else if (value instanceof float[] f) {
        checkSize(f.length, row);
        for (int k = 0; k < width; k++) {
          data.set(base + k, f[k]);
        }
      } else {
        throw wrong(value, row, "an ML Vector, or a Seq or List of Float/Double");
      }
      list.setNotNull(out);
      return (long) width * Float.BYTES;
    }

    private float element(Object e, long row, int k) {
      if (e instanceof Float f) {
        return f;
      }
      if (e instanceof Double d) {
        return d.floatValue();
      }
      if (e == null) {
        throw nullElement(row, k);
      }
      throw wrong(e, row, "a Float or Double at element " + k);
    }

    private void checkSize(int size, long row) {
      if (size != width) {
        throw new FeedException(
            "column '"
                + spec.name()
                + "' row "
                + row
                + " has "
                + size
                + " features, expected "
                + width
                + " (the column's configured width); every row needs the same width");
      }
    }
  }

  private static final class LabelWriter extends RowColumnWriter {
    /** Longs beyond this magnitude do not survive the trip through a double. */
    private static final long EXACT = 1L << 53;

    private final Float8Vector label;

    LabelWriter(ColumnSpec spec, Float8Vector label) {
      super(spec);
      this.label = label;
    }

    @Override
    long write(Object value, int out, long row) {
      double y;
      if (value instanceof Long l) {
        if (l > EXACT || l < -EXACT) {
          throw new FeedException(
              "column '"
                  + spec.name()
                  + "' row "
                  + row
                  + " holds label "
                  + l
                  + ", beyond 2^53 where labels lose precision; rescale or re-index the labels");
        }
        y = l;
      } else if (value instanceof Number n) {
        y = n.doubleValue();
      } else {
        throw wrong(value, row, "a number (Integer, Long, Float or Double)");
      }
      label.setSafe(out, y);
      return Double.BYTES;
    }
  }
}
