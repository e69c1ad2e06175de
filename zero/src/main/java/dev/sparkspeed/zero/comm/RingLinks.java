package dev.sparkspeed.zero.comm;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The four authenticated connections a rank holds in a ring of two or more: data to the right
 * neighbour and from the left one (each one-way), and a control connection to each neighbour that
 * carries heartbeats and abort notices in both directions, so a failure can travel around the ring
 * either way while the data streams are mid-transfer.
 */
final class RingLinks implements AutoCloseable {
  final RingPeer left;
  final RingPeer right;
  final SocketChannel dataOut;
  final SocketChannel dataIn;
  final SocketChannel controlRight;
  final SocketChannel controlLeft;

  private RingLinks(
      RingPeer left,
      RingPeer right,
      SocketChannel dataOut,
      SocketChannel dataIn,
      SocketChannel controlRight,
      SocketChannel controlLeft) {
    this.left = left;
    this.right = right;
    this.dataOut = dataOut;
    this.dataIn = dataIn;
    this.controlRight = controlRight;
    this.controlLeft = controlLeft;
  }

  /**
   * Connects to the right neighbour and accepts from the left one at the same time, within the
   * config's connect timeout. Closes the endpoint when done, successful or not.
   */
  static RingLinks establish(RingEndpoint endpoint, RingConfig cfg) {
    int rank = cfg.rank();
    RingPeer left = new RingPeer(cfg.leftRank(), cfg.addresses().get(cfg.leftRank()));
    RingPeer right = new RingPeer(cfg.rightRank(), cfg.addresses().get(cfg.rightRank()));
    long deadline = System.nanoTime() + cfg.connectTimeout().toNanos();
    byte[] secret = cfg.secret();
    FutureTask<SocketChannel[]> accepting =
        new FutureTask<>(() -> RingAcceptor.acceptFromLeft(endpoint, cfg, left, secret, deadline));
    Thread acceptor = new Thread(accepting, "sparkspeed-ring-accept-rank" + rank);
    acceptor.setDaemon(true);
    acceptor.start();
    SocketChannel dataOut = null;
    SocketChannel controlRight = null;
    try {
      dataOut = connectRight(cfg, right, RingHandshake.KIND_DATA, secret, deadline);
      controlRight = connectRight(cfg, right, RingHandshake.KIND_CONTROL, secret, deadline);
      SocketChannel[] fromLeft = awaitAccepted(accepting, cfg, left, deadline);
      return new RingLinks(left, right, dataOut, fromLeft[0], controlRight, fromLeft[1]);
    } catch (RuntimeException | Error e) {
      acceptor.interrupt();
      closeQuietly(dataOut);
      closeQuietly(controlRight);
      if (!accepting.cancel(true)) {
        closeAccepted(accepting);
      }
      throw e;
    } finally {
      endpoint.close();
    }
  }

  private static void closeAccepted(FutureTask<SocketChannel[]> accepting) {
    try {
      for (SocketChannel ch : accepting.get()) {
        closeQuietly(ch);
      }
    } catch (ExecutionException e) {
      // Accepting failed, so it kept nothing open.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static SocketChannel connectRight(
      RingConfig cfg, RingPeer right, byte kind, byte[] secret, long deadline) {
    SocketChannel ch = null;
    try {
      ch = DeadlineIo.connect(HostPort.parse(right.address()).resolve(), deadline);
      RingHandshake.connect(ch, kind, cfg.rank(), right, cfg.worldSize(), secret, deadline);
      return ch;
    } catch (IOException e) {
      closeQuietly(ch);
      throw new CommException(
          "rank "
              + cfg.rank()
              + ": cannot connect to right neighbour "
              + right
              + " within connectTimeout "
              + cfg.connectTimeout().toMillis()
              + " ms ("
              + e
              + "); check that it started and that this host can reach that address",
          e);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private static SocketChannel[] awaitAccepted(
      FutureTask<SocketChannel[]> accepting, RingConfig cfg, RingPeer left, long deadline) {
    try {
      // The acceptor gives up at the deadline itself; the extra second only covers its wake-up.
      long wait = deadline - System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      return accepting.get(Math.max(wait, 0), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof CommException ce) {
        throw ce;
      }
      throw new CommException(
          "rank " + cfg.rank() + ": accepting from left neighbour " + left + " failed: " + cause,
          cause);
    } catch (TimeoutException e) {
      throw noConnectionFromLeft(cfg, left, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommException("rank " + cfg.rank() + ": interrupted while joining the ring", e);
    }
  }

  static CommException noConnectionFromLeft(RingConfig cfg, RingPeer left, Exception cause) {
    return new CommException(
        "rank "
            + cfg.rank()
            + ": no authenticated connection from left neighbour "
            + left
            + " within connectTimeout "
            + cfg.connectTimeout().toMillis()
            + " ms; check that it started, can reach this rank's address and uses this job's"
            + " secret",
        cause);
  }

  static void closeQuietly(SocketChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        // The peer may already be gone; closing releases our side regardless.
      }
    }
  }

  @Override
  public void close() {
    closeQuietly(dataOut);
    closeQuietly(dataIn);
    closeQuietly(controlRight);
    closeQuietly(controlLeft);
  }
}
