package dev.sparkspeed.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sparkspeed.trainer.SparkSpeed;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.TrainResult;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact resume through {@link SparkSpeed#fit}: a fit of k steps, then a fit of K steps on the same
 * output, ends with the parameters of one uninterrupted K-step fit, bit for bit (fp32, two ranks, a
 * shuffle buffer and a warm-up schedule whose learning rate depends on the step).
 */
class CheckpointResumeIT {
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSessions.local(2, Map.of());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  static Dataset<Row> data(SparkSession s) {
    return TestData.frame(s, TestData.slices(TestData.textRows(6_000, 11), 2), TestData.TEXT);
  }

  static TrainOptions.Builder options(long steps) {
    return TrainOptions.builder()
        .model("gpt2-tiny")
        .deepspeed(LocalClusterIT.GPT_DS)
        .textColumn("text")
        .worldSize(2)
        .maxSteps(steps)
        .seqLen(16)
        .shuffleBuffer(16);
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void aSecondFitOnTheSameOutputContinuesTheFirstBitForBit(@TempDir Path dir) {
    TrainResult whole = SparkSpeed.fit(data(spark), options(8).build());
    String out = dir.resolve("run").toString();
    TrainResult first = SparkSpeed.fit(data(spark), options(5).output(out).saveEvery(2).build());
    assertNull(first.resumedFrom());
    TrainResult second = SparkSpeed.fit(data(spark), options(8).output(out).saveEvery(2).build());
    assertEquals("global_step5", second.resumedFrom());
    assertEquals(5, second.startStep());
    assertEquals(3, second.steps());
    assertEquals(8, second.totalSteps());
    assertEquals(whole.paramsSha256(), second.paramsSha256(), "resumed vs uninterrupted fit");
    assertEquals(whole.losses()[7], second.finalLoss());
  }
}
