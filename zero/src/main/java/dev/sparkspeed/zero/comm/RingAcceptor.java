package dev.sparkspeed.zero.comm;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts the left neighbour's data and control connections. Each incoming connection is
 * authenticated on its own short-lived thread, so a silent or slow stranger on the port cannot hold
 * up the real neighbour; whatever fails authentication is logged and closed.
 */
final class RingAcceptor {
  private static final Logger log = LoggerFactory.getLogger(RingAcceptor.class);
  private static final int MAX_PENDING = 16;
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long HANDSHAKE_NANOS = TimeUnit.SECONDS.toNanos(10);

  private RingAcceptor() {}

  private record Authenticated(SocketChannel channel, byte kind) {}

  /** Returns the left neighbour's connections indexed by kind (data, control). */
  static SocketChannel[] acceptFromLeft(
      RingEndpoint endpoint, RingConfig cfg, RingPeer left, byte[] secret, long deadline) {
    int rank = cfg.rank();
    BlockingQueue<Authenticated> done = new LinkedBlockingQueue<>();
    AtomicInteger pending = new AtomicInteger();
    AtomicInteger threads = new AtomicInteger();
    ExecutorService handshakes =
        Executors.newCachedThreadPool(
            r -> {
              Thread t =
                  new Thread(
                      r, "sparkspeed-ring-handshake-rank" + rank + "-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    SocketChannel[] byKind = new SocketChannel[2];
    try {
      while (true) {
        for (Authenticated a; (a = done.poll()) != null; ) {
          if (byKind[a.kind()] != null) {
            log.warn("rank {}: refused a duplicate ring connection claiming {}", rank, left);
            RingLinks.closeQuietly(a.channel());
          } else {
            byKind[a.kind()] = a.channel();
          }
        }
        if (byKind[0] != null && byKind[1] != null) {
          return byKind;
        }
        long now = System.nanoTime();
        if (now >= deadline) {
          throw RingLinks.noConnectionFromLeft(cfg, left, null);
        }
        SocketChannel ch;
        try {
          ch = DeadlineIo.acceptBefore(endpoint.channel(), Math.min(deadline, now + POLL_NANOS));
        } catch (IOException e) {
          throw RingLinks.noConnectionFromLeft(cfg, left, e);
        }
        if (ch == null) {
          continue;
        }
        if (pending.get() >= MAX_PENDING) {
          log.warn(
              "rank {}: refused a ring connection from {}: too many handshakes", rank, remote(ch));
          RingLinks.closeQuietly(ch);
          continue;
        }
        pending.incrementAndGet();
        long handshakeDeadline = Math.min(deadline, now + HANDSHAKE_NANOS);
        handshakes.execute(
            () -> {
              try {
                Authenticated a = authenticate(ch, cfg, left, secret, handshakeDeadline);
                if (a != null) {
                  done.add(a);
                }
              } finally {
                pending.decrementAndGet();
              }
            });
      }
    } catch (RuntimeException e) {
      RingLinks.closeQuietly(byKind[0]);
      RingLinks.closeQuietly(byKind[1]);
      throw e;
    } finally {
      handshakes.shutdownNow();
      try {
        handshakes.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      for (Authenticated a; (a = done.poll()) != null; ) {
        RingLinks.closeQuietly(a.channel());
      }
    }
  }

  /** Authenticates one connection; returns null (after logging and closing it) when refused. */
  private static Authenticated authenticate(
      SocketChannel ch, RingConfig cfg, RingPeer left, byte[] secret, long deadline) {
    SocketAddress from = remote(ch);
    try {
      RingHandshake.Accepted a =
          RingHandshake.accept(ch, cfg.rank(), left.rank(), cfg.worldSize(), secret, deadline);
      return new Authenticated(ch, a.kind());
    } catch (RingHandshake.RefusedException e) {
      log.warn("rank {}: refused a ring connection from {}: {}", cfg.rank(), from, e.getMessage());
    } catch (IOException e) {
      log.warn(
          "rank {}: dropped a ring connection from {} during the handshake: {}",
          cfg.rank(),
          from,
          e.toString());
    }
    RingLinks.closeQuietly(ch);
    return null;
  }

  private static SocketAddress remote(SocketChannel ch) {
    try {
      return ch.getRemoteAddress();
    } catch (IOException e) {
      return null;
    }
  }
}
