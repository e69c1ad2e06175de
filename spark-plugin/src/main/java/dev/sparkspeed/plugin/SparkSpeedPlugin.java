package dev.sparkspeed.plugin;

import java.util.List;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * SparkSpeed's Spark plugin, enabled with {@code spark.plugins=dev.sparkspeed.plugin.
 * SparkSpeedPlugin}. On each executor it loads the compute backend's native libraries once and
 * publishes training gauges ({@link ExecutorRuntime}); on the driver it prints one progress line
 * per {@code steps_per_print} steps from the ranks' reports ({@link ProgressBoard}). Training runs
 * the same without it.
 */
public final class SparkSpeedPlugin implements SparkPlugin {
  /** The value to add to {@code spark.plugins}. */
  public static final String CLASS_NAME = SparkSpeedPlugin.class.getName();

  @Override
  public DriverPlugin driverPlugin() {
    return new ProgressDriverPlugin();
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new RankExecutorPlugin();
  }

  /** The last progress lines the driver plugin of this JVM printed, oldest first. */
  public static List<String> progressLines() {
    return ProgressDriverPlugin.recentLines();
  }
}
