package dev.sparkspeed.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.trainer.SparkSpeed;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code "device": "cuda"} on a machine without a usable CUDA driver, in local mode (where the
 * ranks pick GPU r themselves): the job fails with what is missing and the setting to change,
 * reported by every rank as a settings error, so Spark never runs the stage again.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DeviceSelectionIT {
  static final String FLUSH = "device-selection-it-flush";

  static SparkSession spark;
  static final List<StageInfo> stages = new CopyOnWriteArrayList<>();
  static volatile CountDownLatch flushed;
  static volatile int flushJob = -1;

  @BeforeAll
  static void start() {
    Assumptions.assumeFalse(CudaProbe.probe().available(), "this machine has a usable GPU");
    spark = SparkSessions.local(2, Map.of("spark.stage.maxConsecutiveAttempts", "2"));
    spark
        .sparkContext()
        .addSparkListener(
            new SparkListener() {
              @Override
              public void onStageCompleted(SparkListenerStageCompleted e) {
                stages.add(e.stageInfo());
              }

              @Override
              public void onJobStart(SparkListenerJobStart e) {
                if (FLUSH.equals(e.properties().getProperty("spark.job.description"))) {
                  flushJob = e.jobId();
                }
              }

              @Override
              public void onJobEnd(SparkListenerJobEnd e) {
                if (e.jobId() == flushJob) {
                  flushed.countDown();
                }
              }
            });
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @BeforeEach
  void clear() {
    stages.clear();
  }

  private static TrainOptions options(String device) {
    return TrainOptions.builder()
        .model("gpt2-tiny")
        .deepspeed(
            "{\"train_micro_batch_size_per_gpu\": 2, \"sparkspeed\": {\"device\": \""
                + device
                + "\"}}")
        .textColumn("text")
        .worldSize(2)
        .maxSteps(2)
        .seqLen(16)
        .build();
  }

  private static Dataset<Row> data() {
    return TestData.frame(spark, TestData.slices(TestData.textRows(3_000, 5), 2), TestData.TEXT);
  }

  /**
   * Runs a marked job and waits for its end: listener events arrive in order, so every earlier
   * stage event has been seen by then.
   */
  private static void awaitEarlierEvents() throws InterruptedException {
    flushed = new CountDownLatch(1);
    spark.sparkContext().setJobDescription(FLUSH);
    try {
      spark.range(1).count();
    } finally {
      spark.sparkContext().setJobDescription(null);
    }
    assertTrue(flushed.await(20, TimeUnit.SECONDS), "the marked job's end never arrived");
  }

  @Test
  void cudaWithoutADriverFailsNamingWhatIsMissingAndIsNotRetried() throws Exception {
    Exception e = assertThrows(Exception.class, () -> SparkSpeed.fit(data(), options("cuda")));
    String msg = String.valueOf(e.getMessage());
    assertTrue(msg.contains("\"device\": \"cuda\" needs a usable CUDA GPU"), msg);
    assertTrue(msg.contains(CudaProbe.probe().reason()), msg);
    assertTrue(msg.contains("Set \"device\": \"cpu\" or \"auto\""), msg);
    assertTrue(msg.contains("rank 0:") && msg.contains("rank 1:"), msg);
    awaitEarlierEvents();
    assertTrue(stages.size() >= 2, "the training stage and the marked job: " + stages.size());
    for (StageInfo s : stages) {
      assertEquals(0, s.attemptNumber(), "stage " + s.stageId() + " was attempted again");
      assertTrue(s.failureReason().isEmpty(), "stage failed: " + s.failureReason());
    }
  }
}
