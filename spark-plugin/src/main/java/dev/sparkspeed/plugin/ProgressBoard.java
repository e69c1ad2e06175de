package dev.sparkspeed.plugin;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Collects the ranks' {@link RankProgress} reports on the driver and turns each step that every
 * rank has reported into one progress line: step, loss, tokens per second summed over the ranks,
 * the slowest rank's step time and the time left at that pace. Reports of a step some rank never
 * sends (it failed) are dropped once more than {@link #PENDING_LIMIT} steps are pending. Safe to
 * call from several threads.
 */
public final class ProgressBoard {
  /** Pending (run, step) entries kept at most. */
  static final int PENDING_LIMIT = 256;

  private record Key(String runId, long step) {}

  private static final class Pending {
    int reported;
    double tokensPerSecond;
    double slowestStep;
    RankProgress first;
  }

  private final Map<Key, Pending> pending =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Pending> eldest) {
          return size() > PENDING_LIMIT;
        }
      };

  /** Adds one report; returns the step's line once all of its ranks have reported. */
  public synchronized Optional<String> accept(RankProgress p) {
    Key key = new Key(p.runId(), p.step());
    Pending s = pending.computeIfAbsent(key, k -> new Pending());
    if (s.first == null) {
      s.first = p;
    }
    s.reported++;
    s.tokensPerSecond += p.tokensPerSecond();
    s.slowestStep = Math.max(s.slowestStep, p.stepSeconds());
    if (s.reported < p.world()) {
      return Optional.empty();
    }
    pending.remove(key);
    return Optional.of(line(s.first, s.tokensPerSecond, s.slowestStep));
  }

  /** Entries waiting for more ranks. */
  synchronized int pendingCount() {
    return pending.size();
  }

  static String line(RankProgress p, double tokensPerSecond, double stepSeconds) {
    long left = p.totalSteps() - p.step();
    Duration eta = Duration.ofMillis(Math.round(left * stepSeconds * 1000));
    return String.format(
        Locale.ROOT,
        "sparkspeed step %d/%d  loss %.4f  %.0f tokens/s  %.3f s/step  loss scale %.0f  ETA %s",
        p.step(),
        p.totalSteps(),
        p.loss(),
        tokensPerSecond,
        stepSeconds,
        p.lossScale(),
        hms(eta));
  }

  static String hms(Duration d) {
    long s = d.toSeconds();
    return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  }
}
