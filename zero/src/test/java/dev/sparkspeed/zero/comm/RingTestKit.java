package dev.sparkspeed.zero.comm;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/** Runs a ring of ranks as threads of this JVM on loopback, with a per-call time limit. */
final class RingTestKit implements AutoCloseable {
  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final long LIMIT_SECONDS = 60;

  final List<String> addresses;
  final List<TcpRingCommunicator> comms = new ArrayList<>();
  private final ExecutorService pool;

  /** One rank's work. */
  interface RankTask<T> {
    T run(int rank, TcpRingCommunicator comm) throws Exception;
  }

  private RingTestKit(int n, List<String> addresses) {
    this.addresses = addresses;
    AtomicInteger next = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            n,
            r -> {
              Thread t = new Thread(r, "test-rank-" + next.getAndIncrement());
              t.setDaemon(true);
              return t;
            });
  }

  static RingTestKit start(int n) {
    return start(n, Duration.ofSeconds(20), Duration.ofSeconds(20), 4096);
  }

  /** Binds every rank, exchanges the addresses and connects all ranks in parallel. */
  static RingTestKit start(int n, Duration connect, Duration op, int chunkBytes) {
    return start(n, connect, op, rank -> chunkBytes);
  }

  /** As above, with each rank's own chunk size. */
  static RingTestKit start(int n, Duration connect, Duration op, IntUnaryOperator chunkOfRank) {
    byte[] secret = Secrets.newJobSecret();
    List<RingEndpoint> endpoints = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      RingEndpoint e = RingEndpoint.bind(LOOPBACK);
      endpoints.add(e);
      addresses.add(e.address());
    }
    RingTestKit kit = new RingTestKit(n, addresses);
    List<TcpRingCommunicator> joined =
        kit.onAllRanks(
            (rank, none) ->
                TcpRingCommunicator.connect(
                    endpoints.get(rank),
                    new RingConfig(
                        rank, n, addresses, secret, connect, op, chunkOfRank.applyAsInt(rank))));
    kit.comms.addAll(joined);
    return kit;
  }

  /**
   * Runs {@code task} on every rank at once; returns results by rank, rethrows the first failure.
   */
  <T> List<T> onAllRanks(RankTask<T> task) {
    List<Future<T>> futures = new ArrayList<>();
    for (int r = 0; r < addresses.size(); r++) {
      int rank = r;
      TcpRingCommunicator comm = comms.isEmpty() ? null : comms.get(r);
      futures.add(pool.submit(() -> task.run(rank, comm)));
    }
    List<T> results = new ArrayList<>();
    try {
      for (Future<T> f : futures) {
        results.add(f.get(LIMIT_SECONDS, TimeUnit.SECONDS));
      }
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new AssertionError(c);
    } catch (TimeoutException | InterruptedException e) {
      throw new AssertionError("ranks did not finish within " + LIMIT_SECONDS + " s", e);
    }
    return results;
  }

  /** Runs {@code task} on every rank and returns what each threw (null where it returned). */
  List<Throwable> failuresOf(RankTask<?> task) {
    return onAllRanks(
        (rank, comm) -> {
          try {
            task.run(rank, comm);
            return null;
          } catch (Throwable t) {
            return t;
          }
        });
  }

  @Override
  public void close() {
    for (TcpRingCommunicator c : comms) {
      c.close();
    }
    pool.shutdownNow();
  }
}
