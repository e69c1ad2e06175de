package dev.sparkspeed.zero.backend.cuda;

import dev.sparkspeed.zero.backend.TimeTable;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;

/**
 * Device time per kernel and per GEMM shape, from a pair of events recorded on the backend's stream
 * around each launch while timing is on. Off by default: then {@link #begin} and {@link #end} do
 * nothing. Events are pooled and drained (one wait) when the pool is full or a report is asked for,
 * so timing a whole training step adds no waits between launches.
 */
final class KernelTimer implements AutoCloseable {
  private static final int MAX_PAIRS = 4096;

  private final CUstream_st stream;
  private final List<CUevent_st> events = new ArrayList<>();
  private final List<String> labels = new ArrayList<>();
  private final TimeTable totals = new TimeTable();
  private boolean on;

  KernelTimer(CUstream_st stream) {
    this.stream = stream;
  }

  /** Starts or stops recording; totals kept so far stay until {@link #report}. */
  void enable(boolean timing) {
    on = timing;
  }

  /** Before a launch: records its start event under {@code label}. */
  void begin(String label) {
    if (!on) {
      return;
    }
    if (labels.size() == MAX_PAIRS) {
      drain();
    }
    int i = labels.size();
    labels.add(label);
    Cuda.record(event(2 * i), stream);
  }

  /** After the launch {@link #begin} announced. */
  void end() {
    if (!on) {
      return;
    }
    Cuda.record(event(2 * labels.size() - 1), stream);
  }

  private CUevent_st event(int i) {
    while (events.size() <= i) {
      events.add(Cuda.createEvent(true));
    }
    return events.get(i);
  }

  private void drain() {
    if (labels.isEmpty()) {
      return;
    }
    Cuda.waitFor(events.get(2 * labels.size() - 1));
    for (int i = 0; i < labels.size(); i++) {
      totals.add(labels.get(i), Cuda.elapsedMillis(events.get(2 * i), events.get(2 * i + 1)));
    }
    labels.clear();
  }

  /**
   * The {@code top} labels by device time since the last report, then clears the totals: label,
   * launches, milliseconds, share of the timed total.
   */
  List<String> report(int top) {
    drain();
    List<String> lines = totals.lines("device time in kernels", top);
    totals.clear();
    return lines;
  }

  @Override
  public void close() {
    for (CUevent_st e : events) {
      Cuda.destroyEvent(e);
    }
    events.clear();
  }
}
