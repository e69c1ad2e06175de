package dev.sparkspeed.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.trainer.ModelSpec;
import dev.sparkspeed.trainer.SparkSpeed;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.TrainResult;
import dev.sparkspeed.trainer.ml.SparkSpeedEstimator;
import dev.sparkspeed.trainer.ml.SparkSpeedModel;
import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.MlpConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training across two executor JVMs ({@code local-cluster[2,1,1024]}): the ranks meet through the
 * barrier rendezvous and train over the TCP ring between processes. Each run is compared with the
 * same run in this JVM ({@link InProcessReference}).
 */
class LocalClusterIT {
  static final String GPT_DS =
      """
      {"train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": 1,
       "gradient_clipping": 1.0,
       "optimizer": {"type": "AdamW", "params": {"lr": 1e-3, "weight_decay": 0.01}},
       "scheduler": {"type": "WarmupLR",
                     "params": {"warmup_min_lr": 0, "warmup_max_lr": 1e-3, "warmup_num_steps": 5}},
       "zero_optimization": {"stage": 2, "reduce_bucket_size": 5000},
       "steps_per_print": 5, "seed": 7}
      """;
  static final String MLP_DS =
      """
      {"train_micro_batch_size_per_gpu": 16,
       "optimizer": {"type": "AdamW", "params": {"lr": 1e-2, "weight_decay": 0.0}},
       "zero_optimization": {"stage": 1}, "steps_per_print": 20, "seed": 3}
      """;
  static final MlpConfig MLP = new MlpConfig(6, new int[] {32, 16}, 2, Activation.TANH);

  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSessions.localCluster(Map.of());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void zero2GptFromTextMatchesInProcessRun() throws Exception {
    List<List<Row>> parts = TestData.slices(TestData.textRows(12_000, 7), 2);
    Dataset<Row> df = TestData.frame(spark, parts, TestData.TEXT);
    int steps = 10;
    TrainResult r =
        SparkSpeed.fit(
            df,
            TrainOptions.builder()
                .model("gpt2-tiny")
                .deepspeed(GPT_DS)
                .textColumn("text")
                .worldSize(2)
                .maxSteps(steps)
                .seqLen(32)
                .build());
    float[] ref =
        InProcessReference.gpt(
            parts, TestData.TEXT, "text", Gpt2Config.preset("gpt2-tiny"), GPT_DS, steps, 32);
    assertEquals(steps, r.steps());
    double d = TestData.relDiff(r.params(), ref);
    assertTrue(d <= 1e-5, "Spark vs in-process parameters: max relative difference " + d);
    assertTrue(
        r.finalLoss() < r.losses()[0],
        "loss did not fall: " + r.losses()[0] + " -> " + r.finalLoss());

    SparkSpeedModel m =
        new SparkSpeedModel("gpt", ModelSpec.resolve("gpt2-tiny"), r.params())
            .setTextCol("text")
            .setSeqLen(32);
    SplittableRandom rnd = new SplittableRandom(5);
    List<Row> noise = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      StringBuilder sb = new StringBuilder();
      for (int k = 0; k < 40; k++) {
        sb.append((char) (0x21 + rnd.nextInt(94)));
      }
      noise.add(RowFactory.create(sb.toString()));
    }
    double corpus = meanLoss(m, spark.createDataFrame(parts.get(0).subList(0, 20), TestData.TEXT));
    double random = meanLoss(m, spark.createDataFrame(noise, TestData.TEXT));
    assertTrue(corpus < random, "corpus loss " + corpus + " should be below random text " + random);
  }

  private static double meanLoss(SparkSpeedModel m, Dataset<Row> df) {
    List<Row> out = m.transform(df).select("loss", "next_token").collectAsList();
    double sum = 0;
    for (Row row : out) {
      assertNotNull(row.get(0));
      int next = row.getInt(1);
      assertTrue(next >= 0 && next < 256, "next token " + next);
      sum += row.getDouble(0);
    }
    return sum / out.size();
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void mlpFromVectorsReachesInProcessAccuracyAndSavesLoadsTransforms(@TempDir Path tmp)
      throws Exception {
    List<List<Row>> parts = TestData.slices(TestData.vectorRows(400, 11), 2);
    Dataset<Row> df = TestData.frame(spark, parts, TestData.VECTORS);
    int steps = 60;
    String json = MLP.toJson().toString();
    SparkSpeedModel model =
        new SparkSpeedEstimator()
            .setModel(json)
            .setDeepspeedConfig(MLP_DS)
            .setFeaturesCol("features")
            .setLabelCol("label")
            .setWorldSize(2)
            .setMaxSteps(steps)
            .fit(df);
    float[] ref =
        InProcessReference.mlp(parts, TestData.VECTORS, "features", "label", MLP, MLP_DS, steps);
    double d = TestData.relDiff(model.parameters(), ref);
    assertTrue(d <= 1e-5, "Spark vs in-process MLP parameters: max relative difference " + d);

    Dataset<Row> test = spark.createDataFrame(TestData.vectorRows(400, 99), TestData.VECTORS);
    SparkSpeedModel reference =
        new SparkSpeedModel("ref", ModelSpec.resolve(json), ref).setFeaturesCol("features");
    double acc = accuracy(model, test);
    double refAcc = accuracy(reference, test);
    assertTrue(acc >= refAcc - 0.02 && acc > 0.75, "accuracy " + acc + ", in-process " + refAcc);

    String dir = tmp.resolve("mlp-model").toUri().toString();
    model.write().overwrite().save(dir);
    assertTrue(Files.isRegularFile(tmp.resolve("mlp-model/data/params.f32")));
    SparkSpeedModel loaded = SparkSpeedModel.load(dir);
    assertArrayEquals(model.parameters(), loaded.parameters());
    assertEquals("features", loaded.getOrDefault(loaded.featuresCol()));
    List<Row> a = model.transform(test).select("prediction", "probability").collectAsList();
    List<Row> b = loaded.transform(test).select("prediction", "probability").collectAsList();
    assertEquals(a, b);
    Vector p = (Vector) a.get(0).get(1);
    assertEquals(1.0, p.apply(0) + p.apply(1), 1e-5);
  }

  private static double accuracy(SparkSpeedModel m, Dataset<Row> test) {
    List<Row> out = m.transform(test).select("label", "prediction").collectAsList();
    long right = out.stream().filter(r -> r.getInt(0) == (int) r.getDouble(1)).count();
    return (double) right / out.size();
  }
}
