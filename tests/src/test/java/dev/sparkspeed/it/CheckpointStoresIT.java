package dev.sparkspeed.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.trainer.SparkSpeed;
import dev.sparkspeed.trainer.TrainResult;
import dev.sparkspeed.trainer.checkpoint.HadoopCheckpointTool;
import dev.sparkspeed.trainer.checkpoint.LoopbackS3;
import dev.sparkspeed.trainer.checkpoint.MiniHdfs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints through {@link SparkSpeed#fit} on real stores: an in-process HDFS and an S3 API
 * server on loopback (through s3a://, configured on the session's Hadoop configuration at run time
 * so the ranks must receive the driver's settings). A second fit resumes from the first's
 * checkpoint, and {@code bin/sparkspeed checkpoint}'s main inspects and consolidates it by URI.
 */
class CheckpointStoresIT {
  static final String BUCKET = "sparkspeed-it";
  @TempDir static Path dir;
  static MiniHdfs hdfs;
  static LoopbackS3 s3;
  static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    hdfs = MiniHdfs.start(dir.resolve("hdfs"));
    s3 = LoopbackS3.start(BUCKET);
    spark = SparkSessions.local(2, Map.of());
    s3.settings().forEach(spark.sparkContext().hadoopConfiguration()::set);
  }

  @AfterAll
  static void stop() throws Exception {
    if (spark != null) {
      spark.stop();
    }
    if (s3 != null) {
      s3.close();
    }
    if (hdfs != null) {
      hdfs.close();
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void hdfs() throws Exception {
    trainResumeAndInspect(hdfs.uri().resolve("/runs/a").toString(), hdfs.conf(), "hdfs");
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void s3a() throws Exception {
    trainResumeAndInspect("s3a://" + BUCKET + "/runs/a", s3.conf(), "s3a");
  }

  private static void trainResumeAndInspect(String out, Configuration conf, String name)
      throws Exception {
    TrainResult first =
        SparkSpeed.fit(
            CheckpointResumeIT.data(spark), CheckpointResumeIT.options(2).output(out).build());
    assertNull(first.resumedFrom());
    TrainResult second =
        SparkSpeed.fit(
            CheckpointResumeIT.data(spark), CheckpointResumeIT.options(3).output(out).build());
    assertEquals("global_step2", second.resumedFrom(), name);
    assertEquals(1, second.steps());

    String root = out + "/checkpoints";
    String inspect = tool(conf, "inspect", "--checkpoint", root, "--verify");
    assertTrue(inspect.contains("checkpoint global_step3"), inspect);
    assertTrue(inspect.contains("world size 2, ZeRO stage 2"), inspect);
    assertTrue(inspect.contains("checksums: all tensors verified"), inspect);

    Path hf = dir.resolve(name + "-hf");
    String consolidate =
        tool(conf, "consolidate", "--checkpoint", root + "/global_step2", "--out", hf.toString());
    assertTrue(consolidate.contains("for checkpoint global_step2 step 2"), consolidate);
    assertTrue(Files.size(hf.resolve("model.safetensors")) > 4L * 10_000, consolidate);
  }

  private static String tool(Configuration conf, String... argv) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      HadoopCheckpointTool.run(argv, conf, ps);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}
