package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * The reference layer kernels: straight loops after llm.c's {@code train_gpt2.c}, one thread, no
 * BLAS. Shapes are in the {@link dev.sparkspeed.zero.backend.Backend} Javadoc.
 */
final class ReferenceLayers {
  private ReferenceLayers() {}

  static void encoderForward(
      Tensor out, Tensor tokens, Tensor wte, Tensor wpe, int b, int t, int c) {
    FloatBuffer o = Operands.f32(out, (long) b * t * c, "encoder out");
    IntBuffer tok = Operands.i32(tokens, (long) b * t, "encoder tokens");
    FloatBuffer te = Operands.f32(wte, c, "encoder wte");
    FloatBuffer pe = Operands.f32(wpe, (long) t * c, "encoder wpe");
    CpuEncoder.checkTokens(tok, b * t, wte, c);
    for (int bi = 0; bi < b; bi++) {
      for (int ti = 0; ti < t; ti++) {
        int row = bi * t + ti;
        int id = tok.get(row);
        for (int j = 0; j < c; j++) {
          o.put(row * c + j, te.get(id * c + j) + pe.get(ti * c + j));
        }
      }
    }
  }

  static void encoderBackward(
      Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens, int b, int t, int c) {
    FloatBuffer dte = Operands.f32(dwte, c, "encoder dwte");
    FloatBuffer dpe = Operands.f32(dwpe, (long) t * c, "encoder dwpe");
    FloatBuffer g = Operands.f32(dout, (long) b * t * c, "encoder dout");
    IntBuffer tok = Operands.i32(tokens, (long) b * t, "encoder tokens");
    CpuEncoder.checkTokens(tok, b * t, dwte, c);
    for (int bi = 0; bi < b; bi++) {
      for (int ti = 0; ti < t; ti++) {
        int row = bi * t + ti;
        int id = tok.get(row);
        for (int j = 0; j < c; j++) {
          float d = g.get(row * c + j);
          dte.put(id * c + j, dte.get(id * c + j) + d);
          dpe.put(ti * c + j, dpe.get(ti * c + j) + d);
        }
      }
    }
  }

  static void layerNormForward(
      Tensor out,
      Tensor mean,
      Tensor rstd,
      Tensor in,
      Tensor weight,
      Tensor bias,
      int rows,
      int cols) {
    FloatBuffer o = Operands.f32(out, (long) rows * cols, "layerNorm out");
    FloatBuffer mu = Operands.f32(mean, rows, "layerNorm mean");
    FloatBuffer rs = Operands.f32(rstd, rows, "layerNorm rstd");
    FloatBuffer x = Operands.f32(in, (long) rows * cols, "layerNorm in");
    FloatBuffer w = Operands.f32(weight, cols, "layerNorm weight");
    FloatBuffer bb = Operands.f32(bias, cols, "layerNorm bias");
    for (int r = 0; r < rows; r++) {
      double sum = 0;
      for (int j = 0; j < cols; j++) {
        sum += x.get(r * cols + j);
      }
      float m = (float) (sum / cols);
      double var = 0;
      for (int j = 0; j < cols; j++) {
        double d = x.get(r * cols + j) - m;
        var += d * d;
      }
      float s = (float) (1.0 / Math.sqrt(var / cols + CpuLayerNorm.EPS));
      for (int j = 0; j < cols; j++) {
        float norm = (x.get(r * cols + j) - m) * s;
        o.put(r * cols + j, norm * w.get(j) + bb.get(j));
      }
      mu.put(r, m);
      rs.put(r, s);
    }
  }

  static void layerNormBackward(
      Tensor din,
      Tensor dweight,
      Tensor dbias,
      Tensor dout,
      Tensor in,
      Tensor weight,
      Tensor mean,
      Tensor rstd,
      int rows,
      int cols) {
    FloatBuffer dx = Operands.f32(din, (long) rows * cols, "layerNorm din");
    FloatBuffer dw = Operands.f32(dweight, cols, "layerNorm dweight");
    FloatBuffer db = Operands.f32(dbias, cols, "layerNorm dbias");
    FloatBuffer g = Operands.f32(dout, (long) rows * cols, "layerNorm dout");
    FloatBuffer x = Operands.f32(in, (long) rows * cols, "layerNorm in");
    FloatBuffer w = Operands.f32(weight, cols, "layerNorm weight");
    FloatBuffer mu = Operands.f32(mean, rows, "layerNorm mean");
    FloatBuffer rs = Operands.f32(rstd, rows, "layerNorm rstd");
    for (int r = 0; r < rows; r++) {
      float m = mu.get(r);
      float s = rs.get(r);
      // Two means over the row: of dnorm, and of dnorm·norm.
      double dnormMean = 0;
      double dnormNormMean = 0;
      for (int j = 0; j < cols; j++) {
        float norm = (x.get(r * cols + j) - m) * s;
        float dnorm = w.get(j) * g.get(r * cols + j);
        dnormMean += dnorm;
        dnormNormMean += dnorm * norm;
      }
      dnormMean /= cols;
      dnormNormMean /= cols;
      for (int j = 0; j < cols; j++) {
        float norm = (x.get(r * cols + j) - m) * s;
        float dnorm = w.get(j) * g.get(r * cols + j);
        db.put(j, db.get(j) + g.get(r * cols + j));
        dw.put(j, dw.get(j) + norm * g.get(r * cols + j));
        double grad = (dnorm - dnormMean - norm * dnormNormMean) * s;
        dx.put(r * cols + j, (float) (dx.get(r * cols + j) + grad));
      }
    }
  }

