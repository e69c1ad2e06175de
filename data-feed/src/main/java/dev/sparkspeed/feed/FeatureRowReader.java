package dev.sparkspeed.feed;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;

/** Reads (features, label) rows from record batches, applying null policies and label checks. */
final class FeatureRowReader implements EpochRunner.Units<FeatureRowReader.Row> {
  /** One row: {@code width} features and its label (a class id for classification). */
  record Row(float[] features, double label) {}

  private final ColumnSpec featureSpec;
  private final ColumnSpec labelSpec;
  private final LabelKind labels;
  private final int numClasses;
  private final int width;
  private RecordBatchStream batches;
  private FixedSizeListVector features;
  private Float8Vector label;
  private FloatBuffer values;
  private int row;
  private int rows;
  private long rowsRead;
  private long rowsKept;

  FeatureRowReader(ColumnSpec features, ColumnSpec label, LabelKind labels, int numClasses) {
    this.featureSpec = features;
    this.labelSpec = label;
    this.labels = labels;
    this.numClasses = numClasses;
    this.width = features.width();
  }

  @Override
  public void startEpoch() {}

  @Override
  public void startPass(RecordBatchStream batches) {
    this.batches = batches;
    this.row = 0;
    this.rows = 0;
    this.rowsRead = 0;
    this.rowsKept = 0;
  }

  @Override
  public Row next() {
    while (true) {
      while (row == rows) {
        if (!batches.hasNext()) {
          return null;
        }
        VectorSchemaRoot root = batches.next();
        row = 0;
        rows = root.getRowCount();
        features = ArrowColumns.features(root, featureSpec);
        label = ArrowColumns.label(root, labelSpec);
        ArrowBuf data = features.getDataVector().getDataBuffer();
        values =
            data.nioBuffer(0, (int) ((long) rows * width * Float.BYTES))
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
      }
      int r = row++;
      rowsRead++;
      if (isNull(r, features.isNull(r), featureSpec) || isNull(r, label.isNull(r), labelSpec)) {
        continue;
      }
      float[] x = new float[width];
      values.get(r * width, x);
      double y = label.get(r);
      checkLabel(y);
      rowsKept++;
      return new Row(x, y);
    }
  }

  /** Rows in one whole pass that survive the null policies (for {@link EpochPlan#forRows}). */
  long countPass() {
    long n = 0;
    while (next() != null) {
      n++;
    }
    return n;
  }

  private boolean isNull(int r, boolean isNull, ColumnSpec spec) {
    if (!isNull) {
      return false;
    }
    if (spec.nulls() == NullPolicy.SKIP) {
      return true;
    }
    throw new FeedException(
        "column '"
            + spec.name()
            + "' is null in row "
            + (rowsRead - 1)
            + " of this partition;"
            + " set its null policy to SKIP to drop such rows");
  }

  private void checkLabel(double y) {
    if (labels == LabelKind.CLASSIFICATION && !(y == Math.rint(y) && y >= 0 && y < numClasses)) {
      throw new FeedException(
          "label column '"
              + labelSpec.name()
              + "' row "
              + (rowsRead - 1)
              + " is "
              + y
              + ", not a class id in [0, "
              + numClasses
              + "); fix the labels, raise numClasses"
              + " or use label kind REGRESSION");
    }
    if (labels == LabelKind.REGRESSION && !Double.isFinite(y)) {
      throw new FeedException(
          "label column '"
              + labelSpec.name()
              + "' row "
              + (rowsRead - 1)
              + " is "
              + y
              + "; regression labels must be finite");
    }
  }

  @Override
  public long rowsRead() {
    return rowsRead;
  }

  @Override
  public boolean passHadData() {
    return rowsKept > 0;
  }

  @Override
  public String column() {
    return featureSpec.name();
  }

  @Override
  public long digest(Row unit, long h) {
    for (float f : unit.features()) {
      h = (h ^ Float.floatToRawIntBits(f)) * 0x100000001B3L;
    }
    long bits = Double.doubleToRawLongBits(unit.label());
    return (h ^ bits) * 0x100000001B3L;
  }
}
