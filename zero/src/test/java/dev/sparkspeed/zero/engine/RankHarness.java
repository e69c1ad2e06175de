package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.comm.LoopbackRing;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Model;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;

/** Runs N data-parallel ranks as threads over the loopback ring and collects their results. */
final class RankHarness {
  /**
   * Builds rank r's micro-batch for step k (its slice of the global batch), on the given allocator.
   */
  interface BatchSource {
    Batch batch(Allocator host, int rank, int world, int step);
  }

  /** Final parameters of rank 0, the loss of every step, and each rank's model-state bytes. */
  record Result(float[] params, float[] losses, long[] stateBytes, boolean[] skipped) {}

  private RankHarness() {}

  static Result run(
      int world,
      int steps,
      TrainSettings s,
      BiFunction<Backend, Integer, Model> modelFactory,
      BatchSource data)
      throws Exception {
    List<Communicator> comms = LoopbackRing.open(world);
    ExecutorService pool = Executors.newFixedThreadPool(world, r -> new Thread(r, "test-rank"));
    try {
      List<Future<Result>> fs = new ArrayList<>();
      for (Communicator c : comms) {
        fs.add(pool.submit(() -> runRank(c, steps, s, modelFactory, data)));
      }
      Result r0 = null;
      long[] bytes = new long[world];
      for (int r = 0; r < world; r++) {
        Result res = fs.get(r).get();
        bytes[r] = res.stateBytes()[0];
        if (r == 0) {
          r0 = res;
        }
      }
      return new Result(r0.params(), r0.losses(), bytes, r0.skipped());
    } finally {
      pool.shutdownNow();
      comms.forEach(Communicator::close);
    }
  }

  private static Result runRank(
      Communicator comm,
      int steps,
      TrainSettings s,
      BiFunction<Backend, Integer, Model> modelFactory,
      BatchSource data) {
    float[] losses = new float[steps];
    boolean[] skipped = new boolean[steps];
    try (Allocator host = new Allocator("harness");
        CpuBackend be = new CpuBackend();
        Model model = modelFactory.apply(be, comm.worldSize());
        ZeroEngine engine = new ZeroEngine(model, be, comm, s)) {
      long bytes = engine.modelStateBytes();
      for (int k = 0; k < steps; k++) {
        List<Batch> micro = new ArrayList<>();
        for (int a = 0; a < s.gradAccumSteps(); a++) {
          micro.add(
              data.batch(
                  host,
                  comm.rank() * s.gradAccumSteps() + a,
                  comm.worldSize() * s.gradAccumSteps(),
                  k));
        }
        ZeroEngine.StepResult res = engine.step(micro);
        losses[k] = res.loss();
        skipped[k] = res.skipped();
        for (Batch b : micro) {
          b.inputs().storage().close();
          b.targets().storage().close();
        }
      }
      Tensor out = Tensor.whole(host.allocate("out", DType.FP32, model.table().totalElements()));
      engine.copyParamsTo(out);
      float[] p = new float[out.intSize()];
      out.floats().get(p);
      out.storage().close();
      return new Result(p, losses, new long[] {bytes}, skipped);
    }
  }

  /** max |a − b| / max |b|. */
  static double relDiff(float[] a, float[] b) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      num = Math.max(num, Math.abs(a[i] - b[i]));
      den = Math.max(den, Math.abs(b[i]));
    }
    return num / den;
  }
}
