package dev.sparkspeed.zero.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.DType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Ranks as separate JVMs: the two-phase join across processes, bit-exact all-reduce results, and a
 * rank killed with SIGKILL mid-collective making every other process fail in time, naming it.
 */
class RingProcessTest {
  private static final int WORLD = 3;
  private static final int N = 20_000;
  private static final long OP_TIMEOUT_MS = 3000;
  private static final long SLACK_MS = 2000;
  private static final long STARTUP_S = 60;

  @Test
  void ranksInSeparateProcessesAgreeAndSurviveAKill() throws Exception {
    byte[] secret = Secrets.newJobSecret();
    List<Process> procs = new ArrayList<>();
    List<BlockingQueue<String>> lines = new ArrayList<>();
    try {
      for (int r = 0; r < WORLD; r++) {
        Process p = launch(r);
        procs.add(p);
        lines.add(linesOf(p));
        send(p, HexFormat.of().formatHex(secret));
      }
      List<String> addresses = new ArrayList<>();
      for (int r = 0; r < WORLD; r++) {
        addresses.add(expect(lines.get(r), "ADDRESS ", STARTUP_S));
      }
      for (Process p : procs) {
        send(p, String.join(",", addresses));
      }

      float[][] f = new float[WORLD][];
      short[][] h = new short[WORLD][];
      for (int r = 0; r < WORLD; r++) {
        f[r] = fp32Input(r, N);
        h[r] = bf16Input(r, N);
      }
      String expected =
          digest(RingReference.allReduce(f)) + " " + digest(RingReference.allReduce(DType.BF16, h));
      for (int r = 0; r < WORLD; r++) {
        assertEquals(expected, expect(lines.get(r), "RESULT ", STARTUP_S), "rank " + r);
        expect(lines.get(r), "LOOPING", STARTUP_S);
      }

      int victim = 1;
      long killed = System.nanoTime();
      procs.get(victim).destroyForcibly();
      String named = "rank " + victim + " (" + addresses.get(victim) + ")";
      for (int r = 0; r < WORLD; r++) {
        if (r == victim) {
          continue;
        }
        String failure = expect(lines.get(r), "FAILED ", (OP_TIMEOUT_MS + SLACK_MS) / 1000 + 1);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertTrue(failure.contains(named), "rank " + r + ": " + failure);
        assertTrue(ms <= OP_TIMEOUT_MS + SLACK_MS, "rank " + r + " noticed after " + ms + " ms");
        assertTrue(procs.get(r).waitFor(30, TimeUnit.SECONDS), "rank " + r + " did not exit");
        assertEquals(0, procs.get(r).exitValue(), "rank " + r + " exit status");
      }
    } finally {
      for (Process p : procs) {
        p.destroyForcibly();
      }
    }
  }

  static float[] fp32Input(int rank, int n) {
    return TcpRingCommunicatorTest.floats(n, 1234L + rank, false);
  }

  static short[] bf16Input(int rank, int n) {
    return TcpRingCommunicatorTest.halves(DType.BF16, n, 5678L + rank);
  }

  static String digest(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4);
    for (float x : v) {
      b.putInt(Float.floatToRawIntBits(x));
    }
    return sha256(b.array());
  }

  static String digest(short[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 2);
    for (short x : v) {
      b.putShort(x);
    }
    return sha256(b.array());
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Process launch(int rank) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            RingRankMain.class.getName(),
            Integer.toString(rank),
            Integer.toString(WORLD),
            Long.toString(OP_TIMEOUT_MS),
            Integer.toString(N));
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    return pb.start();
  }

  private static void send(Process p, String line) throws IOException {
    OutputStream out = p.getOutputStream();
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Copies a process's stdout lines into a queue on a daemon thread. */
  private static BlockingQueue<String> linesOf(Process p) {
    BlockingQueue<String> q = new LinkedBlockingQueue<>();
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  q.add(line);
                }
              } catch (IOException e) {
                q.add("EXCEPTION " + e);
              }
            },
            "test-rank-process-stdout");
    t.setDaemon(true);
    t.start();
    return q;
  }

  /** The rest of the next line starting with {@code prefix}; other lines are skipped. */
  private static String expect(BlockingQueue<String> q, String prefix, long seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      String line = q.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      assertNotNull(line, "no line starting with '" + prefix + "' within " + seconds + " s");
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length());
      }
    }
  }
}
