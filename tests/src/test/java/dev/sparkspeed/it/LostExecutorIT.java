package dev.sparkspeed.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.trainer.SparkSpeed;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.TrainResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lost executor in {@code local-cluster[2,1,1024]}: rank 1 halts its executor JVM mid-training
 * (fault injection, {@link TrainOptions#haltAfterStep()}), after the checkpoint of step 4 and
 * before the one of step 6. Spark retries the barrier stage on a replacement executor; the ranks
 * resume from global_step4 and end with the parameters of a run that was never interrupted, bit for
 * bit.
 */
class LostExecutorIT {
  static SparkSession spark;
  static final List<String> removed = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    spark =
        SparkSessions.localCluster(
            Map.of(
                // One more attempt than the test needs: a second loss fails the job, not a hang.
                "spark.stage.maxConsecutiveAttempts", "2",
                "spark.task.maxFailures", "4",
                "spark.network.timeout", "60s",
                "spark.executor.heartbeatInterval", "5s"));
    spark
        .sparkContext()
        .addSparkListener(
            new SparkListener() {
              @Override
              public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
                removed.add(e.executorId() + ": " + e.reason());
              }
            });
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aRetriedStageResumesFromTheLastCheckpoint(@TempDir Path dir) throws Exception {
    String out = dir.resolve("run").toString();
    TrainResult r =
        SparkSpeed.fit(
            CheckpointResumeIT.data(spark),
            CheckpointResumeIT.options(7)
                .output(out)
                .saveEvery(2)
                .haltAfterStep(1, 5)
                .rendezvousTimeout(java.time.Duration.ofSeconds(60))
                .build());
    assertEquals(1, r.stageAttempt(), "the result should come from the retried stage");
    assertEquals("global_step4", r.resumedFrom());
    assertEquals(4, r.startStep());
    assertEquals(3, r.steps(), "only the steps after the checkpoint run again");
    assertTrue(!removed.isEmpty(), "no executor was lost");
    assertTrue(Files.isDirectory(dir.resolve("run/checkpoints/global_step6")), "saves go on after");

    TrainResult whole =
        SparkSpeed.fit(CheckpointResumeIT.data(spark), CheckpointResumeIT.options(7).build());
    assertNull(whole.resumedFrom());
    assertEquals(whole.paramsSha256(), r.paramsSha256(), "resumed after a lost executor vs whole");
  }
}
