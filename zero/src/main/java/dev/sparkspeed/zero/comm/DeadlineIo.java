package dev.sparkspeed.zero.comm;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * Setup-time socket operations that give up at a deadline (System.nanoTime), on non-blocking
 * channels: NIO's blocking reads ignore socket timeouts, and setup must never hang.
 */
final class DeadlineIo {
  private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private DeadlineIo() {}

  /** Connects, retrying refused connections (the peer may not listen yet) until the deadline. */
  static SocketChannel connect(InetSocketAddress address, long deadline) throws IOException {
    IOException last = null;
    while (System.nanoTime() < deadline) {
      SocketChannel ch = SocketChannel.open();
      try {
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        if (!ch.connect(address)) {
          await(ch, SelectionKey.OP_CONNECT, deadline, "connecting to " + address);
          ch.finishConnect();
        }
        return ch;
      } catch (ConnectException e) {
        last = e;
        ch.close();
        sleepUntil(Math.min(deadline, System.nanoTime() + RETRY_NANOS));
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
    }
    SocketTimeoutException e = new SocketTimeoutException("no connection to " + address);
    if (last != null) {
      e.initCause(last);
    }
    throw e;
  }

  /** Accepts one connection, or returns null once {@code until} has passed. */
  static SocketChannel acceptBefore(ServerSocketChannel server, long until) throws IOException {
    server.configureBlocking(false);
    while (true) {
      SocketChannel ch = server.accept();
      if (ch != null) {
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return ch;
      }
      if (System.nanoTime() >= until) {
        return null;
      }
      try {
        await(server, SelectionKey.OP_ACCEPT, until, "waiting for a connection");
      } catch (SocketTimeoutException e) {
        return null;
      }
    }
  }

  /** Fills {@code buf} from the channel; EOF before it is full is an {@link EOFException}. */
  static void readFully(SocketChannel ch, ByteBuffer buf, long deadline, String what)
      throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf);
      if (n < 0) {
        throw new EOFException("connection closed while " + what);
      }
      if (n == 0) {
        await(ch, SelectionKey.OP_READ, deadline, what);
      }
    }
  }

  /** Writes all of {@code buf}. */
  static void writeFully(SocketChannel ch, ByteBuffer buf, long deadline, String what)
      throws IOException {
    while (buf.hasRemaining()) {
      if (ch.write(buf) == 0) {
        await(ch, SelectionKey.OP_WRITE, deadline, what);
      }
    }
  }

  private static void await(SelectableChannel ch, int ops, long deadline, String what)
      throws IOException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("interrupted while " + what);
    }
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new SocketTimeoutException("timed out " + what);
    }
    try (Selector selector = Selector.open()) {
      ch.register(selector, ops);
      if (selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))) == 0
          && System.nanoTime() >= deadline) {
        throw new SocketTimeoutException("timed out " + what);
      }
    }
  }

  private static void sleepUntil(long deadline) throws IOException {
    long left = deadline - System.nanoTime();
    if (left > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting to retry a connection", e);
      }
    }
  }
}
