package dev.sparkspeed.zero.comm;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One rank as its own JVM, driven by {@link RingProcessTest} over stdin/stdout: reads the job
 * secret (hex) from stdin, binds and prints "ADDRESS host:port", reads every rank's address
 * (comma-separated), joins, prints "RESULT fp32 bf16" with digests of two all-reduces, then prints
 * "LOOPING" and all-reduces until a collective fails, printing "FAILED message".
 *
 * <p>Arguments: rank, world size, op timeout in milliseconds, elements per all-reduce.
 */
public final class RingRankMain {
  private RingRankMain() {}

  public static void main(String[] args) throws Exception {
    int rank = Integer.parseInt(args[0]);
    int world = Integer.parseInt(args[1]);
    Duration opTimeout = Duration.ofMillis(Long.parseLong(args[2]));
    int n = Integer.parseInt(args[3]);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    // The secret comes over stdin, never the command line, where other users could read it.
    byte[] secret = HexFormat.of().parseHex(in.readLine());
    RingEndpoint endpoint = RingEndpoint.bind(RingTestKit.LOOPBACK);
    say("ADDRESS " + endpoint.address());
    List<String> addresses = List.of(in.readLine().split(","));
    RingConfig cfg =
        new RingConfig(rank, world, addresses, secret, Duration.ofSeconds(30), opTimeout, 16 << 10);
    try (TcpRingCommunicator comm = TcpRingCommunicator.connect(endpoint, cfg)) {
      float[] f = TcpRingCommunicatorTest.allReduceF32(comm, RingProcessTest.fp32Input(rank, n));
      short[] h =
          TcpRingCommunicatorTest.allReduceHalf(
              comm, DType.BF16, RingProcessTest.bf16Input(rank, n));
      say("RESULT " + RingProcessTest.digest(f) + " " + RingProcessTest.digest(h));
      say("LOOPING");
      try (Allocator a = new Allocator("loop")) {
        HostBuffer b = a.allocate("buf", DType.FP32, n);
        try {
          while (true) {
            comm.allReduce(Tensor.whole(b)).await();
            TimeUnit.MILLISECONDS.sleep(1);
          }
        } catch (CommException e) {
          say("FAILED " + e.getMessage());
        } finally {
          b.close();
        }
      }
    }
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
