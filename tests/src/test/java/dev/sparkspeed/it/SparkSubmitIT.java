package dev.sparkspeed.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The assembly jar trains under a real {@code spark-submit}: the one of PySpark's distribution,
 * which bin/setup-test-env installs into the virtual environment named by SPARKSPEED_VENV.
 */
class SparkSubmitIT {
  private static final Pattern RESULT =
      Pattern.compile("RESULT steps=(\\d+) loss=([0-9.]+) params_sha256=([0-9a-f]{64})");

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void assemblyTrainsUnderSparkSubmit(@TempDir Path tmp) throws Exception {
    String venv = System.getenv("SPARKSPEED_VENV");
    Path submit = venv == null ? null : Path.of(venv, "bin", "spark-submit");
    assumeTrue(
        submit != null && Files.isExecutable(submit),
        "SPARKSPEED_VENV/bin/spark-submit not found (SPARKSPEED_VENV="
            + venv
            + "); run bin/test, whose bin/setup-test-env installs PySpark's spark-submit");
    Path jar = Path.of(System.getProperty("sparkspeed.assembly", ""));
    assertTrue(Files.isRegularFile(jar), "assembly jar missing: " + jar + " (mvn package)");
    Path conf = Path.of(System.getProperty("sparkspeed.home", ".."), "conf", "ds_config.json");
    Path out = tmp.resolve("model");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                submit.toString(),
                "--master",
                "local[2]",
                "--class",
                "dev.sparkspeed.trainer.Main",
                "--conf",
                "spark.ui.enabled=false",
                jar.toString(),
                "train",
                "--model",
                "gpt2-tiny",
                "--deepspeed",
                conf.toString(),
                "--world-size",
                "2",
                "--max-steps",
                "4",
                "--seq-len",
                "32",
                "--sample",
                "20",
                "--output",
                out.toUri().toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    // PySpark's spark-submit finds its own Spark home only when SPARK_HOME is not set.
    env.remove("SPARK_HOME");
    // Its find-spark-home asks the python on PATH for the pyspark package: the venv's python.
    env.put("PATH", submit.getParent() + java.io.File.pathSeparator + env.getOrDefault("PATH", ""));
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    Path log = tmp.resolve("spark-submit.log");
    Process p = pb.redirectOutput(log.toFile()).start();
    if (!p.waitFor(4, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("spark-submit did not finish in 4 minutes:\n" + tail(log));
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "spark-submit failed:\n" + tail(log));
    Matcher m = RESULT.matcher(text);
    assertTrue(m.find(), "no RESULT line:\n" + tail(log));
    assertEquals("4", m.group(1));
    String saved =
        new ObjectMapper()
            .readTree(out.resolve("model.json").toFile())
            .path("params")
            .path("sha256")
            .asText();
    assertEquals(m.group(3), saved, "the saved parameters are the ones the RESULT line hashes");
    assertTrue(text.contains("sparkspeed step 4/4"), "no plugin progress line:\n" + tail(log));
  }

  private static String tail(Path log) throws java.io.IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }
}
