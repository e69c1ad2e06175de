package dev.sparkspeed.plugin;

import java.util.Map;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;

/** The executor side of {@link SparkSpeedPlugin}: starts and stops {@link ExecutorRuntime}. */
final class RankExecutorPlugin implements ExecutorPlugin {
  @Override
  public void init(PluginContext ctx, Map<String, String> extraConf) {
    ExecutorRuntime.start(ctx);
  }

  @Override
  public void shutdown() {
    ExecutorRuntime.stop();
  }
}
