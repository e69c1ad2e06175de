package dev.sparkspeed.trainer.rank;

import java.util.Map;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.resource.ResourceInformation;

/** A rank run by a Spark barrier task. */
final class SparkRankContext implements RankContext {
  private final BarrierTaskContext ctx;

  SparkRankContext(BarrierTaskContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public int rank() {
    return ctx.partitionId();
  }

  @Override
  public int world() {
    return ctx.numPartitions();
  }

  @Override
  public int stageAttempt() {
    return ctx.stageAttemptNumber();
  }

  @Override
  public int cpus() {
    return ctx.cpus();
  }

  /** The first address of the task's "gpu" resource, when Spark scheduled one. */
  @Override
  public int gpu() {
    Map<String, ResourceInformation> res = ctx.resourcesJMap();
    ResourceInformation gpu = res == null ? null : res.get("gpu");
    if (gpu == null || gpu.addresses().length == 0) {
      return -1;
    }
    String a = gpu.addresses()[0];
    try {
      return Integer.parseInt(a.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "GPU address '" + a + "' from the discovery script is not a device index", e);
    }
  }

  /** The address this executor's block manager advertises (honours SPARK_LOCAL_IP). */
  @Override
  public String host() {
    return SparkEnv.get().blockManager().blockManagerId().host();
  }

  @Override
  public String[] allGather(String message) {
    return ctx.allGather(message);
  }

  @Override
  public void barrier() {
    ctx.barrier();
  }

  @Override
  public void checkCancelled() {
    ctx.killTaskIfInterrupted();
  }
}
