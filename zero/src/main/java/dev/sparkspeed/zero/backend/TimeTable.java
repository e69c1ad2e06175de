package dev.sparkspeed.zero.backend;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Time summed per label (a kernel, a GEMM shape, a backend call) with a count of occurrences,
 * printed largest first as a share of the total: where a step's time went.
 */
public final class TimeTable {
  private final Map<String, double[]> rows = new HashMap<>(); // label -> {count, milliseconds}

  /** Adds one occurrence of {@code label} that took {@code millis}. */
  public void add(String label, double millis) {
    double[] r = rows.computeIfAbsent(label, k -> new double[2]);
    r[0]++;
    r[1] += millis;
  }

  /**
   * A first line "{@code title} T ms", then the {@code top} labels by time: label, count,
   * milliseconds, share of the total.
   */
  public List<String> lines(String title, int top) {
    double total = rows.values().stream().mapToDouble(r -> r[1]).sum();
    List<Map.Entry<String, double[]>> sorted = new ArrayList<>(rows.entrySet());
    sorted.sort((a, b) -> Double.compare(b.getValue()[1], a.getValue()[1]));
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "%s %.2f ms", title, total));
    for (Map.Entry<String, double[]> e : sorted.subList(0, Math.min(top, sorted.size()))) {
      double[] r = e.getValue();
      lines.add(
          String.format(
              Locale.ROOT,
              "  %-52s %6d calls %9.3f ms %5.1f%%",
              e.getKey(),
              (long) r[0],
              r[1],
              100 * r[1] / Math.max(1e-9, total)));
    }
    return lines;
  }

  /** Forgets every label. */
  public void clear() {
    rows.clear();
  }
}
