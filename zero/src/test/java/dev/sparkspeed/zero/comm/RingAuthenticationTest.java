package dev.sparkspeed.zero.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Only holders of the job secret join the ring; everyone else is refused. */
class RingAuthenticationTest {
  private static final Duration CONNECT = Duration.ofSeconds(10);
  private static final Duration OP = Duration.ofSeconds(10);

  private ExecutorService pool;

  @BeforeEach
  void startThreads() {
    pool = Executors.newFixedThreadPool(6);
  }

  @AfterEach
  void stopThreads() {
    pool.shutdownNow();
  }

  @Test
  void intrudersAreRefusedAndTheRingStillForms() throws Exception {
    byte[] secret = Secrets.newJobSecret();
    RingEndpoint e0 = RingEndpoint.bind(RingTestKit.LOOPBACK);
    RingEndpoint e1 = RingEndpoint.bind(RingTestKit.LOOPBACK);
    List<String> addresses = List.of(e0.address(), e1.address());
    InetSocketAddress target = new InetSocketAddress(RingTestKit.LOOPBACK, e0.port());
    long deadline = System.nanoTime() + CONNECT.toNanos();
    // Queued on rank 0's listening socket before the ring starts, so they are accepted first.
    SocketChannel wrongSecret = DeadlineIo.connect(target, deadline);
    SocketChannel forger = DeadlineIo.connect(target, deadline);
    SocketChannel stranger = DeadlineIo.connect(target, deadline);
    CompletableFuture<Throwable> wrongSecretOutcome =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                RingHandshake.connect(
                    wrongSecret,
                    RingHandshake.KIND_DATA,
                    1,
                    new RingPeer(0, e0.address()),
                    2,
                    Secrets.newJobSecret(),
                    deadline);
                return null;
              } catch (Exception e) {
                return e;
              }
            },
            pool);
    CompletableFuture<Integer> forgerOutcome =
        CompletableFuture.supplyAsync(() -> forgeProof(forger, deadline), pool);
    stranger.write(ByteBuffer.wrap("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));

    CompletableFuture<TcpRingCommunicator> r0 =
        CompletableFuture.supplyAsync(
            () ->
                TcpRingCommunicator.connect(
                    e0, new RingConfig(0, 2, addresses, secret, CONNECT, OP, 4096)),
            pool);
    CompletableFuture<TcpRingCommunicator> r1 =
        CompletableFuture.supplyAsync(
            () ->
                TcpRingCommunicator.connect(
                    e1, new RingConfig(1, 2, addresses, secret, CONNECT, OP, 4096)),
            pool);
    try (TcpRingCommunicator c0 = r0.get(30, TimeUnit.SECONDS);
        TcpRingCommunicator c1 = r1.get(30, TimeUnit.SECONDS)) {
      Throwable refused = wrongSecretOutcome.get(30, TimeUnit.SECONDS);
      assertInstanceOf(CommException.class, refused);
      assertTrue(
          refused.getMessage().contains("does not hold this job's secret"), refused.getMessage());
      assertEquals(-1, forgerOutcome.get(30, TimeUnit.SECONDS), "a forged proof must be refused");

      CompletableFuture<float[]> a0 =
          CompletableFuture.supplyAsync(
              () -> TcpRingCommunicatorTest.allReduceF32(c0, new float[] {1, 2}));
      float[] a1 = TcpRingCommunicatorTest.allReduceF32(c1, new float[] {10, 20});
      assertArrayEquals(new float[] {11, 22}, a1, 0f);
      assertArrayEquals(a1, a0.get(30, TimeUnit.SECONDS), 0f);
    } finally {
      wrongSecret.close();
      forger.close();
      stranger.close();
    }
  }

  @Test
  void ranksWithDifferentSecretsBothFailFast() {
    RingEndpoint e0 = RingEndpoint.bind(RingTestKit.LOOPBACK);
    RingEndpoint e1 = RingEndpoint.bind(RingTestKit.LOOPBACK);
    List<String> addresses = List.of(e0.address(), e1.address());
    List<CompletableFuture<TcpRingCommunicator>> ranks = new ArrayList<>();
    long start = System.nanoTime();
    for (RingEndpoint e : new RingEndpoint[] {e0, e1}) {
      int rank = ranks.size();
      byte[] ownSecret = Secrets.newJobSecret();
      ranks.add(
          CompletableFuture.supplyAsync(
              () ->
                  TcpRingCommunicator.connect(
                      e, new RingConfig(rank, 2, addresses, ownSecret, CONNECT, OP, 4096)),
              pool));
    }
    for (CompletableFuture<TcpRingCommunicator> f : ranks) {
      Exception e = assertThrows(Exception.class, () -> f.get(30, TimeUnit.SECONDS));
      Throwable cause = e.getCause();
      assertInstanceOf(CommException.class, cause);
      assertTrue(cause.getMessage().contains("secret"), cause.getMessage());
    }
    assertTrue(System.nanoTime() - start < CONNECT.toNanos() + TimeUnit.SECONDS.toNanos(2));
  }

  /** Speaks the protocol but answers the challenge with random bytes; returns the final read. */
  private static int forgeProof(SocketChannel ch, long deadline) {
    try {
      ByteBuffer hello = ByteBuffer.allocate(52);
      hello.putInt(RingHandshake.MAGIC).putShort(RingHandshake.VERSION);
      hello.put(RingHandshake.KIND_CONTROL);
      hello.put(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? (byte) 1 : 0);
      hello.putInt(1).putInt(0).putInt(2).put(new byte[32]).flip();
      DeadlineIo.writeFully(ch, hello, deadline, "forging");
      DeadlineIo.readFully(ch, ByteBuffer.allocate(69), deadline, "forging");
      DeadlineIo.writeFully(ch, ByteBuffer.wrap(Secrets.newJobSecret()), deadline, "forging");
      ByteBuffer verdict = ByteBuffer.allocate(1);
      while (System.nanoTime() < deadline) {
        int n = ch.read(verdict);
        if (n != 0) {
          return n;
        }
        Thread.sleep(5);
      }
      return 0;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }
}
