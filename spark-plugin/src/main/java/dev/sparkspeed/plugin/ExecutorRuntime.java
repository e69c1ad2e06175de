package dev.sparkspeed.plugin;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import org.apache.spark.api.plugin.PluginContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link SparkSpeedPlugin} sets up once per executor JVM: the native compute libraries, loaded
 * before the first task so a barrier stage does not wait for each rank to load them, and the
 * training gauges in Spark's metrics system ({@code plugin.dev.sparkspeed.plugin.
 * SparkSpeedPlugin.<name>}): step, loss, tokensPerSecond, stepSeconds, lossScale, modelStateBytes,
 * backendBytes. The gauges show the latest report of any rank on this executor.
 *
 * <p>Training works without the plugin: {@link #current()} is then empty and ranks only log.
 */
public final class ExecutorRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorRuntime.class);
  private static final AtomicReference<ExecutorRuntime> CURRENT = new AtomicReference<>();

  private final PluginContext ctx;
  private final AtomicReference<RankProgress> latest = new AtomicReference<>();

  private ExecutorRuntime(PluginContext ctx) {
    this.ctx = ctx;
  }

  /** Loads the native libraries and registers the gauges; called by the executor plugin. */
  static ExecutorRuntime start(PluginContext ctx) {
    long t0 = System.nanoTime();
    int threads = CpuBackend.setBlasThreads(Math.max(1, ctx.conf().getInt("spark.task.cpus", 1)));
    ExecutorRuntime rt = new ExecutorRuntime(ctx);
    rt.register(ctx.metricRegistry());
    CURRENT.set(rt);
    LOG.info(
        "SparkSpeed executor {}: CPU backend ready (OpenBLAS {} threads) in {} ms",
        ctx.executorID(),
        threads,
        (System.nanoTime() - t0) / 1_000_000);
    return rt;
  }

  /** Forgets this executor's runtime; called at executor shutdown. */
  static void stop() {
    CURRENT.set(null);
  }

  /** The runtime when the plugin is configured ({@code spark.plugins}), else empty. */
  public static Optional<ExecutorRuntime> current() {
    return Optional.ofNullable(CURRENT.get());
  }

  private void register(MetricRegistry registry) {
    registry.register(
        "step",
        (Gauge<Long>)
            () -> {
              RankProgress p = latest.get();
              return p == null ? 0L : p.step();
            });
    gauge(registry, "loss", RankProgress::loss);
    gauge(registry, "tokensPerSecond", RankProgress::tokensPerSecond);
    gauge(registry, "stepSeconds", RankProgress::stepSeconds);
    gauge(registry, "lossScale", RankProgress::lossScale);
    gauge(registry, "modelStateBytes", p -> p.modelStateBytes());
    gauge(registry, "backendBytes", p -> p.backendBytes());
  }

  private void gauge(MetricRegistry registry, String name, ToDoubleFunction<RankProgress> f) {
    registry.register(name, (Gauge<Double>) () -> latestOr(f));
  }

  private Double latestOr(ToDoubleFunction<RankProgress> f) {
    RankProgress p = latest.get();
    return p == null ? 0.0 : f.applyAsDouble(p);
  }

  /**
   * Updates the gauges and sends the report to the driver plugin. A report that cannot be sent is
   * logged and dropped: progress display never fails training.
   */
  public void publish(RankProgress p) {
    latest.set(p);
    try {
      ctx.send(p);
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot send rank {} progress to the driver: {}", p.rank(), e.toString());
    }
  }

  /** The latest report published on this executor, if any. */
  public Optional<RankProgress> latest() {
    return Optional.ofNullable(latest.get());
  }
}
