package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * Reference causal self-attention: for each batch row, query position and head, a loop over the
 * keys at or before it (llm.c's {@code attention_forward}/{@code attention_backward}). Masked
 * entries (key after query) of preatt, att and dpreatt hold 0; masked entries of datt are 0 too.
 */
final class ReferenceAttention {
  private ReferenceAttention() {}

  static void forward(
      Tensor out, Tensor preatt, Tensor att, Tensor qkv, int b, int t, int c, int nh) {
    CpuAttention.checkHeads(c, nh);
    int hs = c / nh;
    int c3 = 3 * c;
    FloatBuffer o = Operands.f32(out, (long) b * t * c, "attention out");
    FloatBuffer pre = Operands.f32(preatt, (long) b * nh * t * t, "attention preatt");
    FloatBuffer a = Operands.f32(att, (long) b * nh * t * t, "attention att");
    FloatBuffer x = Operands.f32(qkv, (long) b * t * c3, "attention qkv");
    double scale = 1.0 / Math.sqrt(hs);
    for (int bi = 0; bi < b; bi++) {
      for (int ti = 0; ti < t; ti++) {
        for (int h = 0; h < nh; h++) {
          int q0 = (bi * t + ti) * c3 + h * hs;
          int row = ((bi * nh + h) * t + ti) * t;
          float max = Float.NEGATIVE_INFINITY;
          for (int t2 = 0; t2 <= ti; t2++) {
            int k0 = (bi * t + t2) * c3 + h * hs + c;
            double dot = 0;
            for (int i = 0; i < hs; i++) {
              dot += (double) x.get(q0 + i) * x.get(k0 + i);
            }
            float score = (float) (dot * scale);
            pre.put(row + t2, score);
            max = Math.max(max, score);
          }
          double sum = 0;
          for (int t2 = 0; t2 <= ti; t2++) {
            sum += Math.exp(pre.get(row + t2) - max);
          }
          for (int t2 = 0; t2 < t; t2++) {
            boolean visible = t2 <= ti;
            a.put(row + t2, visible ? (float) (Math.exp(pre.get(row + t2) - max) / sum) : 0f);
            if (!visible) {
              pre.put(row + t2, 0f);
            }
          }
          int o0 = (bi * t + ti) * c + h * hs;
          for (int i = 0; i < hs; i++) {
            double sumV = 0;
            for (int t2 = 0; t2 <= ti; t2++) {
              int v0 = (bi * t + t2) * c3 + h * hs + 2 * c;
              sumV += (double) a.get(row + t2) * x.get(v0 + i);
            }
            o.put(o0 + i, (float) sumV);
          }
        }
      }
    }
  }

  static void backward(
      Tensor dqkv,
      Tensor dpreatt,
      Tensor datt,
      Tensor dout,
      Tensor qkv,
      Tensor att,
      int b,
      int t,
      int c,
      int nh) {
    CpuAttention.checkHeads(c, nh);
    int hs = c / nh;
    int c3 = 3 * c;
    FloatBuffer dx = Operands.f32(dqkv, (long) b * t * c3, "attention dqkv");
    FloatBuffer dpre = Operands.f32(dpreatt, (long) b * nh * t * t, "attention dpreatt");
    FloatBuffer da = Operands.f32(datt, (long) b * nh * t * t, "attention datt");
    FloatBuffer g = Operands.f32(dout, (long) b * t * c, "attention dout");
    FloatBuffer x = Operands.f32(qkv, (long) b * t * c3, "attention qkv");
    FloatBuffer a = Operands.f32(att, (long) b * nh * t * t, "attention att");
    double scale = 1.0 / Math.sqrt(hs);
    for (int bi = 0; bi < b; bi++) {
      for (int ti = 0; ti < t; ti++) {
        for (int h = 0; h < nh; h++) {
          int q0 = (bi * t + ti) * c3 + h * hs;
          int g0 = (bi * t + ti) * c + h * hs;
          int row = ((bi * nh + h) * t + ti) * t;
          // Through out = att · V: gradients of att (datt) and of V.
          for (int t2 = 0; t2 < t; t2++) {
            if (t2 > ti) {
              da.put(row + t2, 0f);
              continue;
            }
            int v0 = (bi * t + t2) * c3 + h * hs + 2 * c;
            double dot = 0;
            for (int i = 0; i < hs; i++) {
              dot += (double) x.get(v0 + i) * g.get(g0 + i);
              dx.put(v0 + i, dx.get(v0 + i) + a.get(row + t2) * g.get(g0 + i));
            }
            da.put(row + t2, (float) dot);
          }
          // Through the softmax: dpre = att ⊙ (datt − Σ att·datt).
          double weighted = 0;
          for (int t2 = 0; t2 <= ti; t2++) {
            weighted += (double) a.get(row + t2) * da.get(row + t2);
          }
          for (int t2 = 0; t2 < t; t2++) {
            double d = t2 <= ti ? a.get(row + t2) * (da.get(row + t2) - weighted) : 0.0;
            dpre.put(row + t2, (float) d);
          }
          // Through preatt = scale · q·k: gradients of q and of each visible k.
          for (int t2 = 0; t2 <= ti; t2++) {
            int k0 = (bi * t + t2) * c3 + h * hs + c;
            double s = dpre.get(row + t2) * scale;
            for (int i = 0; i < hs; i++) {
              dx.put(q0 + i, (float) (dx.get(q0 + i) + s * x.get(k0 + i)));
              dx.put(k0 + i, (float) (dx.get(k0 + i) + s * x.get(q0 + i)));
            }
          }
        }
      }
    }
  }
}
