package dev.sparkspeed.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreflightTest {
  static final String DS = "{\"train_micro_batch_size_per_gpu\": 4}";
  static final ModelSpec MODEL = ModelSpec.resolve("gpt2-tiny");
  static final Duration WAIT = Duration.ofSeconds(300);

  /** A cluster of {@code executors} executors of {@code cores} cores, nothing else set. */
  static ClusterView cluster(int executors, int cores) {
    return new ClusterView(
        "spark://m:7077", false, 1, cores, executors, executors * cores, 2, 0, 0, 300);
  }

  static ClusterView local(String master) {
    return new ClusterView(master, false, 1, 0, 1, 8, 6, 0, 0, 300);
  }

  static Preflight.Report check(ClusterView v, int world, String ds) {
    return Preflight.check(v, world, ds, MODEL, 0, WAIT);
  }

  @Test
  void taskSlotsFollowTheMasterAndTheCoreSettings() {
    assertEquals(1, local("local").taskSlots());
    assertEquals(3, local("local[3]").taskSlots());
    assertEquals(6, local("local[*]").taskSlots());
    assertEquals(4, local("local[4, 2]").taskSlots());
    assertEquals(
        4, new ClusterView("local-cluster[2,2,1024]", false, 1, 0, 2, 4, 8, 0, 0, 1).taskSlots());
    assertEquals(
        2,
        new ClusterView("local-cluster[2,2,1024]", false, 1, 0, 1, 2, 8, 0, 0, 1).taskSlots(),
        "only registered executors count");
    assertEquals(6, cluster(3, 2).taskSlots());
    assertEquals(
        3,
        new ClusterView("yarn", false, 2, 3, 3, 9, 2, 0, 0, 1).taskSlots(),
        "3 executors × ⌊3 cores / 2 cpus per task⌋");
    assertEquals(
        2,
        new ClusterView("yarn", false, 1, 8, 2, 16, 2, 1, 1, 1).taskSlots(),
        "one GPU per task and one per executor");
  }

  @Test
  void aFittingClusterPassesWithTheResolvedConfig() {
    Preflight.Report r = check(cluster(2, 1), 2, DS);
    assertEquals(0, r.errors().size(), r.errors().toString());
    assertNotNull(r.config());
    assertEquals(8, r.config().batch().trainBatchSize());
  }

  @Test
  void dynamicAllocationIsRefusedNamingTheSetting() {
    ClusterView v = new ClusterView("yarn", true, 1, 4, 2, 8, 2, 0, 0, 300);
    String e = String.join("\n", check(v, 2, DS).errors());
    assertTrue(e.contains("spark.dynamicAllocation.enabled=false"), e);
  }

  @Test
  void tooFewSlotsNameTheCoreSettings() {
    String e = String.join("\n", check(cluster(1, 1), 2, DS).errors());
    assertTrue(e.contains("world size 2 needs 2 task slots at once, but only 1"), e);
    assertTrue(e.contains("spark.executor.cores 1") && e.contains("spark.task.cpus 1"), e);
    String l = String.join("\n", check(local("local[1]"), 2, DS).errors());
    assertTrue(l.contains("master local[1]"), l);
  }

  @Test
  void gpusRequestedButNotConfiguredAreNamed() {
    ClusterView noExecutorGpus = new ClusterView("yarn", false, 1, 4, 2, 8, 2, 1, 0, 300);
    String e = String.join("\n", check(noExecutorGpus, 2, DS).errors());
    assertTrue(e.contains("spark.executor.resource.gpu.amount is not set"), e);
    ClusterView shared = new ClusterView("yarn", false, 1, 4, 2, 8, 2, 0.5, 2, 300);
    String s = String.join("\n", check(shared, 2, DS).errors());
    assertTrue(s.contains("spark.task.resource.gpu.amount is 0.5"), s);
    String cuda = "{\"train_micro_batch_size_per_gpu\": 4, \"sparkspeed\": {\"device\": \"cuda\"}}";
    String c = String.join("\n", check(cluster(2, 1), 2, cuda).errors());
    assertTrue(
        c.contains("sparkspeed.device is \"cuda\" but spark.task.resource.gpu.amount is not set"),
        c);
  }

  @Test
  void localModeTakesNoTaskGpusAndLetsCudaRanksPickTheirOwn() {
    ClusterView asked = new ClusterView("local[2]", false, 1, 0, 1, 8, 2, 1, 2, 300);
    String e = String.join("\n", check(asked, 2, DS).errors());
    assertTrue(e.contains("local mode (local[2]) cannot give GPUs to tasks"), e);
    String cuda = "{\"train_micro_batch_size_per_gpu\": 4, \"sparkspeed\": {\"device\": \"cuda\"}}";
    assertEquals(List.of(), check(local("local[2]"), 2, cuda).errors());
  }

  @Test
  void aGlobalBatchTheWorldDoesNotDivideIsNamed() {
    String e = String.join("\n", check(cluster(4, 1), 4, "{\"train_batch_size\": 10}").errors());
    assertTrue(e.contains("train_batch_size 10 is not divisible by the world size 4"), e);
    String m =
        String.join(
            "\n",
            check(
                    cluster(2, 1),
                    2,
                    "{\"train_batch_size\": 16, \"train_micro_batch_size_per_gpu\": 4,"
                        + " \"gradient_accumulation_steps\": 1}")
                .errors());
    assertTrue(m.contains("train_batch_size 16 is not") && m.contains("world size 2"), m);
  }

  @Test
  void allProblemsAreReportedTogether() {
    ClusterView v = new ClusterView("yarn", true, 1, 1, 1, 1, 2, 0, 0, 300);
    Preflight.Report r = check(v, 3, "{\"train_batch_size\": 10}");
    assertEquals(3, r.errors().size(), r.errors().toString());
    SparkSpeedException e = assertThrows(SparkSpeedException.class, r::orThrow);
    assertTrue(e.getMessage().startsWith("SparkSpeed cannot start the training stage:"));
  }

  @Test
  void anUnboundedBarrierWaitIsAWarning() {
    ClusterView v = new ClusterView("local[2]", false, 1, 0, 1, 2, 2, 0, 0, -1);
    Preflight.Report r = check(v, 2, DS);
    assertEquals(0, r.errors().size());
    assertTrue(
        r.warnings().get(0).contains("spark.barrier.sync.timeout=300s"), r.warnings().toString());
    assertEquals(0, check(local("local[2]"), 2, DS).warnings().size());
  }
}
