package dev.sparkspeed.feed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeedBenchTest {
  private static List<String> resultLines(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FeedBench.Result r = FeedBench.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertTrue(r.rowsPerSecond() > 0 && r.mbPerSecond() > 0, r.toString());
    return bytes
        .toString(StandardCharsets.UTF_8)
        .lines()
        .filter(l -> l.startsWith("RESULT"))
        .toList();
  }

  @Test
  void eachKindPrintsExactlyOneResultLine() {
    List<String> tokens =
        resultLines("--kind", "tokens", "--rows", "60", "--block", "64", "--seconds", "0.05");
    assertEquals(1, tokens.size());
    assertTrue(
        tokens.get(0).matches("RESULT rows_per_s=\\d+ mb_per_s=\\d+\\.\\d tokens_per_s=[1-9]\\d*"),
        tokens.get(0));
    List<String> features =
        resultLines("--kind", "features", "--rows", "500", "--batch", "32", "--seconds", "0.05");
    assertEquals(1, features.size());
    assertTrue(features.get(0).endsWith(" tokens_per_s=0"), features.get(0));
  }

  @Test
  void anUnknownKindIsRejected() {
    assertThrows(
        IllegalArgumentException.class,
        () -> FeedBench.run(new String[] {"--kind", "images"}, System.out));
  }
}
