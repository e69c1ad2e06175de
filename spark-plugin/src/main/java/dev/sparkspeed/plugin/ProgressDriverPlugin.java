package dev.sparkspeed.plugin;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver side of {@link SparkSpeedPlugin}: receives every rank's {@link RankProgress} and
 * prints one line per reported step once all ranks have reported it (see {@link ProgressBoard}).
 */
final class ProgressDriverPlugin implements DriverPlugin {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressDriverPlugin.class);
  private static final int KEPT_LINES = 1000;
  private static final Deque<String> RECENT = new ArrayDeque<>();

  private final ProgressBoard board = new ProgressBoard();

  @Override
  public Map<String, String> init(SparkContext sc, PluginContext ctx) {
    synchronized (RECENT) {
      RECENT.clear();
    }
    return Map.of();
  }

  @Override
  public Object receive(Object message) {
    if (message instanceof RankProgress p) {
      board.accept(p).ifPresent(ProgressDriverPlugin::print);
    } else {
      LOG.warn("ignoring a message of type {} sent to the SparkSpeed plugin", message.getClass());
    }
    return null;
  }

  private static void print(String line) {
    System.out.println(line);
    synchronized (RECENT) {
      if (RECENT.size() == KEPT_LINES) {
        RECENT.removeFirst();
      }
      RECENT.addLast(line);
    }
  }

  /** The last progress lines this JVM's driver plugin printed, oldest first. */
  static List<String> recentLines() {
    synchronized (RECENT) {
      return List.copyOf(RECENT);
    }
  }
}
