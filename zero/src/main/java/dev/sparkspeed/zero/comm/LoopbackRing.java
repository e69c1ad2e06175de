package dev.sparkspeed.zero.comm;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * N ring ranks as threads of this JVM on 127.0.0.1, for benchmarks and tests: binds every endpoint,
 * shares the addresses and a fresh job secret, and connects all ranks concurrently.
 */
public final class LoopbackRing {
  private LoopbackRing() {}

  /** Connected communicators for ranks 0..n−1 (the caller closes them). */
  public static List<Communicator> open(int n) {
    byte[] secret = Secrets.newJobSecret();
    InetAddress lo = InetAddress.getLoopbackAddress();
    List<RingEndpoint> eps = new ArrayList<>();
    List<String> addrs = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      RingEndpoint e = RingEndpoint.bind(lo);
      eps.add(e);
      addrs.add(e.address());
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(n, t -> new Thread(t, "loopback-ring-connect"));
    try {
      List<Future<TcpRingCommunicator>> fs = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        RingConfig cfg = RingConfig.of(r, n, addrs, secret);
        RingEndpoint e = eps.get(r);
        fs.add(pool.submit(() -> TcpRingCommunicator.connect(e, cfg)));
      }
      List<Communicator> out = new ArrayList<>();
      for (Future<TcpRingCommunicator> f : fs) {
        out.add(f.get());
      }
      return out;
    } catch (Exception e) {
      throw new CommException("cannot open a loopback ring of " + n + " ranks: " + e, e);
    } finally {
      pool.shutdownNow();
    }
  }
}
