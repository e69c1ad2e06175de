package dev.sparkspeed.it;

import dev.sparkspeed.zero.train.TinyCorpus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Generated inputs for the integration tests, and the DataFrames that hold them. */
final class TestData {
  static final StructType TEXT = new StructType().add("text", DataTypes.StringType, true);
  static final StructType VECTORS =
      new StructType()
          .add("features", SQLDataTypes.VectorType(), true)
          .add("label", DataTypes.IntegerType, true);

  private TestData() {}

  /** Lines of the generated corpus as rows of one "text" column. */
  static List<Row> textRows(int chars, long seed) {
    return Arrays.stream(TinyCorpus.generate(chars, seed).split("\n"))
        .map(l -> RowFactory.create(l))
        .toList();
  }

  /** Rows of 6 Gaussian features; the label is the side of a fixed plane they lie on. */
  static List<Row> vectorRows(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      double[] x = new double[6];
      for (int j = 0; j < 6; j++) {
        x[j] = r.nextGaussian();
      }
      double side = x[0] + x[1] - x[2] + 0.5 * x[3] - 0.5 * x[4];
      rows.add(RowFactory.create(Vectors.dense(x), side > 0 ? 1 : 0));
    }
    return rows;
  }

  /** A DataFrame whose partition i holds exactly {@code parts.get(i)}, in order. */
  static Dataset<Row> frame(SparkSession spark, List<List<Row>> parts, StructType schema) {
    List<List<Row>> copies = new ArrayList<>();
    parts.forEach(p -> copies.add(new ArrayList<>(p)));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    return spark.createDataFrame(
        jsc.parallelize(copies, copies.size()).flatMap(List::iterator), schema);
  }

  /** {@code rows} cut into {@code k} contiguous slices of (nearly) equal size. */
  static List<List<Row>> slices(List<Row> rows, int k) {
    List<List<Row>> out = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      out.add(
          rows.subList(
              (int) ((long) i * rows.size() / k), (int) ((long) (i + 1) * rows.size() / k)));
    }
    return out;
  }

  /** max |a − b| / max |b|. */
  static double relDiff(float[] a, float[] b) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      num = Math.max(num, Math.abs(a[i] - b[i]));
      den = Math.max(den, Math.abs(b[i]));
    }
    return num / den;
  }
}
