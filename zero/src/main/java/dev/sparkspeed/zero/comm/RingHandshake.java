package dev.sparkspeed.zero.comm;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual challenge–response on every ring connection. Each side sends a fresh random nonce and
 * proves the job secret with HMAC-SHA256 over both nonces, the connection kind and both ranks; the
 * acceptor and the connector use different labels so a proof cannot be reflected. The secret itself
 * never travels.
 *
 * <pre>
 * connector → acceptor: magic, version, kind, byte order, from, to, world, nonceC   (52 bytes)
 * acceptor → connector: magic, status, nonceA, macA                                (69 bytes)
 * connector → acceptor: macC                                                       (32 bytes)
 * acceptor → connector: 1 (accepted)                                               (1 byte)
 * </pre>
 */
final class RingHandshake {
  static final int MAGIC = 0x53535247; // "SSRG"
  static final short VERSION = 1;
  static final byte KIND_DATA = 0;
  static final byte KIND_CONTROL = 1;

  private static final int NONCE = 32;
  private static final int MAC = 32;
  private static final int HELLO_BYTES = 4 + 2 + 1 + 1 + 4 + 4 + 4 + NONCE;
  private static final int REPLY_BYTES = 4 + 1 + NONCE + MAC;
  private static final byte OK = 0;
  private static final byte WRONG_RING = 1;
  private static final byte WRONG_BYTE_ORDER = 2;
  private static final byte WRONG_VERSION = 3;
  private static final byte[] CONNECTOR =
      "sparkspeed ring connector".getBytes(StandardCharsets.UTF_8);
  private static final byte[] ACCEPTOR =
      "sparkspeed ring acceptor".getBytes(StandardCharsets.UTF_8);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte LOCAL_ORDER =
      ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? (byte) 1 : 0;

  private RingHandshake() {}

  /** What the acceptor learned about an authenticated connection. */
  record Accepted(byte kind, int fromRank) {}

  /**
   * Authenticates an outgoing connection to {@code peer}.
   *
   * @throws CommException when the peer proves a different secret, refuses this rank's proof or
   *     expects another ring
   */
  static void connect(
      SocketChannel ch, byte kind, int from, RingPeer peer, int world, byte[] secret, long deadline)
      throws IOException {
    byte[] nonceC = nonce();
    ByteBuffer hello = ByteBuffer.allocate(HELLO_BYTES);
    hello.putInt(MAGIC).putShort(VERSION).put(kind).put(LOCAL_ORDER);
    hello.putInt(from).putInt(peer.rank()).putInt(world).put(nonceC).flip();
    DeadlineIo.writeFully(ch, hello, deadline, "sending the ring handshake to " + peer);

    ByteBuffer reply = ByteBuffer.allocate(REPLY_BYTES);
    try {
      DeadlineIo.readFully(ch, reply, deadline, "waiting for the handshake reply of " + peer);
    } catch (EOFException e) {
      throw new CommException(
          "rank "
              + from
              + ": "
              + peer
              + " closed the connection during the handshake; it may be"
              + " a different service listening on that address",
          e);
    }
    reply.flip();
    if (reply.getInt() != MAGIC) {
      throw new CommException(
          "rank "
              + from
              + ": "
              + peer
              + " is not a SparkSpeed ring endpoint (wrong handshake magic)");
    }
    byte status = reply.get();
    if (status != OK) {
      throw new CommException(
          "rank "
              + from
              + ": "
              + peer
              + " rejected the connection: "
              + reason(status, from, peer.rank(), world));
    }
    byte[] nonceA = new byte[NONCE];
    byte[] macA = new byte[MAC];
    reply.get(nonceA).get(macA);
    byte[] expected = mac(secret, ACCEPTOR, kind, from, peer.rank(), world, nonceC, nonceA);
    if (!MessageDigest.isEqual(expected, macA)) {
      throw new CommException(
          "rank "
              + from
              + ": authentication with "
              + peer
              + " failed: the peer does not hold"
              + " this job's secret (every rank must use the secret of the same job)");
    }
    ByteBuffer proof =
        ByteBuffer.wrap(mac(secret, CONNECTOR, kind, from, peer.rank(), world, nonceC, nonceA));
    DeadlineIo.writeFully(ch, proof, deadline, "sending the handshake proof to " + peer);
    ByteBuffer accepted = ByteBuffer.allocate(1);
    try {
      DeadlineIo.readFully(ch, accepted, deadline, "waiting for " + peer + " to accept");
    } catch (EOFException e) {
      throw new CommException(
          "rank "
              + from
              + ": "
              + peer
              + " refused this rank's authentication: the job secret"
              + " differs",
          e);
    }
  }

