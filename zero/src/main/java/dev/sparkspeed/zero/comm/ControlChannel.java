package dev.sparkspeed.zero.comm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The control connection to one neighbour: small framed messages next to the data stream.
 * Heartbeats tell a waiting neighbour that this rank is alive and inside a collective (so a stall
 * is blamed on the right rank); an abort notice carries the first failure around the ring, so every
 * rank names the rank that actually died or stalled; a goodbye, sent by a rank closing its
 * communicator, tells how many collectives it completed, so a neighbour still finishing the last of
 * them takes the closing connections as orderly. Frames: type (1 byte), payload length (2 bytes),
 * payload. Non-blocking; used only by the communication thread.
 */
final class ControlChannel {
  private static final byte HEARTBEAT = 1;
  private static final byte ABORT = 2;
  private static final byte GOODBYE = 3;
  private static final int MAX_MESSAGE_CHARS = 600;

  final RingPeer peer;
  final SocketChannel channel;
  SelectionKey key;
  private final ByteBuffer in = ByteBuffer.allocate(8192);
  private final ByteBuffer out = ByteBuffer.allocate(8192);
  private long lastHeard;
  private boolean closed;
  private String abortMessage;
  private long peerCompleted = -1;

  ControlChannel(RingPeer peer, SocketChannel channel, long now) {
    this.peer = peer;
    this.channel = channel;
    this.lastHeard = now;
  }

  /** Reads and handles whatever frames have arrived; a closed or reset connection sets closed. */
  void poll(long now) {
    if (closed) {
      return;
    }
    try {
      int n;
      while ((n = channel.read(in)) > 0) {
        parse(now);
      }
      if (n < 0) {
        closed = true;
      }
    } catch (IOException e) {
      closed = true;
    }
  }

  private void parse(long now) {
    in.flip();
    while (in.remaining() >= 3) {
      int start = in.position();
      byte type = in.get();
      int length = in.getShort() & 0xffff;
      if (in.remaining() < length) {
        in.position(start);
        break;
      }
      byte[] payload = new byte[length];
      in.get(payload);
      if (type == ABORT && abortMessage == null) {
        abortMessage = new String(payload, StandardCharsets.UTF_8);
      } else if (type == GOODBYE && length == 8) {
        peerCompleted = ByteBuffer.wrap(payload).getLong();
      }
      lastHeard = now;
    }
    in.compact();
  }

  /**
   * Queues a heartbeat unless earlier frames are still unsent (the peer is not reading) or the peer
   * said goodbye: it no longer reads, and bytes sent to its closed socket only draw a reset.
   */
  void queueHeartbeat(long opSeq) {
    if (!closed && peerCompleted < 0 && out.position() == 0) {
      out.put(HEARTBEAT).putShort((short) 8).putLong(opSeq);
    }
  }

  /** Queues an abort notice carrying the first failure's message. */
  void queueAbort(String message) {
    String text =
        message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) : message;
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (!closed && out.remaining() >= 3 + bytes.length) {
      out.put(ABORT).putShort((short) bytes.length).put(bytes);
    }
  }

  /**
   * Queues this rank's goodbye: it closes its communicator after completing the collectives with
   * sequence numbers below {@code completed}.
   */
  void queueGoodbye(long completed) {
    if (!closed && out.remaining() >= 11) {
      out.put(GOODBYE).putShort((short) 8).putLong(completed);
    }
  }

  /** Writes queued frames as far as the socket takes them without blocking. */
  void flush() {
    if (closed || out.position() == 0) {
      return;
    }
    out.flip();
    try {
      channel.write(out);
    } catch (IOException e) {
      closed = true;
    } finally {
      out.compact();
    }
  }

  /**
   * Writes both channels' queued frames, waiting up to {@code nanos} for neighbours that read
   * slowly: used just before closing, when nothing else will flush them.
   */
  static void flushBoth(ControlChannel a, ControlChannel b, long nanos) {
    long until = System.nanoTime() + nanos;
    do {
      a.flush();
      b.flush();
    } while ((a.hasPendingOutput() || b.hasPendingOutput())
        && System.nanoTime() < until
        && pause());
  }

  private static boolean pause() {
    try {
      Thread.sleep(1);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  boolean hasPendingOutput() {
    return !closed && out.position() > 0;
  }

  /** The abort notice received from this neighbour, or null. */
  String abortMessage() {
    return abortMessage;
  }

  /** True once the neighbour said goodbye: it closed or is closing its communicator. */
  boolean saidGoodbye() {
    return peerCompleted >= 0;
  }

  /**
   * How many collectives the neighbour completed before it said goodbye (all sequence numbers below
   * this), or -1 before a goodbye.
   */
  long peerCompleted() {
    return peerCompleted;
  }

  /**
   * True when the neighbour said goodbye after completing collective {@code seq}: it has sent and
   * received all of that collective's data, so its closing connections cannot hurt it.
   */
  boolean completed(long seq) {
    return seq < peerCompleted;
  }

  /** True once the neighbour closed this connection. */
  boolean isClosed() {
    return closed;
  }

  /** True when the neighbour sent something within {@code windowNanos} and is still connected. */
  boolean heardWithin(long now, long windowNanos) {
    return !closed && now - lastHeard < windowNanos;
  }
}
