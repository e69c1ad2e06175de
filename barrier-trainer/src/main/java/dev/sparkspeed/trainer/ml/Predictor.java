package dev.sparkspeed.trainer.ml;

import dev.sparkspeed.trainer.ModelSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The partition function behind {@link SparkSpeedModel#transform}: streams the partition's rows
 * through an {@link Inference} a batch at a time. The parameters reach the executors as a
 * broadcast.
 */
final class Predictor implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final ModelSpec spec;
  private final Broadcast<float[]> params;
  private final ModelColumns cols;
  private final int inputIndex;

  private Predictor(ModelSpec spec, Broadcast<float[]> params, ModelColumns cols, int index) {
    this.spec = spec;
    this.params = params;
    this.cols = cols;
    this.inputIndex = index;
  }

  /** The input schema with the model's output columns appended. */
  static StructType outputSchema(StructType in, ModelSpec spec, ModelColumns c) {
    in.apply(c.input());
    if (spec.kind() == ModelSpec.Kind.GPT2) {
      return in.add(c.loss(), DataTypes.DoubleType, true)
          .add(c.nextToken(), DataTypes.IntegerType, true);
    }
    StructType out = in.add(c.prediction(), DataTypes.DoubleType, true);
    return spec.mlp().isRegression()
        ? out
        : out.add(c.probability(), SQLDataTypes.VectorType(), true);
  }

  static Dataset<Row> transform(Dataset<Row> df, ModelSpec spec, float[] params, ModelColumns c) {
    StructType out = outputSchema(df.schema(), spec, c);
    Broadcast<float[]> b =
        JavaSparkContext.fromSparkContext(df.sparkSession().sparkContext()).broadcast(params);
    int index = df.schema().fieldIndex(c.input());
    return df.mapPartitions(new Predictor(spec, b, c, index), Encoders.row(out));
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    TaskContext task = TaskContext.get();
    Inference inf =
        Inference.open(spec, params.value(), task == null ? 1 : task.cpus(), cols, inputIndex);
    if (task != null) {
      // Closes the backend also when the consumer stops early (a limit, a failure).
      task.addTaskCompletionListener((TaskCompletionListener) ctx -> inf.close());
    }
    return new Batches(rows, inf);
  }

  /** Output rows, computed a batch at a time; closes the inference after the last one. */
  private static final class Batches implements Iterator<Row> {
    private final Iterator<Row> in;
    private final Inference inf;
    private final List<Row> batch = new ArrayList<>();
    private Iterator<Row> out = List.<Row>of().iterator();
    private boolean closed;

    Batches(Iterator<Row> in, Inference inf) {
      this.in = in;
      this.inf = inf;
    }

    @Override
    public boolean hasNext() {
      while (!out.hasNext() && !closed) {
        if (!in.hasNext()) {
          closed = true;
          inf.close();
          break;
        }
        batch.clear();
        while (batch.size() < inf.batchSize() && in.hasNext()) {
          batch.add(in.next());
        }
        out = inf.apply(batch).iterator();
      }
      return out.hasNext();
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException("no more rows");
      }
      return out.next();
    }
  }
}
