package dev.sparkspeed.zero.config;

import java.util.Collection;
import java.util.Optional;

/** Finds the valid key a misspelt one most likely meant, by Levenshtein distance. */
final class NearestKey {
  private NearestKey() {}

  /**
   * The closest candidate, or empty when none is close enough to be a plausible typo: at most a
   * third of the key's length in edits (at least 2), or one key being a prefix of the other, so
   * that {@code "stagee"} finds {@code "stage"} but {@code "foo"} suggests nothing.
   */
  static Optional<String> of(String key, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(key.toLowerCase(), c.toLowerCase());
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    boolean prefix = best.startsWith(key) || key.startsWith(best);
    boolean close = bestDistance <= Math.max(2, (key.length() + 2) / 3);
    return prefix || close ? Optional.of(best) : Optional.empty();
  }

  /** Edit distance with unit costs for insertion, deletion and substitution. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
