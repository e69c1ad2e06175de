package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.model.ParamSpec;
import dev.sparkspeed.zero.model.ParameterTable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Each parameter group's flat range [from, to), in layout order. */
final class GroupRanges {
  private final Map<String, long[]> ranges = new HashMap<>();
  private final List<String> order;
  private long maxSize;

  GroupRanges(ParameterTable table) {
    this.order = table.groups();
    for (String g : order) {
      List<ParamSpec> ps = table.group(g);
      long from = ps.get(0).offset();
      long to = ps.get(ps.size() - 1).end();
      ranges.put(g, new long[] {from, to});
      maxSize = Math.max(maxSize, to - from);
    }
  }

  long from(String g) {
    return range(g)[0];
  }

  long to(String g) {
    return range(g)[1];
  }

  long size(String g) {
    long[] r = range(g);
    return r[1] - r[0];
  }

  long maxSize() {
    return maxSize;
  }

  /** The group after g in layout order, or null. */
  String next(String g) {
    int i = order.indexOf(g);
    return i + 1 < order.size() ? order.get(i + 1) : null;
  }

  /** The group before g in layout order, or null. */
  String previous(String g) {
    int i = order.indexOf(g);
    return i > 0 ? order.get(i - 1) : null;
  }

  private long[] range(String g) {
    long[] r = ranges.get(g);
    if (r == null) {
      throw new IllegalArgumentException("unknown parameter group " + g);
    }
    return r;
  }
}
