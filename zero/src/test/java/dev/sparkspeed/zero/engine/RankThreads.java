package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.comm.LoopbackRing;
import dev.sparkspeed.zero.comm.SingleRankCommunicator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one body per data-parallel rank, each on its own thread with its own CPU backend, over the
 * loopback ring (or a single-rank communicator for world 1), and returns the bodies' results in
 * rank order. Each backend is closed after its body, so leaked tensors fail the run.
 */
final class RankThreads {
  /** One rank's work. */
  interface Body<T> {
    T run(CpuBackend backend, Communicator comm) throws Exception;
  }

  private RankThreads() {}

  static <T> List<T> run(int world, Body<T> body) throws Exception {
    if (world == 1) {
      try (CpuBackend be = new CpuBackend();
          Communicator c = new SingleRankCommunicator(be)) {
        return List.of(body.run(be, c));
      }
    }
    List<Communicator> comms = LoopbackRing.open(world);
    ExecutorService pool = Executors.newFixedThreadPool(world, r -> new Thread(r, "test-rank"));
    try {
      List<Future<T>> fs = new ArrayList<>();
      for (Communicator c : comms) {
        fs.add(
            pool.submit(
                () -> {
                  try (CpuBackend be = new CpuBackend()) {
                    return body.run(be, c);
                  }
                }));
      }
      List<T> out = new ArrayList<>();
      for (Future<T> f : fs) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
      comms.forEach(Communicator::close);
    }
  }
}