  static void linearForward(
      Tensor out, Tensor in, Tensor weight, Tensor bias, int rows, int inDim, int outDim) {
    FloatBuffer o = Operands.f32(out, (long) rows * outDim, "linear out");
    FloatBuffer x = Operands.f32(in, (long) rows * inDim, "linear in");
    FloatBuffer w = Operands.f32(weight, (long) outDim * inDim, "linear weight");
    FloatBuffer bb = Operands.f32OrNull(bias, outDim, "linear bias");
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < outDim; j++) {
        double sum = bb == null ? 0 : bb.get(j);
        for (int i = 0; i < inDim; i++) {
          sum += (double) x.get(r * inDim + i) * w.get(j * inDim + i);
        }
        o.put(r * outDim + j, (float) sum);
      }
    }
  }

  static void linearBackward(
      Tensor din,
      Tensor dweight,
      Tensor dbias,
      Tensor dout,
      Tensor in,
      Tensor weight,
      int rows,
      int inDim,
      int outDim) {
    FloatBuffer dx = Operands.f32(din, (long) rows * inDim, "linear din");
    FloatBuffer dw = Operands.f32(dweight, (long) outDim * inDim, "linear dweight");
    FloatBuffer db = Operands.f32OrNull(dbias, outDim, "linear dbias");
    FloatBuffer g = Operands.f32(dout, (long) rows * outDim, "linear dout");
    FloatBuffer x = Operands.f32(in, (long) rows * inDim, "linear in");
    FloatBuffer w = Operands.f32(weight, (long) outDim * inDim, "linear weight");
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < inDim; i++) {
        double sum = 0;
        for (int j = 0; j < outDim; j++) {
          sum += (double) g.get(r * outDim + j) * w.get(j * inDim + i);
        }
        dx.put(r * inDim + i, (float) (dx.get(r * inDim + i) + sum));
      }
    }
    for (int j = 0; j < outDim; j++) {
      for (int i = 0; i < inDim; i++) {
        double sum = 0;
        for (int r = 0; r < rows; r++) {
          sum += (double) g.get(r * outDim + j) * x.get(r * inDim + i);
        }
        dw.put(j * inDim + i, (float) (dw.get(j * inDim + i) + sum));
      }
      if (db != null) {
        double sum = 0;
        for (int r = 0; r < rows; r++) {
          sum += g.get(r * outDim + j);
        }
        db.put(j, (float) (db.get(j) + sum));
      }
    }
  }

  /** f(x) for one value. */
  static double activate(Activation f, double x) {
    return switch (f) {
      case GELU ->
          0.5
              * x
              * (1.0
                  + Math.tanh(
                      CpuActivations.GELU_SCALE * (x + CpuActivations.GELU_CUBIC * x * x * x)));
      case RELU -> Math.max(x, 0.0);
      case TANH -> Math.tanh(x);
      case NONE -> x;
    };
  }

  /** f'(x) for one value. */
  static double derivative(Activation f, double x) {
    return switch (f) {
      case GELU -> {
        double u = CpuActivations.GELU_SCALE * (x + CpuActivations.GELU_CUBIC * x * x * x);
        double th = Math.tanh(u);
        double du = CpuActivations.GELU_SCALE * (1.0 + 3.0 * CpuActivations.GELU_CUBIC * x * x);
        yield 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * du;
      }
      case RELU -> x > 0 ? 1.0 : 0.0;
      case TANH -> 1.0 - Math.tanh(x) * Math.tanh(x);
      case NONE -> 1.0;
    };
  }

  static void activationForward(Activation f, Tensor out, Tensor in, int n) {
    FloatBuffer o = Operands.f32(out, n, "activation out");
    FloatBuffer x = Operands.f32(in, n, "activation in");
    for (int i = 0; i < n; i++) {
      o.put(i, (float) activate(f, x.get(i)));
    }
  }

  static void activationBackward(Activation f, Tensor din, Tensor in, Tensor dout, int n) {
    FloatBuffer dx = Operands.f32(din, n, "activation din");
    FloatBuffer x = Operands.f32(in, n, "activation in");
    FloatBuffer g = Operands.f32(dout, n, "activation dout");
    for (int i = 0; i < n; i++) {
      dx.put(i, (float) (dx.get(i) + derivative(f, x.get(i)) * g.get(i)));
    }
  }

  static void residualForward(Tensor out, Tensor a, Tensor b, int n) {
    FloatBuffer o = Operands.f32(out, n, "residual out");
    FloatBuffer x = Operands.f32(a, n, "residual a");
    FloatBuffer y = Operands.f32(b, n, "residual b");
    for (int i = 0; i < n; i++) {
      o.put(i, x.get(i) + y.get(i));
    }
  }

  static void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
    FloatBuffer dx = Operands.f32(da, n, "residual da");
    FloatBuffer dy = Operands.f32(db, n, "residual db");
    FloatBuffer g = Operands.f32(dout, n, "residual dout");
    for (int i = 0; i < n; i++) {
      dx.put(i, dx.get(i) + g.get(i));
      dy.put(i, dy.get(i) + g.get(i));
    }
  }

  static void crossEntropyForward(
      Tensor losses,
      Tensor probs,
      Tensor logits,
      Tensor targets,
      int rows,
      int v,
      int vp,
      int ignoreIndex) {
    FloatBuffer loss = Operands.f32(losses, rows, "crossEntropy losses");
    FloatBuffer p = Operands.f32(probs, (long) rows * vp, "crossEntropy probs");
    FloatBuffer z = Operands.f32(logits, (long) rows * vp, "crossEntropy logits");
    IntBuffer y = Operands.i32(targets, rows, "crossEntropy targets");
    CpuLoss.checkTargets(y, rows, v, vp, ignoreIndex);
    for (int r = 0; r < rows; r++) {
      // Subtracting the row max keeps exp from overflowing; it cancels in the ratio.
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < v; j++) {
        max = Math.max(max, z.get(r * vp + j));
      }
      double sum = 0;
      for (int j = 0; j < v; j++) {
        sum += Math.exp(z.get(r * vp + j) - max);
      }
      for (int j = 0; j < vp; j++) {
        double pj = j < v ? Math.exp(z.get(r * vp + j) - max) / sum : 0.0;
        p.put(r * vp + j, (float) pj);
      }
      int target = y.get(r);
      double l = target == ignoreIndex ? 0.0 : Math.log(sum) - (z.get(r * vp + target) - max);
      loss.put(r, (float) l);
    }
  }

  static void crossEntropyBackward(
      Tensor dlogits,
      Tensor probs,
      Tensor targets,
      float dloss,
      int rows,
      int v,
      int vp,
      int ignoreIndex) {
    FloatBuffer dz = Operands.f32(dlogits, (long) rows * vp, "crossEntropy dlogits");
    FloatBuffer p = Operands.f32(probs, (long) rows * vp, "crossEntropy probs");
    IntBuffer y = Operands.i32(targets, rows, "crossEntropy targets");
    CpuLoss.checkTargets(y, rows, v, vp, ignoreIndex);
    for (int r = 0; r < rows; r++) {
      int target = y.get(r);
      if (target == ignoreIndex) {
        continue;
      }
      for (int j = 0; j < v; j++) {
        float indicator = j == target ? 1f : 0f;
        dz.put(r * vp + j, dz.get(r * vp + j) + (p.get(r * vp + j) - indicator) * dloss);
      }
    }
  }

  static void mseForward(Tensor losses, Tensor pred, Tensor target, int rows) {
    FloatBuffer loss = Operands.f32(losses, rows, "mse losses");
    FloatBuffer x = Operands.f32(pred, rows, "mse pred");
    FloatBuffer y = Operands.f32(target, rows, "mse target");
    for (int r = 0; r < rows; r++) {
      float d = x.get(r) - y.get(r);
      loss.put(r, d * d);
    }
  }

  static void mseBackward(Tensor dpred, Tensor pred, Tensor target, float dloss, int rows) {
    FloatBuffer dx = Operands.f32(dpred, rows, "mse dpred");
    FloatBuffer x = Operands.f32(pred, rows, "mse pred");
    FloatBuffer y = Operands.f32(target, rows, "mse target");
    for (int r = 0; r < rows; r++) {
      dx.put(r, dx.get(r) + 2f * (x.get(r) - y.get(r)) * dloss);
    }
  }
}
