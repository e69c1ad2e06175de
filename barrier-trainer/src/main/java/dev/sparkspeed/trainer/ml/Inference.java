package dev.sparkspeed.trainer.ml;

import dev.sparkspeed.feed.tokenizer.Tokenizer;
import dev.sparkspeed.trainer.ModelSpec;
import dev.sparkspeed.trainer.rank.Closer;
import dev.sparkspeed.trainer.rank.Tokenizers;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.FlatWeightSource;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.model.MlpConfig;
import dev.sparkspeed.zero.model.MlpModel;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Forward passes over a partition's rows for {@link SparkSpeedModel#transform}: the model and its
 * parameters on a CPU backend, fed {@link #batchSize()} rows at a time, each output row being the
 * input row followed by the prediction columns. Owns its backend and buffers until closed.
 */
abstract class Inference implements AutoCloseable {
  final Closer closer = new Closer();
  final Backend be;
  final Allocator host;
  final FlatWeightSource weights;

  Inference(float[] params, int cpus) {
    be = closer.add(new CpuBackend(Math.max(1, cpus), Long.MAX_VALUE));
    host = closer.add(new Allocator("inference"));
    Tensor hostParams = hostTensor(DType.FP32, params.length);
    hostParams.floats().put(params);
    Tensor dev = be.allocate("params", DType.FP32, params.length);
    closer.add(() -> be.free(dev));
    be.upload(dev, hostParams);
    weights = new FlatWeightSource(dev, null);
  }

  /** The inference for {@code spec}; {@code inputIndex} is the input column's position. */
  static Inference open(ModelSpec spec, float[] params, int cpus, ModelColumns c, int inputIndex) {
    return spec.kind() == ModelSpec.Kind.GPT2
        ? new Gpt(spec.gpt2(), params, cpus, c, inputIndex)
        : new Mlp(spec.mlp(), params, cpus, c, inputIndex);
  }

  Tensor hostTensor(DType dtype, long n) {
    var b = host.allocate("inference", dtype, n);
    closer.add(b);
    return Tensor.whole(b);
  }

  /** Rows handed to {@link #apply} at most. */
  abstract int batchSize();

  /** The output rows of up to {@link #batchSize()} input rows. */
  abstract List<Row> apply(List<Row> rows);

  static Row extend(Row in, Object... extra) {
    Object[] v = new Object[in.size() + extra.length];
    for (int i = 0; i < in.size(); i++) {
      v[i] = in.get(i);
    }
    System.arraycopy(extra, 0, v, in.size(), extra.length);
    return RowFactory.create(v);
  }

  @Override
  public void close() {
    closer.close();
  }

  /** Class probabilities and the most likely class, or the regression value. */
  private static final class Mlp extends Inference {
    private static final int B = 64;
    private final MlpConfig cfg;
    private final MlpModel model;
    private final ModelColumns cols;
    private final int index;
    private final Tensor x;
    private final Tensor y;
    private final Tensor out;

    Mlp(MlpConfig cfg, float[] params, int cpus, ModelColumns cols, int index) {
      super(params, cpus);
      this.cfg = cfg;
      this.cols = cols;
      this.index = index;
      this.model = closer.add(new MlpModel(cfg, be, B));
      this.x = hostTensor(DType.FP32, (long) B * cfg.inputDim()).reshape(B, cfg.inputDim());
      this.y = hostTensor(cfg.isRegression() ? DType.FP32 : DType.INT32, B);
      this.out = hostTensor(DType.FP32, (long) B * cfg.outputs());
      if (!cfg.isRegression()) {
        IntBuffer t = y.ints();
        for (int i = 0; i < B; i++) {
          t.put(i, Batch.IGNORE_INDEX);
        }
      }
    }

    @Override
    int batchSize() {
      return B;
    }

    @Override
    List<Row> apply(List<Row> rows) {
      int f = cfg.inputDim();
      FloatBuffer xs = x.floats();
      boolean[] present = new boolean[rows.size()];
      for (int r = 0; r < B; r++) {
        Object v = r < rows.size() ? rows.get(r).get(index) : null;
        if (r < rows.size()) {
          present[r] = v != null;
        }
        xs.put(r * f, v == null ? new float[f] : RowValues.features(v, f, cols.features()));
      }
      model.forward(weights, new Batch(x, y));
      model.predictions(out);
      FloatBuffer o = out.floats();
      int k = cfg.outputs();
      List<Row> result = new ArrayList<>(rows.size());
      for (int r = 0; r < rows.size(); r++) {
        if (!present[r]) {
          result.add(
              cfg.isRegression()
                  ? extend(rows.get(r), (Object) null)
                  : extend(rows.get(r), null, null));
          continue;
        }
        if (cfg.isRegression()) {
          result.add(extend(rows.get(r), (double) o.get(r)));
          continue;
        }
        double[] p = new double[k];
        int best = 0;
        for (int j = 0; j < k; j++) {
          p[j] = o.get(r * k + j);
          best = p[j] > p[best] ? j : best;
        }
        result.add(extend(rows.get(r), (double) best, Vectors.dense(p)));
      }
      return result;
    }
  }

  /** Per row: the mean next-token loss over its last T tokens, and the token predicted next. */
  private static final class Gpt extends Inference {
    private final Gpt2Config cfg;
    private final Gpt2Model model;
    private final ModelColumns cols;
    private final int index;
    private final int t;
    private final Tokenizer tokenizer;
    private final Tensor in;
    private final Tensor tg;
    private final Tensor probs;

    Gpt(Gpt2Config cfg, float[] params, int cpus, ModelColumns cols, int index) {
      super(params, cpus);
      this.cfg = cfg;
      this.cols = cols;
      this.index = index;
      this.t = cols.seqLen();
      this.model = closer.add(new Gpt2Model(cfg, be, 1, t));
      this.tokenizer =
          cols.text() == null ? null : Tokenizers.open(cols.tokenizer(), cfg.vocabSize());
      this.in = hostTensor(DType.INT32, t);
      this.tg = hostTensor(DType.INT32, t);
      this.probs = hostTensor(DType.FP32, cfg.paddedVocabSize());
    }

    @Override
    int batchSize() {
      return 1;
    }

    @Override
    List<Row> apply(List<Row> rows) {
      Row row = rows.get(0);
      Object v = row.get(index);
      int[] ids =
          v == null
              ? new int[0]
              : tokenizer != null
                  ? tokenizer.encode((String) v)
                  : RowValues.tokens(v, cols.tokens());
      if (ids.length == 0) {
        return List.of(extend(row, null, null));
      }
      int m = Math.min(ids.length, t);
      int start = ids.length - m;
      IntBuffer x = in.ints();
      IntBuffer y = tg.ints();
      for (int j = 0; j < t; j++) {
        x.put(j, j < m ? ids[start + j] : 0);
        y.put(j, j < m - 1 ? ids[start + j + 1] : Batch.IGNORE_INDEX);
      }
      float loss = model.forward(weights, new Batch(in, tg));
      int vp = cfg.paddedVocabSize();
      be.download(probs, model.probs().view((long) (m - 1) * vp, vp));
      FloatBuffer p = probs.floats();
      int best = 0;
      for (int k = 1; k < cfg.vocabSize(); k++) {
        best = p.get(k) > p.get(best) ? k : best;
      }
      return List.of(extend(row, m > 1 ? (Object) (double) loss : null, best));
    }
  }
}
