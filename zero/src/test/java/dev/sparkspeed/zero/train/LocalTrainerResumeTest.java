package dev.sparkspeed.zero.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.checkpoint.CheckpointTool;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Through the trainer's command line: a run interrupted after step 7 (checkpoints at 3 and 6) and
 * started again with the same arguments resumes at step 6 and ends with the uninterrupted run's
 * parameters, bit for bit; its final checkpoint, consolidated, starts a new run from exactly those
 * parameters.
 */
class LocalTrainerResumeTest {
  private static final Pattern HASH = Pattern.compile("params_sha256=([0-9a-f]{64})");

  @TempDir Path dir;

  private static String run(List<String> args) throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      System.setOut(p);
      LocalTrainer.main(args.toArray(String[]::new));
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  private static List<String> base(String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--model",
                "gpt2-tiny",
                "--steps",
                "8",
                "--batch",
                "2",
                "--seq",
                "16",
                "--sample",
                "0",
                "--print-every",
                "100"));
    a.addAll(List.of(more));
    return a;
  }

  private static String hash(String out) {
    Matcher m = HASH.matcher(out);
    assertTrue(m.find(), out);
    return m.group(1);
  }

  @Test
  void interruptedAndResumedRunEqualsUninterrupted() throws Exception {
    String ref = hash(run(base()));
    String out = dir.resolve("out").toString();
    String first = run(base("--output", out, "--save-every", "3", "--stop-after", "7"));
    assertTrue(first.contains("RESULT steps=7"), first);
    assertFalse(first.contains("resumed"), first);
    assertTrue(Files.exists(dir.resolve("out/global_step6/COMMITTED")));
    assertFalse(Files.exists(dir.resolve("out/global_step7")));
    String second = run(base("--output", out, "--save-every", "3"));
    assertTrue(second.contains("resumed from global_step6 at step 6"), second);
    assertEquals(ref, hash(second));
    assertFalse(ref.equals(hash(first)), "the interrupted run must differ from the full one");
  }

  @Test
  void asynchronousSavesResumeExactlyToo() throws Exception {
    String ref = hash(run(base()));
    String out = dir.resolve("async").toString();
    run(
        base(
            "--output",
            out,
            "--save-every",
            "2",
            "--keep-last",
            "1",
            "--async-save",
            "--stop-after",
            "5"));
    try (var tags = Files.list(dir.resolve("async"))) {
      // keep-last 1: only the newest committed checkpoint (step 4) remains, plus `latest`.
      assertEquals(
          List.of("global_step4", "latest"),
          tags.map(p -> p.getFileName().toString()).sorted().toList());
    }
    String second = run(base("--output", out, "--save-every", "2", "--async-save"));
    assertTrue(second.contains("resumed from global_step4 at step 4"), second);
    assertEquals(ref, hash(second));
  }

  @Test
  void consolidatedFinalCheckpointInitialisesANewRun() throws Exception {
    String out = dir.resolve("full").toString();
    String trained = hash(run(base("--output", out)));
    Path hf = dir.resolve("hf");
    CheckpointTool.main(new String[] {"consolidate", "--checkpoint", out, "--out", hf.toString()});
    String init = run(List.of("--init-from", hf.toString(), "--steps", "0", "--sample", "0"));
    assertTrue(init.contains("initialised from"), init);
    assertEquals(trained, hash(init));
  }
}
