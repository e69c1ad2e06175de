package dev.sparkspeed.zero.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What can be checked of bin/gpu-check and its PyTorch anchor without a GPU or torch: both parse,
 * the anchor's RESULT line is the one the shell script reads, and its presets match the Java ones.
 */
class GpuCheckScriptsTest {
  private static final Path BIN =
      Path.of(System.getProperty("user.dir")).getParent().resolve("bin");
  private static final Path ANCHOR = BIN.resolve("gpu-check-torch.py");

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static void requirePython() {
    boolean found;
    try {
      found = new ProcessBuilder("python3", "--version").start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      found = false;
    }
    Assumptions.assumeTrue(found, "python3 is not installed here");
  }

  /** Runs Python code with the anchor imported as module {@code anchor} (no torch needed). */
  private static String python(String code) throws Exception {
    String prelude =
        "import importlib.util, sys\n"
            + "spec = importlib.util.spec_from_file_location('anchor', sys.argv[1])\n"
            + "anchor = importlib.util.module_from_spec(spec)\n"
            + "spec.loader.exec_module(anchor)\n";
    return run("python3", "-c", prelude + code, ANCHOR.toString());
  }

  @Test
  void bothScriptsParse() throws Exception {
    assertTrue(Files.isRegularFile(ANCHOR), ANCHOR.toString());
    run("bash", "-n", BIN.resolve("gpu-check").toString());
    requirePython();
    // What py_compile checks, without writing a __pycache__ into bin/.
    run(
        "python3",
        "-c",
        "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')",
        ANCHOR.toString());
  }

  @Test
  void theResultLineIsWhatTheShellScriptParses() throws Exception {
    requirePython();
    String line =
        python("print(anchor.result_line(171234.56, 0.0478, 124475904, 'NVIDIA H100 80GB HBM3'))")
            .strip();
    assertEquals(
        "RESULT tokens_per_s=171234.6 step_s=0.047800 params=124475904"
            + " device=NVIDIA H100 80GB HBM3",
        line);
    // The sed expressions bin/gpu-check applies, run as it runs them.
    String tokens = "s/.* tokens_per_s=\\([0-9.]*\\) .*/\\1/p";
    String params = "s/.* params=\\([0-9]*\\) .*/\\1/p";
    String script = Files.readString(BIN.resolve("gpu-check"));
    assertTrue(script.contains(tokens) && script.contains(params), "bin/gpu-check changed");
    String sed = "sed -n \"$1\" <<<\"$2\"";
    assertEquals("171234.6", run("bash", "-c", sed, "_", tokens, line).strip());
    assertEquals("124475904", run("bash", "-c", sed, "_", params, line).strip());
  }

  @Test
  void theAnchorsPresetsAreTheJavaPresets() throws Exception {
    requirePython();
    for (String name : List.of("gpt2-tiny", "gpt2-mini", "gpt2-124m", "gpt2-350m")) {
      var cfg = dev.sparkspeed.zero.model.Gpt2Config.preset(name);
      String got =
          python(
                  "print(anchor.PRESETS['"
                      + name
                      + "'], anchor.padded_vocab(anchor.PRESETS['"
                      + name
                      + "'][3]))")
              .strip();
      String want =
          "("
              + cfg.nLayer()
              + ", "
              + cfg.nHead()
              + ", "
              + cfg.nEmbd()
              + ", "
              + cfg.vocabSize()
              + ", "
              + cfg.blockSize()
              + ") "
              + cfg.paddedVocabSize();
      assertEquals(want, got, name);
    }
  }
}
