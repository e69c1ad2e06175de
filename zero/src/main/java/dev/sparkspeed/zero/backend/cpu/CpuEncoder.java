package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/** Token plus position embedding, forward and backward. */
final class CpuEncoder {
  private final CpuThreads threads;

  CpuEncoder(CpuThreads threads) {
    this.threads = threads;
  }

  void forward(Tensor out, Tensor tokens, Tensor wte, Tensor wpe, int b, int t, int c) {
    int rows = b * t;
    FloatBuffer o = Operands.f32(out, (long) rows * c, "encoder out");
    IntBuffer tok = Operands.i32(tokens, rows, "encoder tokens");
    FloatBuffer te = Operands.f32(wte, c, "encoder wte");
    FloatBuffer pe = Operands.f32(wpe, (long) t * c, "encoder wpe");
    checkTokens(tok, rows, wte, c);
    threads.forRange(
        rows,
        16,
        (lo, hi) -> {
          for (int r = lo; r < hi; r++) {
            int te0 = tok.get(r) * c;
            int pe0 = (r % t) * c;
            int o0 = r * c;
            for (int j = 0; j < c; j++) {
              o.put(o0 + j, te.get(te0 + j) + pe.get(pe0 + j));
            }
          }
        });
  }

  void backward(Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens, int b, int t, int c) {
    int rows = b * t;
    FloatBuffer dte = Operands.f32(dwte, c, "encoder dwte");
    FloatBuffer dpe = Operands.f32(dwpe, (long) t * c, "encoder dwpe");
    FloatBuffer g = Operands.f32(dout, (long) rows * c, "encoder dout");
    IntBuffer tok = Operands.i32(tokens, rows, "encoder tokens");
    checkTokens(tok, rows, dwte, c);
    // Split by columns: two rows with the same token then never race on one dwte row.
    threads.forRange(
        c,
        64,
        (lo, hi) -> {
          for (int r = 0; r < rows; r++) {
            int te0 = tok.get(r) * c;
            int pe0 = (r % t) * c;
            int g0 = r * c;
            for (int j = lo; j < hi; j++) {
              float v = g.get(g0 + j);
              dte.put(te0 + j, dte.get(te0 + j) + v);
              dpe.put(pe0 + j, dpe.get(pe0 + j) + v);
            }
          }
        });
  }

  /** Fails on a token outside the embedding table (wte holds vocab·c values). */
  static void checkTokens(IntBuffer tok, int rows, Tensor wte, int c) {
    long vocab = wte.size() / c;
    for (int r = 0; r < rows; r++) {
      int id = tok.get(r);
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException(
            "token " + id + " at position " + r + " is outside the vocabulary of " + vocab);
      }
    }
  }
}
