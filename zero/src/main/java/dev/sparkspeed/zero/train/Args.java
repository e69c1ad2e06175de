package dev.sparkspeed.zero.train;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** "--key value" and "--flag" command-line options, checked against the options a command knows. */
public final class Args {
  private final Map<String, String> values = new HashMap<>();

  /**
   * @param known option names without dashes; a name ending in '!' is a flag without a value
   */
  public Args(String[] argv, int from, Set<String> known) {
    for (int i = from; i < argv.length; i++) {
      String a = argv[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException(
            "unexpected argument '" + a + "'; options start with --");
      }
      String key = a.substring(2);
      int eq = key.indexOf('=');
      if (eq >= 0) {
        check(known, key.substring(0, eq));
        values.put(key.substring(0, eq), key.substring(eq + 1));
      } else if (known.contains(key + "!")) {
        values.put(key, "true");
      } else {
        check(known, key);
        if (i + 1 >= argv.length) {
          throw new IllegalArgumentException("option --" + key + " needs a value");
        }
        values.put(key, argv[++i]);
      }
    }
  }

  private static void check(Set<String> known, String key) {
    if (!known.contains(key)) {
      throw new IllegalArgumentException(
          "unknown option --"
              + key
              + "; known: "
              + known.stream().map(k -> "--" + k.replace("!", "")).sorted().toList());
    }
  }

  public String get(String key, String dflt) {
    return values.getOrDefault(key, dflt);
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  public int getInt(String key, int dflt) {
    String v = values.get(key);
    try {
      return v == null ? dflt : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " expects an integer, got '" + v + "'");
    }
  }

  public double getDouble(String key, double dflt) {
    String v = values.get(key);
    try {
      return v == null ? dflt : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " expects a number, got '" + v + "'");
    }
  }

  public boolean flag(String key) {
    return values.containsKey(key);
  }
}
