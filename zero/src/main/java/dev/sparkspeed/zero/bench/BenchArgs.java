package dev.sparkspeed.zero.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** "--name value" and "--flag" command-line options of the benchmark programs. */
final class BenchArgs {
  private final Map<String, String> values = new HashMap<>();
  private final String usage;

  /**
   * @param flags options that take no value
   * @param known every accepted option, flags included, without the leading "--"
   */
  BenchArgs(String[] args, Set<String> flags, Set<String> known, String usage) {
    this.usage = usage;
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || !known.contains(args[i].substring(2))) {
        throw new IllegalArgumentException("unknown option '" + args[i] + "'\n" + usage);
      }
      String name = args[i].substring(2);
      if (flags.contains(name)) {
        values.put(name, "true");
      } else if (i + 1 < args.length) {
        values.put(name, args[++i]);
      } else {
        throw new IllegalArgumentException("option --" + name + " needs a value\n" + usage);
      }
    }
  }

  int intValue(String name, int dflt) {
    String v = values.get(name);
    try {
      return v == null ? dflt : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " " + v + " is not an integer\n" + usage, e);
    }
  }

  String string(String name, String dflt) {
    return values.getOrDefault(name, dflt);
  }

  boolean flag(String name) {
    return values.containsKey(name);
  }

  /** The median of {@code v} (sorted copy). */
  static double median(double[] v) {
    double[] s = v.clone();
    java.util.Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
