package dev.sparkspeed.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * notebooks/quickstart.ipynb runs end to end in a Jupyter kernel of the virtual environment named
 * by SPARKSPEED_VENV (bin/setup-test-env installs PySpark, nbclient and ipykernel there): PySpark
 * starts a local session with the assembly jar, and the notebook trains GPT-2 tiny and an MLP
 * through the pyspark.ml wrapper and asserts, in its cells, that the losses fell.
 */
class NotebookIT {
  private static final Pattern GPT =
      Pattern.compile("SPARKSPEED_NOTEBOOK gpt2-tiny loss ([0-9.]+) -> ([0-9.]+)");
  private static final Pattern MLP = Pattern.compile("SPARKSPEED_NOTEBOOK mlp accuracy ([0-9.]+)");

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void quickstartNotebookRunsAndTrains(@TempDir Path tmp) throws Exception {
    String venv = System.getenv("SPARKSPEED_VENV");
    Path python = venv == null ? null : Path.of(venv, "bin", "python");
    assumeTrue(
        python != null && Files.isExecutable(python) && notebookToolsInstalled(Path.of(venv)),
        "SPARKSPEED_VENV has no python with nbclient (SPARKSPEED_VENV="
            + venv
            + "); run bin/test, whose bin/setup-test-env installs bin/test-requirements.txt");
    Path jar = Path.of(System.getProperty("sparkspeed.assembly", ""));
    assertTrue(Files.isRegularFile(jar), "assembly jar missing: " + jar + " (mvn package)");
    Path notebooks = Path.of(System.getProperty("sparkspeed.home", ".."), "notebooks");
    ProcessBuilder pb =
        new ProcessBuilder(
                python.toString(),
                notebooks.resolve("run_notebook.py").toString(),
                notebooks.resolve("quickstart.ipynb").toString(),
                "--timeout",
                "180",
                "--save",
                tmp.resolve("executed.ipynb").toString())
            .redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    // PySpark launches its own Spark distribution only when SPARK_HOME is not set.
    env.remove("SPARK_HOME");
    env.put("PATH", python.getParent() + File.pathSeparator + env.getOrDefault("PATH", ""));
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("SPARKSPEED_ASSEMBLY", jar.toAbsolutePath().toString());
    Path log = tmp.resolve("notebook.log");
    Process p = pb.redirectOutput(log.toFile()).start();
    if (!p.waitFor(4, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("the notebook did not finish in 4 minutes:\n" + tail(log));
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "the notebook failed:\n" + tail(log));

    Matcher gpt = GPT.matcher(text);
    assertTrue(gpt.find(), "no GPT-2 loss line:\n" + tail(log));
    double first = Double.parseDouble(gpt.group(1));
    double last = Double.parseDouble(gpt.group(2));
    // A fresh byte-level model predicts about uniformly over 256 symbols: ln(256) = 5.55.
    assertEquals(Math.log(256), first, 0.3, "first-step loss");
    assertTrue(last < 0.7 * first, "loss " + first + " -> " + last);
    Matcher mlp = MLP.matcher(text);
    assertTrue(mlp.find(), "no MLP accuracy line:\n" + tail(log));
    assertTrue(Double.parseDouble(mlp.group(1)) > 0.85, "MLP accuracy " + mlp.group(1));
    assertTrue(
        text.contains("SPARKSPEED_NOTEBOOK DONE"), "the last cell did not run:\n" + tail(log));
    assertTrue(Files.size(tmp.resolve("executed.ipynb")) > 0, "no executed notebook written");
  }

  /** bin/setup-test-env leaves the requirements it installed next to the venv's python. */
  private static boolean notebookToolsInstalled(Path venv) throws java.io.IOException {
    Path marker = venv.resolve(".sparkspeed-requirements");
    return Files.isRegularFile(marker) && Files.readString(marker).contains("nbclient==");
  }

  private static String tail(Path log) throws java.io.IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
  }
}
