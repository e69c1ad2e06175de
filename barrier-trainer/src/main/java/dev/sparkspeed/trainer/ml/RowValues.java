package dev.sparkspeed.trainer.ml;

import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import scala.collection.Seq;

/** Reads a model input out of a row's value in any of the forms Spark hands them out in. */
final class RowValues {
  private RowValues() {}

  /**
   * A feature vector: an ML vector, or a Scala sequence / Java list / array of numbers.
   *
   * @throws IllegalArgumentException naming the column when the value is not numeric or not {@code
   *     width} long
   */
  static float[] features(Object v, int width, String column) {
    float[] out = new float[width];
    int n;
    if (v instanceof Vector vec) {
      n = vec.size();
      check(n, width, column);
      for (int k = 0; k < width; k++) {
        out[k] = (float) vec.apply(k);
      }
    } else if (v instanceof Seq<?> s) {
      n = s.length();
      check(n, width, column);
      for (int k = 0; k < width; k++) {
        out[k] = number(s.apply(k), column);
      }
    } else if (v instanceof List<?> l) {
      check(l.size(), width, column);
      for (int k = 0; k < width; k++) {
        out[k] = number(l.get(k), column);
      }
    } else {
      throw new IllegalArgumentException(
          "column '"
              + column
              + "' holds a "
              + v.getClass().getName()
              + "; expected an ML vector or an array of numbers");
    }
    return out;
  }

  /** Token ids: a Scala sequence or Java list of Integers. */
  static int[] tokens(Object v, String column) {
    if (v instanceof Seq<?> s) {
      int[] out = new int[s.length()];
      for (int k = 0; k < out.length; k++) {
        out[k] = (Integer) s.apply(k);
      }
      return out;
    }
    if (v instanceof List<?> l) {
      return l.stream().mapToInt(x -> (Integer) x).toArray();
    }
    throw new IllegalArgumentException(
        "column '" + column + "' holds a " + v.getClass().getName() + "; expected array<int>");
  }

  private static void check(int n, int width, String column) {
    if (n != width) {
      throw new IllegalArgumentException(
          "column '" + column + "' has " + n + " features but the model's input_dim is " + width);
    }
  }

  private static float number(Object x, String column) {
    if (x instanceof Number num) {
      return num.floatValue();
    }
    throw new IllegalArgumentException(
        "column '" + column + "' holds a non-numeric element " + x + "; expected numbers");
  }
}
