package dev.sparkspeed.trainer.rank;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/**
 * Ranks as threads of the test JVM, with a barrier and an all-gather that behave like Spark's: each
 * call waits for every rank's, and the all-gather returns all messages in rank order.
 */
final class ThreadRanks {
  private final int world;
  private final String[] messages;
  private final CyclicBarrier barrier;

  ThreadRanks(int world) {
    this.world = world;
    this.messages = new String[world];
    this.barrier = new CyclicBarrier(world);
  }

  String[] allGather(int rank, String message) {
    messages[rank] = message;
    await();
    return Arrays.copyOf(messages, world);
  }

  void await() {
    try {
      barrier.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
      throw new IllegalStateException("test barrier failed: " + e, e);
    }
  }

  /** A context for {@code rank} at stage attempt {@code attempt}, given {@code gpu}. */
  RankContext context(int rank, int attempt, int gpu) {
    return new RankContext() {
      @Override
      public int rank() {
        return rank;
      }

      @Override
      public int world() {
        return world;
      }

      @Override
      public int stageAttempt() {
        return attempt;
      }

      @Override
      public int cpus() {
        return 1;
      }

      @Override
      public int gpu() {
        return gpu;
      }

      @Override
      public String host() {
        return "127.0.0.1";
      }

      @Override
      public String[] allGather(String message) {
        return ThreadRanks.this.allGather(rank, message);
      }

      @Override
      public void barrier() {
        ThreadRanks.this.await();
      }

      @Override
      public void checkCancelled() {}
    };
  }

  /** Runs {@code body} for every rank on its own thread; the futures in rank order. */
  <T> List<Future<T>> run(IntFunction<T> body) {
    ExecutorService pool = Executors.newFixedThreadPool(world, r -> new Thread(r, "test-rank"));
    List<Future<T>> out = new ArrayList<>();
    for (int r = 0; r < world; r++) {
      int rank = r;
      out.add(pool.submit(() -> body.apply(rank)));
    }
    pool.shutdown();
    return out;
  }
}
