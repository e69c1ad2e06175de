package dev.sparkspeed.zero.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The benchmarks end with exactly one machine-readable RESULT line, as scripts expect. */
class BenchOutputTest {
  private static final Pattern NUMBER = Pattern.compile("=([0-9.]+)");

  @Test
  void allReduceBenchEndsWithOneResultLine() throws Exception {
    List<String> lines =
        run(() -> AllReduceBench.main(new String[] {"--ranks", "3", "--mb", "1", "--iters", "2"}));
    String last = lines.get(lines.size() - 1);
    assertTrue(last.matches("RESULT busbw_gbps=[0-9.]+ algbw_gbps=[0-9.]+"), last);
    assertEquals(1, lines.stream().filter(l -> l.startsWith("RESULT")).count());
    Matcher m = NUMBER.matcher(last);
    assertTrue(m.find());
    double busbw = Double.parseDouble(m.group(1));
    assertTrue(m.find());
    double algbw = Double.parseDouble(m.group(1));
    assertEquals(algbw * 2 * 2 / 3, busbw, 0.0011 + 1e-3 * busbw, "busbw = algbw·2(N−1)/N");
  }

  @Test
  void streamBenchEndsWithOneResultLine() throws Exception {
    List<String> lines = run(() -> TcpStreamBench.main(new String[] {"--mb", "1", "--iters", "2"}));
    assertTrue(lines.get(lines.size() - 1).matches("RESULT stream_gbps=[0-9.]+"), lines.toString());
    assertEquals(2, lines.stream().filter(l -> l.startsWith("iter ")).count());
  }

  private interface Main {
    void run() throws Exception;
  }

  private static List<String> run(Main main) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      main.run();
    } finally {
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }
}
