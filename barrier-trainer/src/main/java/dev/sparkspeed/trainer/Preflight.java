package dev.sparkspeed.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkspeed.zero.config.ConfigException;
import dev.sparkspeed.zero.config.DeepSpeedConfig;
import dev.sparkspeed.zero.config.SparkSpeedConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's checks before it launches the barrier stage. Spark itself would either reject the
 * stage with a generic message or, with too few task slots, retry scheduling for minutes; these
 * checks fail at once and name the setting to change. Every problem is reported, not just the
 * first.
 */
public final class Preflight {
  private static final Logger LOG = LoggerFactory.getLogger(Preflight.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The outcome.
   *
   * @param errors problems that stop the run, each naming its setting
   * @param warnings settings worth changing that do not stop the run
   * @param config the resolved DeepSpeed config; null when it has errors
   */
  public record Report(List<String> errors, List<String> warnings, DeepSpeedConfig config) {
    public Report {
      errors = List.copyOf(errors);
      warnings = List.copyOf(warnings);
    }

    /** Throws when there are errors; returns the resolved config otherwise. */
    public DeepSpeedConfig orThrow() {
      if (!errors.isEmpty()) {
        throw new SparkSpeedException(
            "SparkSpeed cannot start the training stage:\n  - " + String.join("\n  - ", errors));
      }
      return config;
    }
  }

  private Preflight() {}

  /**
   * Checks the cluster settings, the DeepSpeed config and the batch split for {@code world} ranks.
   *
   * @param deepspeedJson the config text
   * @param maxSteps planned optimizer steps (for "auto" values), 0 when unknown
   */
  public static Report check(
      ClusterView v,
      int world,
      String deepspeedJson,
      ModelSpec model,
      long maxSteps,
      Duration rendezvousTimeout) {
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    if (v.dynamicAllocation()) {
      errors.add(
          "spark.dynamicAllocation.enabled is true, but a barrier stage needs its executors for"
              + " the whole run: set spark.dynamicAllocation.enabled=false");
    }
    int slots = v.taskSlots();
    if (slots < world) {
      errors.add(
          "world size "
              + world
              + " needs "
              + world
              + " task slots at once, but only "
              + slots
              + " are available ("
              + v.slotSettings()
              + "); lower the world size, or raise spark.executor.cores / the executor count, or"
              + " lower spark.task.cpus");
    }
    checkGpus(v, errors);
    DeepSpeedConfig cfg = null;
    if (checkDivisible(deepspeedJson, world, errors)) {
      try {
        cfg = DeepSpeedText.parse(deepspeedJson, world, model, maxSteps);
        checkDevice(cfg, v, errors);
      } catch (ConfigException e) {
        errors.add(e.getMessage());
      }
    }
    long limit = rendezvousTimeout.toSeconds();
    if (v.barrierSyncTimeoutSeconds() < 0) {
      warnings.add(
          "spark.barrier.sync.timeout is unset, so Spark's barrier calls may wait up to a year;"
              + " the training rendezvous gives up after "
              + limit
              + " s on its own, but set spark.barrier.sync.timeout="
              + limit
              + "s to bound Spark's wait as well");
    }
    return new Report(errors, warnings, errors.isEmpty() ? cfg : null);
  }

  private static void checkGpus(ClusterView v, List<String> errors) {
    if (v.isLocal() && v.taskGpus() > 0) {
      // Local mode offers its one executor's cores but never its resources, so a task that asks
      // for a GPU is never launched and the barrier stage waits forever.
      errors.add(
          "spark.task.resource.gpu.amount is "
              + v.taskGpus()
              + ", but Spark's local mode ("
              + v.master()
              + ") cannot give GPUs to tasks, so the ranks would never start: remove it (with"
              + " \"device\": \"cuda\" rank r then uses GPU r), or use local-cluster or a"
              + " cluster manager");
      return;
    }
    if (v.taskGpus() > 0 && v.executorGpus() <= 0) {
      errors.add(
          "spark.task.resource.gpu.amount is "
              + v.taskGpus()
              + " but "
              + (v.isLocal()
                  ? "spark.driver.resource.gpu.amount"
                  : "spark.executor.resource.gpu.amount")
              + " is not set: GPUs are requested but not configured; set it (with its"
              + " discoveryScript) or remove spark.task.resource.gpu.amount");
    }
    if (v.taskGpus() > 0 && v.taskGpus() < 1) {
      errors.add(
          "spark.task.resource.gpu.amount is "
              + v.taskGpus()
              + ", which lets several ranks share one GPU; set it to 1 (one GPU per rank)");
    }
  }

  private static void checkDevice(DeepSpeedConfig cfg, ClusterView v, List<String> errors) {
    if (cfg.sparkspeed().device() == SparkSpeedConfig.Device.CUDA
        && v.taskGpus() <= 0
        && !v.isLocal()) {
      errors.add(
          "sparkspeed.device is \"cuda\" but spark.task.resource.gpu.amount is not set, so the"
              + " ranks get no GPU: set spark.task.resource.gpu.amount=1 and"
              + " spark.executor.resource.gpu.amount (with"
              + " spark.executor.resource.gpu.discoveryScript), or use \"device\": \"auto\"");
    }
  }

  /**
   * A train_batch_size the world size does not divide, said plainly before the batch rule; false
   * when it found one.
   */
  private static boolean checkDivisible(String json, int world, List<String> errors) {
    JsonNode tb;
    try {
      tb = JSON.readTree(json).get("train_batch_size");
    } catch (Exception e) {
      return true; // the config parser reports malformed JSON with its position
    }
    if (tb != null && tb.canConvertToLong() && tb.asLong() % world != 0) {
      errors.add(
          "train_batch_size "
              + tb.asLong()
              + " is not divisible by the world size "
              + world
              + ": every rank takes an equal share of the global batch; change"
              + " train_batch_size or the world size");
      return false;
    }
    return true;
  }

  /**
   * Waits up to {@code wait} for enough executors to register (a cluster starts them
   * asynchronously), then checks and logs; throws {@link SparkSpeedException} on errors.
   *
   * @return the resolved DeepSpeed config
   */
  public static DeepSpeedConfig run(
      SparkContext sc, TrainOptions o, String deepspeedJson, ModelSpec model, Duration wait) {
    ClusterView v = ClusterView.of(sc);
    long deadline = System.nanoTime() + wait.toNanos();
    while (!v.isLocal() && v.taskSlots() < o.worldSize() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      v = ClusterView.of(sc);
    }
    Report r = check(v, o.worldSize(), deepspeedJson, model, o.maxSteps(), o.rendezvousTimeout());
    r.warnings().forEach(w -> LOG.warn("{}", w));
    return r.orThrow();
  }
}
