package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.backend.Backend;
import java.util.List;

/**
 * One part of {@link GpuCheck}: kernel parity, a GEMM benchmark, a model step, a comparison with
 * another framework. Sections run in order on one GPU backend and one CPU reference backend.
 */
public interface CheckSection {

  /** Short name shown in the table's first column, e.g. "parity". */
  String name();

  /**
   * Runs the checks of this section.
   *
   * @param gpu the backend under test
   * @param cpu the reference backend
   * @return one row per check
   * @throws Exception a failure that stops this section (reported as one failed row; later sections
   *     still run)
   */
  List<Row> run(Backend gpu, Backend cpu) throws Exception;

  /** How a row's value is judged against its limit. */
  enum Bound {
    /** A figure with no limit. */
    NONE(""),
    /** An error: passes when value ≤ limit. */
    AT_MOST("≤ "),
    /** A rate or a ratio: passes when value ≥ limit. */
    AT_LEAST("≥ ");

    private final String symbol;

    Bound(String symbol) {
      this.symbol = symbol;
    }

    /** "≤ ", "≥ " or "" to print before the limit. */
    public String symbol() {
      return symbol;
    }
  }

  /**
   * One line of the report.
   *
   * @param check what was checked, e.g. "layerNormBackward fp32"
   * @param value the measured figure (an error, a throughput)
   * @param unit what value counts, e.g. "rel err" or "TFLOP/s"
   * @param bound how value is compared with limit
   * @param limit the bound value must meet ({@code NaN} for a figure with no bound)
   * @param pass whether the check passed (true for figures with no bound)
   */
  record Row(String check, double value, String unit, Bound bound, double limit, boolean pass) {
    /** An error bounded above by limit (NaN fails). */
    public static Row atMost(String check, double value, String unit, double limit) {
      return new Row(check, value, unit, Bound.AT_MOST, limit, value <= limit);
    }

    /** A figure that must reach limit (NaN fails). */
    public static Row atLeast(String check, double value, String unit, double limit) {
      return new Row(check, value, unit, Bound.AT_LEAST, limit, value >= limit);
    }

    /** A measured figure without a bound. */
    public static Row figure(String check, double value, String unit) {
      return new Row(check, value, unit, Bound.NONE, Double.NaN, true);
    }
  }
}
