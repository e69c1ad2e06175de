package dev.sparkspeed.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.FlatWeightSource;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.model.LlmcCheckpoint;
import dev.sparkspeed.zero.model.ParamSpec;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPT-2's next-token probabilities from the Java model against an independent NumPy forward pass
 * (python/gpt2_numpy.py) that reads the same weights from an llm.c model file written by {@link
 * LlmcCheckpoint}. Skipped where no Python with NumPy is found (bin/setup-test-env installs one).
 */
class LlmcNumpyCrossCheckTest {
  static final Gpt2Config CFG = new Gpt2Config(2, 2, 16, 50, 16, 64);
  static final int T = 12;

  @TempDir Path dir;

  static String python() {
    String venv = System.getenv("SPARKSPEED_VENV");
    if (venv != null && Files.isExecutable(Path.of(venv, "bin", "python"))) {
      return Path.of(venv, "bin", "python").toString();
    }
    return "python3";
  }

  static int exec(Path log, String... cmd) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  /** Weights large enough that the probabilities are far from uniform. */
  static void randomWeights(Tensor host, Gpt2Model model) {
    SplittableRandom r = new SplittableRandom(17);
    for (ParamSpec p : model.table().params()) {
      boolean norm = p.name().contains("ln_");
      for (int i = 0; i < p.size(); i++) {
        double x =
            norm && p.name().endsWith("weight")
                ? 1 + 0.2 * r.nextGaussian()
                : 0.3 * r.nextGaussian();
        host.floats().put((int) p.offset() + i, (float) x);
      }
    }
  }

  @Test
  void probabilitiesMatchNumpy() throws Exception {
    String py = python();
    Path log = dir.resolve("python.log");
    assumeTrue(exec(log, py, "-c", "import numpy") == 0, "no Python with NumPy: " + py);
    try (CpuBackend be = new CpuBackend();
        Allocator host = new Allocator("test");
        Gpt2Model model = new Gpt2Model(CFG, be, 1, T)) {
      long psi = model.table().totalElements();
      Tensor params = Tensor.whole(host.allocate("params", DType.FP32, psi));
      randomWeights(params, model);
      Path bin = dir.resolve("model.bin");
      LlmcCheckpoint.write(bin, CFG, params);
      Tensor in = Tensor.whole(host.allocate("in", DType.INT32, T));
      Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, T));
      ByteBuffer tokens = ByteBuffer.allocate(4 * T).order(ByteOrder.LITTLE_ENDIAN);
      SplittableRandom r = new SplittableRandom(3);
      for (int i = 0; i < T; i++) {
        int id = r.nextInt(CFG.vocabSize());
        in.ints().put(i, id);
        tg.ints().put(i, (id + 1) % CFG.vocabSize());
        tokens.putInt(id);
      }
      Path tok = Files.write(dir.resolve("tokens.bin"), tokens.array());
      Path out = dir.resolve("probs.bin");
      int rc =
          exec(log, py, "python/gpt2_numpy.py", bin.toString(), tok.toString(), out.toString());
      assertEquals(0, rc, "gpt2_numpy.py failed: " + Files.readString(log));
      ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
      assertEquals(4L * T * CFG.vocabSize(), ref.capacity(), "reference probabilities (T, V)");

      Tensor dev = be.allocate("params", DType.FP32, Math.toIntExact(psi));
      be.upload(dev, params);
      model.forward(new FlatWeightSource(dev, null), new Batch(in, tg));
      int vp = CFG.paddedVocabSize();
      Tensor probs = Tensor.whole(host.allocate("probs", DType.FP32, (long) T * vp));
      be.download(probs, model.probs());
      double maxDiff = 0;
      double maxProb = 0;
      for (int t = 0; t < T; t++) {
        for (int v = 0; v < CFG.vocabSize(); v++) {
          float want = ref.getFloat(4 * (t * CFG.vocabSize() + v));
          maxDiff = Math.max(maxDiff, Math.abs(probs.floats().get(t * vp + v) - want));
          maxProb = Math.max(maxProb, want);
        }
      }
      assertTrue(maxProb > 0.2, "weights should make some prediction confident: " + maxProb);
      assertTrue(maxDiff < 2e-5, "max |p_java − p_numpy| = " + maxDiff);
      be.free(dev);
      for (Tensor t : new Tensor[] {params, in, tg, probs}) {
        t.storage().close();
      }
    }
  }
}
