package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.comm.RingEndpoint;
import dev.sparkspeed.zero.comm.Secrets;
import dev.sparkspeed.zero.comm.TcpRingCommunicator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * {@link AllReduceBench} with every rank in its own JVM. The parent hands each child the job secret
 * over stdin (never the command line), collects the bound addresses, sends back the full list, and
 * reads each child's timings: the same bind → exchange → connect sequence Spark runs.
 */
final class BenchProcesses {
  private BenchProcesses() {}

  /** Launches the ranks, returns each rank's seconds per iteration. */
  static double[][] run(AllReduceBench.Setup s, String[] args)
      throws IOException, InterruptedException {
    byte[] secret = Secrets.newJobSecret();
    List<Process> procs = new ArrayList<>();
    List<BufferedReader> outs = new ArrayList<>();
    try {
      for (int r = 0; r < s.ranks(); r++) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:MaxDirectMemorySize=" + (2 * s.bytes() + (256L << 20)));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(AllReduceBench.class.getName());
        cmd.addAll(
            Arrays.stream(args)
                .filter(x -> !x.equals("--processes") && !x.equals("--anchor"))
                .toList());
        cmd.add("--child");
        cmd.add(Integer.toString(r));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        procs.add(p);
        outs.add(
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        send(p, HexFormat.of().formatHex(secret));
      }
      List<String> addresses = new ArrayList<>();
      for (BufferedReader out : outs) {
        addresses.add(expect(out, "ADDRESS "));
      }
      for (Process p : procs) {
        send(p, String.join(",", addresses));
      }
      double[][] perRank = new double[s.ranks()][];
      for (int r = 0; r < s.ranks(); r++) {
        perRank[r] =
            Arrays.stream(expect(outs.get(r), "TIMES ").split(","))
                .mapToDouble(Double::parseDouble)
                .toArray();
      }
      return perRank;
    } finally {
      for (Process p : procs) {
        p.destroy();
      }
    }
  }

  /** A child rank: join through stdin/stdout, time, print "TIMES s1,s2,…". */
  static void child(AllReduceBench.Setup s, int rank) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    byte[] secret = HexFormat.of().parseHex(in.readLine());
    RingEndpoint endpoint = RingEndpoint.bind(InetAddress.getLoopbackAddress());
    System.out.println("ADDRESS " + endpoint.address());
    System.out.flush();
    List<String> addresses = List.of(in.readLine().split(","));
    try (TcpRingCommunicator comm =
        TcpRingCommunicator.connect(endpoint, s.config(rank, addresses, secret))) {
      double[] seconds = AllReduceBench.timeRank(comm, s);
      StringBuilder line = new StringBuilder("TIMES ");
      for (int i = 0; i < seconds.length; i++) {
        line.append(i == 0 ? "" : ",").append(seconds[i]);
      }
      System.out.println(line);
      System.out.flush();
    }
  }

  private static void send(Process p, String line) throws IOException {
    OutputStream out = p.getOutputStream();
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static String expect(BufferedReader out, String prefix) throws IOException {
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length());
      }
    }
    throw new IOException("a rank process exited before printing '" + prefix.trim() + "'");
  }
}
