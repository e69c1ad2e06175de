package dev.sparkspeed.zero.train;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.FlatWeightSource;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.IntBuffer;
import java.util.SplittableRandom;

/**
 * Generates tokens from a GPT-2 model's full FP32 parameters by repeated forward passes over a (1,
 * T) window; causal attention makes the padding after the prompt irrelevant.
 */
public final class Sampler {
  private Sampler() {}

  /**
   * @param params host FP32 parameters (Ψ)
   * @param prompt token ids to start from (at least one)
   * @param count tokens to generate
   * @param temperature softmax temperature; the probabilities are reweighted as p^(1/temperature)
   * @param window context length, at most block_size (use the training sequence length)
   */
  public static int[] generate(
      Gpt2Config cfg,
      Backend be,
      Tensor params,
      int[] prompt,
      int count,
      double temperature,
      long seed,
      int window) {
    int t = Math.min(window, cfg.blockSize());
    SplittableRandom r = new SplittableRandom(seed);
    int[] out = new int[count];
    int[] ctx = new int[prompt.length + count];
    System.arraycopy(prompt, 0, ctx, 0, prompt.length);
    int len = prompt.length;
    try (Allocator host = new Allocator("sampler");
        Gpt2Model model = new Gpt2Model(cfg, be, 1, t)) {
      Tensor in = Tensor.whole(host.allocate("in", DType.INT32, t));
      Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, t));
      Tensor devParams = be.allocate("sample_params", DType.FP32, Math.toIntExact(params.size()));
      Tensor probs =
          Tensor.whole(host.allocate("probs", DType.FP32, (long) t * cfg.paddedVocabSize()));
      try {
        be.upload(devParams, params);
        FlatWeightSource ws = new FlatWeightSource(devParams, null);
        for (int i = 0; i < count; i++) {
          int start = Math.max(0, len - t);
          int n = len - start;
          IntBuffer ib = in.ints();
          for (int j = 0; j < t; j++) {
            ib.put(j, j < n ? ctx[start + j] : 0);
          }
          model.forward(ws, new Batch(in, tg));
          be.download(probs, model.probs());
          int next =
              sample(probs, (n - 1) * cfg.paddedVocabSize(), cfg.vocabSize(), temperature, r);
          ctx[len++] = next;
          out[i] = next;
        }
      } finally {
        be.free(devParams);
        in.storage().close();
        tg.storage().close();
        probs.storage().close();
      }
    }
    return out;
  }

  private static int sample(Tensor probs, int base, int v, double temperature, SplittableRandom r) {
    double[] w = new double[v];
    double sum = 0;
    for (int k = 0; k < v; k++) {
      w[k] = Math.pow(probs.floats().get(base + k), 1.0 / temperature);
      sum += w[k];
    }
    double u = r.nextDouble() * sum;
    for (int k = 0; k < v; k++) {
      u -= w[k];
      if (u <= 0) {
        return k;
      }
    }
    return v - 1;
  }
}
