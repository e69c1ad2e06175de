package dev.sparkspeed.trainer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/**
 * What the driver can see of the cluster before launching a barrier stage: the settings that decide
 * how many tasks can run at once and whether they get GPUs.
 *
 * @param master the master URL
 * @param dynamicAllocation {@code spark.dynamicAllocation.enabled}
 * @param taskCpus {@code spark.task.cpus}
 * @param executorCores {@code spark.executor.cores}, or 0 when unset
 * @param executors executors registered now (the driver not counted)
 * @param defaultParallelism {@code SparkContext.defaultParallelism()}: total cores on a cluster
 * @param localCores processors of this machine, for {@code local[*]}
 * @param taskGpus {@code spark.task.resource.gpu.amount}, or 0 when unset
 * @param executorGpus {@code spark.executor.resource.gpu.amount} (in local mode {@code
 *     spark.driver.resource.gpu.amount}), or 0 when unset
 * @param barrierSyncTimeoutSeconds {@code spark.barrier.sync.timeout}, or -1 when unset
 */
public record ClusterView(
    String master,
    boolean dynamicAllocation,
    int taskCpus,
    int executorCores,
    int executors,
    int defaultParallelism,
    int localCores,
    double taskGpus,
    double executorGpus,
    long barrierSyncTimeoutSeconds) {

  private static final Pattern LOCAL = Pattern.compile("local\\[(\\*|\\d+)(?:,\\s*\\d+)?]");
  private static final Pattern LOCAL_CLUSTER =
      Pattern.compile("local-cluster\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,\\s*\\d+\\s*]");

  /** Reads the settings and the registered executors from a running context. */
  public static ClusterView of(SparkContext sc) {
    SparkConf c = sc.getConf();
    boolean local = sc.isLocal();
    int executors = Math.max(0, sc.statusTracker().getExecutorInfos().length - (local ? 0 : 1));
    return new ClusterView(
        sc.master(),
        c.getBoolean("spark.dynamicAllocation.enabled", false),
        c.getInt("spark.task.cpus", 1),
        c.getInt("spark.executor.cores", 0),
        executors,
        sc.defaultParallelism(),
        Runtime.getRuntime().availableProcessors(),
        c.getDouble("spark.task.resource.gpu.amount", 0),
        c.getDouble(
            local ? "spark.driver.resource.gpu.amount" : "spark.executor.resource.gpu.amount", 0),
        c.contains("spark.barrier.sync.timeout")
            ? c.getTimeAsSeconds("spark.barrier.sync.timeout")
            : -1);
  }

  /** True for local[...] and local (one JVM, the driver's). */
  public boolean isLocal() {
    return master.equals("local") || master.startsWith("local[");
  }

  /** How many tasks of one stage can run at the same time. */
  public int taskSlots() {
    int tc = Math.max(1, taskCpus);
    Matcher m = LOCAL.matcher(master);
    Matcher lc = LOCAL_CLUSTER.matcher(master);
    int slots;
    if (master.equals("local")) {
      slots = 1 / tc;
    } else if (m.matches()) {
      slots = (m.group(1).equals("*") ? localCores : Integer.parseInt(m.group(1))) / tc;
    } else if (lc.matches()) {
      slots =
          Math.min(executors, Integer.parseInt(lc.group(1))) * (Integer.parseInt(lc.group(2)) / tc);
    } else if (executorCores > 0) {
      slots = executors * (executorCores / tc);
    } else {
      slots = defaultParallelism / tc;
    }
    if (taskGpus > 0 && executorGpus > 0) {
      int perExecutor = (int) Math.floor(executorGpus / taskGpus + 1e-9);
      slots = Math.min(slots, perExecutor * (isLocal() ? 1 : executors));
    }
    return slots;
  }

  /** The settings {@link #taskSlots()} came from, for messages. */
  public String slotSettings() {
    return "master "
        + master
        + ", executors "
        + executors
        + ", spark.executor.cores "
        + (executorCores > 0 ? executorCores : "unset")
        + ", spark.task.cpus "
        + taskCpus
        + ", defaultParallelism "
        + defaultParallelism
        + (taskGpus > 0
            ? ", spark.task.resource.gpu.amount " + taskGpus + ", GPUs per executor " + executorGpus
            : "");
  }
}
