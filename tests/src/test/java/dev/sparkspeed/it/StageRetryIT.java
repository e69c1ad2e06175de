package dev.sparkspeed.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.trainer.SparkSpeed;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.TrainResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A rank that throws fails its barrier stage, and Spark runs the whole stage again (every rank, new
 * rendezvous, new ring); after {@code spark.stage.maxConsecutiveAttempts} failed attempts the job
 * fails with the rank's own error in its message. Rank 0 throws after its first step (fault
 * injection, {@link TrainOptions#failStageAttempts()}), while rank 1 waits in a collective: the
 * test also shows that the surviving rank is released, not left hanging.
 */
class StageRetryIT {
  static SparkSession spark;
  static final List<StageInfo> finished = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    spark = SparkSessions.local(2, Map.of("spark.stage.maxConsecutiveAttempts", "2"));
    spark
        .sparkContext()
        .addSparkListener(
            new SparkListener() {
              @Override
              public void onStageCompleted(SparkListenerStageCompleted e) {
                finished.add(e.stageInfo());
              }
            });
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @BeforeEach
  void clear() {
    finished.clear();
  }

  private static TrainOptions options(int failAttempts) {
    return TrainOptions.builder()
        .model("gpt2-tiny")
        .deepspeed(LocalClusterIT.GPT_DS)
        .textColumn("text")
        .worldSize(2)
        .maxSteps(3)
        .seqLen(16)
        .failStageAttempts(failAttempts)
        .build();
  }

  private static Dataset<Row> data() {
    return TestData.frame(spark, TestData.slices(TestData.textRows(4_000, 3), 2), TestData.TEXT);
  }

  /** Distinct stage attempts that failed, once the listener has seen {@code expected}. */
  private static long failedAttempts(int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long n;
    do {
      n =
          finished.stream()
              .filter(s -> s.failureReason().isDefined())
              .map(s -> s.stageId() + "." + s.attemptNumber())
              .distinct()
              .count();
      if (n >= expected) {
        break;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    return n;
  }

  private static String describe() {
    StringBuilder sb = new StringBuilder();
    for (StageInfo s : finished) {
      sb.append("\n  stage ")
          .append(s.stageId())
          .append('.')
          .append(s.attemptNumber())
          .append(' ')
          .append(s.name())
          .append(": ")
          .append(s.failureReason().isDefined() ? s.failureReason().get() : "ok");
    }
    return sb.toString();
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void failedStageIsRetriedAsAWhole() throws Exception {
    TrainResult clean = SparkSpeed.fit(data(), options(0));
    TrainResult r = SparkSpeed.fit(data(), options(1));
    assertEquals(1, r.stageAttempt(), "the result should come from the second stage attempt");
    assertEquals(1, failedAttempts(1), "failed barrier stage attempts seen: " + describe());
    assertEquals(3, r.steps());
    assertEquals(clean.paramsSha256(), r.paramsSha256(), "a retried run trains from the start");
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void jobFailsWithTheRanksErrorAfterTheConfiguredAttempts() throws Exception {
    Exception e = assertThrows(Exception.class, () -> SparkSpeed.fit(data(), options(5)));
    String msg = String.valueOf(e.getMessage());
    assertTrue(msg.contains("injected failure on rank 0"), msg);
    assertTrue(msg.contains("failed the maximum allowable number of times: 2"), msg);
    assertEquals(2, failedAttempts(2), "failed barrier stage attempts seen: " + describe());
  }
}
