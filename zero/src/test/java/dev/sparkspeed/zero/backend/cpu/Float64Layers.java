package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.backend.Activation;

/**
 * Forward passes of every layer in float64, written from the definitions independently of the
 * backends. Gradient checks differentiate these numerically; forward checks compare against them.
 */
final class Float64Layers {
  private Float64Layers() {}

  /** out (B,T,C) = wte[tokens] + wpe[t]. */
  static double[] encoder(int[] tokens, double[] wte, double[] wpe, int b, int t, int c) {
    double[] out = new double[b * t * c];
    for (int r = 0; r < b * t; r++) {
      for (int j = 0; j < c; j++) {
        out[r * c + j] = wte[tokens[r] * c + j] + wpe[(r % t) * c + j];
      }
    }
    return out;
  }

  /** (x − mean) / sqrt(var + 1e-5) · weight + bias per row; var is the biased variance. */
  static double[] layerNorm(double[] x, double[] w, double[] bias, int rows, int cols) {
    double[] out = new double[rows * cols];
    for (int r = 0; r < rows; r++) {
      double mean = 0;
      for (int j = 0; j < cols; j++) {
        mean += x[r * cols + j];
      }
      mean /= cols;
      double var = 0;
      for (int j = 0; j < cols; j++) {
        var += (x[r * cols + j] - mean) * (x[r * cols + j] - mean);
      }
      var /= cols;
      for (int j = 0; j < cols; j++) {
        out[r * cols + j] = (x[r * cols + j] - mean) / Math.sqrt(var + 1e-5) * w[j] + bias[j];
      }
    }
    return out;
  }

  /** x (rows,in) · wᵀ (in,out) + bias; bias may be null. */
  static double[] linear(double[] x, double[] w, double[] bias, int rows, int in, int out) {
    double[] y = new double[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double s = bias == null ? 0 : bias[o];
        for (int i = 0; i < in; i++) {
          s += x[r * in + i] * w[o * in + i];
        }
        y[r * out + o] = s;
      }
    }
    return y;
  }

  static double[] activation(Activation f, double[] x) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double v = x[i];
      y[i] =
          switch (f) {
            case GELU ->
                0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            case RELU -> v > 0 ? v : 0;
            case TANH -> Math.tanh(v);
            case NONE -> v;
          };
    }
    return y;
  }

  static double[] residual(double[] a, double[] b) {
    double[] y = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      y[i] = a[i] + b[i];
    }
    return y;
  }

  /** Causal self-attention over qkv (B,T,3C), NH heads; returns out (B,T,C). */
  static double[] attention(double[] qkv, int b, int t, int c, int nh) {
    int hs = c / nh;
    double[] out = new double[b * t * c];
    double[] weights = new double[t];
    for (int bi = 0; bi < b; bi++) {
      for (int h = 0; h < nh; h++) {
        for (int q = 0; q < t; q++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int k = 0; k <= q; k++) {
            double dot = 0;
            for (int i = 0; i < hs; i++) {
              dot +=
                  qkv[(bi * t + q) * 3 * c + h * hs + i]
                      * qkv[(bi * t + k) * 3 * c + c + h * hs + i];
            }
            weights[k] = dot / Math.sqrt(hs);
            max = Math.max(max, weights[k]);
          }
          double sum = 0;
          for (int k = 0; k <= q; k++) {
            weights[k] = Math.exp(weights[k] - max);
            sum += weights[k];
          }
          for (int i = 0; i < hs; i++) {
            double s = 0;
            for (int k = 0; k <= q; k++) {
              s += weights[k] / sum * qkv[(bi * t + k) * 3 * c + 2 * c + h * hs + i];
            }
            out[(bi * t + q) * c + h * hs + i] = s;
          }
        }
      }
    }
    return out;
  }

  /** −log softmax(logits[r, 0..v))[target] per row; 0 for rows whose target is ignoreIndex. */
  static double[] crossEntropy(
      double[] logits, int[] targets, int rows, int v, int vp, int ignoreIndex) {
    double[] loss = new double[rows];
    for (int r = 0; r < rows; r++) {
      if (targets[r] == ignoreIndex) {
        continue;
      }
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < v; j++) {
        max = Math.max(max, logits[r * vp + j]);
      }
      double sum = 0;
      for (int j = 0; j < v; j++) {
        sum += Math.exp(logits[r * vp + j] - max);
      }
      loss[r] = Math.log(sum) + max - logits[r * vp + targets[r]];
    }
    return loss;
  }

  static double[] mse(double[] pred, double[] target) {
    double[] loss = new double[pred.length];
    for (int i = 0; i < pred.length; i++) {
      loss[i] = (pred[i] - target[i]) * (pred[i] - target[i]);
    }
    return loss;
  }

  /** A scalar function of one input array, for finite differences. */
  @FunctionalInterface
  interface Scalar {
    double at(double[] x);
  }

  /** Σ weights·f(x): turns a layer into the scalar a finite difference needs. */
  static double dot(double[] weights, double[] y) {
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      s += weights[i] * y[i];
    }
    return s;
  }

  /** Central differences of f at x, step h, in float64; x is restored afterwards. */
  static double[] numericGradient(Scalar f, double[] x, double h) {
    double[] g = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double saved = x[i];
      x[i] = saved + h;
      double plus = f.at(x);
      x[i] = saved - h;
      double minus = f.at(x);
      x[i] = saved;
      g[i] = (plus - minus) / (2 * h);
    }
    return g;
  }
}
