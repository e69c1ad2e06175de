package dev.sparkspeed.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import dev.sparkspeed.plugin.ExecutorRuntime;
import dev.sparkspeed.plugin.RankProgress;
import dev.sparkspeed.plugin.SparkSpeedPlugin;
import dev.sparkspeed.trainer.SparkSpeed;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.TrainResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkEnv;
import org.apache.spark.metrics.source.Source;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import scala.jdk.javaapi.CollectionConverters;

/**
 * With {@code spark.plugins=dev.sparkspeed.plugin.SparkSpeedPlugin}: the driver prints one progress
 * line per {@code steps_per_print} steps from both ranks' reports, and the executor's gauges show
 * the last reported step in Spark's metrics system.
 */
class PluginIT {
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSessions.local(2, Map.of("spark.plugins", SparkSpeedPlugin.CLASS_NAME));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void driverPrintsProgressAndExecutorPublishesGauges() throws Exception {
    String ds =
        "{\"train_micro_batch_size_per_gpu\": 2, \"steps_per_print\": 2,"
            + " \"zero_optimization\": {\"stage\": 2}}";
    TrainResult r =
        SparkSpeed.fit(
            TestData.frame(spark, TestData.slices(TestData.textRows(3_000, 8), 2), TestData.TEXT),
            TrainOptions.builder()
                .model("gpt2-tiny")
                .deepspeed(ds)
                .textColumn("text")
                .worldSize(2)
                .maxSteps(6)
                .seqLen(16)
                .build());
    List<String> lines = awaitLines(3);
    assertEquals(3, lines.size(), "progress lines: " + lines);
    for (int k = 0; k < 3; k++) {
      String l = lines.get(k);
      assertTrue(l.startsWith("sparkspeed step " + 2 * (k + 1) + "/6  loss "), l);
      assertTrue(l.contains(" tokens/s ") && l.contains(" ETA "), l);
    }
    assertTrue(
        lines.get(2).contains(String.format(java.util.Locale.ROOT, "loss %.4f", r.finalLoss())),
        lines.get(2) + " vs final loss " + r.finalLoss());

    RankProgress last = ExecutorRuntime.current().orElseThrow().latest().orElseThrow();
    assertEquals(6, last.step());
    assertTrue(last.modelStateBytes() > 0 && last.tokensPerSecond() > 0, last.toString());
    MetricRegistry registry = pluginRegistry();
    Gauge<?> step = registry.getGauges().get("step");
    assertEquals(6L, step.getValue());
    assertFalse(registry.getGauges().get("loss").getValue().equals(0.0));
  }

  private static List<String> awaitLines(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<String> lines = SparkSpeedPlugin.progressLines();
    while (lines.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(50);
      lines = SparkSpeedPlugin.progressLines();
    }
    return lines;
  }

  private static MetricRegistry pluginRegistry() {
    List<Source> sources =
        CollectionConverters.asJava(
            SparkEnv.get()
                .metricsSystem()
                .getSourcesByName("plugin." + SparkSpeedPlugin.CLASS_NAME));
    assertEquals(1, sources.size(), "plugin metric sources");
    return sources.get(0).metricRegistry();
  }
}