  /**
   * Authenticates an incoming connection that should come from rank {@code expectedFrom}.
   *
   * @return what was accepted
   * @throws RefusedException when the connection is not a ring peer of this job; the caller logs
   *     it, closes it and keeps accepting
   */
  static Accepted accept(
      SocketChannel ch, int self, int expectedFrom, int world, byte[] secret, long deadline)
      throws IOException, RefusedException {
    ByteBuffer hello = ByteBuffer.allocate(HELLO_BYTES);
    try {
      DeadlineIo.readFully(ch, hello, deadline, "reading a ring handshake");
    } catch (EOFException e) {
      throw new RefusedException("it closed before completing the ring handshake");
    }
    hello.flip();
    if (hello.getInt() != MAGIC) {
      throw new RefusedException("it does not speak the ring protocol (wrong magic)");
    }
    short version = hello.getShort();
    byte kind = hello.get();
    byte order = hello.get();
    int from = hello.getInt();
    int to = hello.getInt();
    int peerWorld = hello.getInt();
    byte[] nonceC = new byte[NONCE];
    hello.get(nonceC);
    byte status = OK;
    if (version != VERSION) {
      status = WRONG_VERSION;
    } else if (order != LOCAL_ORDER) {
      status = WRONG_BYTE_ORDER;
    } else if (from != expectedFrom
        || to != self
        || peerWorld != world
        || kind > KIND_CONTROL
        || kind < 0) {
      status = WRONG_RING;
    }
    byte[] nonceA = nonce();
    ByteBuffer reply = ByteBuffer.allocate(REPLY_BYTES);
    reply.putInt(MAGIC).put(status).put(nonceA);
    reply.put(
        status == OK
            ? mac(secret, ACCEPTOR, kind, from, to, world, nonceC, nonceA)
            : new byte[MAC]);
    reply.flip();
    DeadlineIo.writeFully(ch, reply, deadline, "answering a ring handshake");
    if (status != OK) {
      throw new RefusedException(
          "it claims rank "
              + from
              + " → rank "
              + to
              + " of "
              + peerWorld
              + ": "
              + reason(status, from, to, peerWorld));
    }
    ByteBuffer proof = ByteBuffer.allocate(MAC);
    try {
      DeadlineIo.readFully(ch, proof, deadline, "reading a handshake proof");
    } catch (EOFException e) {
      throw new RefusedException(
          "it claims rank "
              + from
              + " but closed instead of proving the job secret"
              + " (it holds a different secret)");
    }
    byte[] expected = mac(secret, CONNECTOR, kind, from, to, world, nonceC, nonceA);
    if (!MessageDigest.isEqual(expected, proof.array())) {
      throw new RefusedException(
          "it claims rank " + from + " but failed authentication (wrong job secret)");
    }
    DeadlineIo.writeFully(
        ch, ByteBuffer.wrap(new byte[] {1}), deadline, "accepting a ring connection");
    return new Accepted(kind, from);
  }

  private static String reason(byte status, int from, int to, int world) {
    return switch (status) {
      case WRONG_RING ->
          "the acceptor is not rank "
              + to
              + " of a ring of "
              + world
              + " expecting rank "
              + from
              + " (check rank numbering and addresses)";
      case WRONG_BYTE_ORDER -> "the ranks differ in native byte order";
      case WRONG_VERSION -> "the ranks run different SparkSpeed ring protocol versions";
      default -> "status " + status;
    };
  }

  private static byte[] nonce() {
    byte[] n = new byte[NONCE];
    RANDOM.nextBytes(n);
    return n;
  }

  private static byte[] mac(
      byte[] secret,
      byte[] label,
      byte kind,
      int from,
      int to,
      int world,
      byte[] nonceC,
      byte[] nonceA) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update(label);
      mac.update(ByteBuffer.allocate(13).put(kind).putInt(from).putInt(to).putInt(world).array());
      mac.update(nonceC);
      mac.update(nonceA);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
    }
  }

  /** An incoming connection that is not an authenticated peer of this ring. */
  static final class RefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    RefusedException(String message) {
      super(message);
    }
  }
}
