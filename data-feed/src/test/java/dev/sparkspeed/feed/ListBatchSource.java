package dev.sparkspeed.feed;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * A Spark-free record-batch source over Java lists, for testing the batchers: one column per list,
 * {@code null} entries become Arrow nulls, {@code rowsPerBatch} rows per record batch.
 */
final class ListBatchSource implements RecordBatchSource {
  private final BufferAllocator allocator;
  private final List<ColumnSpec> specs;
  private final List<? extends List<?>> columns;
  private final int rowsPerBatch;
  private final int rows;
  private int opened;

  ListBatchSource(
      BufferAllocator allocator,
      List<ColumnSpec> specs,
      List<? extends List<?>> columns,
      int rowsPerBatch) {
    this.allocator = allocator;
    this.specs = specs;
    this.columns = columns;
    this.rowsPerBatch = rowsPerBatch;
    this.rows = columns.get(0).size();
  }

  static ListBatchSource tokens(BufferAllocator a, String name, List<int[]> docs, int perBatch) {
    return new ListBatchSource(a, List.of(ColumnSpec.tokenIds(name)), List.of(docs), perBatch);
  }

  int opened() {
    return opened;
  }

  @Override
  public RecordBatchStream open() {
    opened++;
    VectorSchemaRoot root = VectorSchemaRoot.create(ArrowColumns.schema(specs), allocator);
    return new RecordBatchStream() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < rows;
      }

      @Override
      public VectorSchemaRoot next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        root.clear();
        root.allocateNew();
        int n = Math.min(rowsPerBatch, rows - next);
        for (int c = 0; c < specs.size(); c++) {
          for (int r = 0; r < n; r++) {
            set(root, specs.get(c), columns.get(c).get(next + r), r);
          }
        }
        root.setRowCount(n);
        next += n;
        return root;
      }

      @Override
      public void close() {
        root.close();
      }
    };
  }

  private static void set(VectorSchemaRoot root, ColumnSpec spec, Object value, int r) {
    switch (spec.kind()) {
      case TOKEN_IDS -> {
        ListVector v = (ListVector) root.getVector(spec.name());
        if (value == null) {
          v.setNull(r);
          return;
        }
        int[] ids = (int[]) value;
        int start = v.startNewValue(r);
        IntVector data = (IntVector) v.getDataVector();
        for (int k = 0; k < ids.length; k++) {
          data.setSafe(start + k, ids[k]);
        }
        v.endValue(r, ids.length);
      }
      case TEXT -> {
        VarCharVector v = (VarCharVector) root.getVector(spec.name());
        if (value == null) {
          v.setNull(r);
        } else {
          v.setSafe(r, ((String) value).getBytes(StandardCharsets.UTF_8));
        }
      }
      case FEATURES -> {
        FixedSizeListVector v = (FixedSizeListVector) root.getVector(spec.name());
        Float4Vector data = (Float4Vector) v.getDataVector();
        float[] x = (float[]) value;
        for (int k = 0; k < spec.width(); k++) {
          data.setSafe(r * spec.width() + k, x == null ? 0f : x[k]);
        }
        if (value == null) {
          v.setNull(r);
        } else {
          v.setNotNull(r);
        }
      }
      case LABEL -> {
        Float8Vector v = (Float8Vector) root.getVector(spec.name());
        if (value == null) {
          v.setNull(r);
        } else {
          v.setSafe(r, ((Number) value).doubleValue());
        }
      }
    }
  }

  @Override
  public void close() {}
}
