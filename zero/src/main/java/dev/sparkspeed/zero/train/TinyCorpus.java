package dev.sparkspeed.zero.train;

import java.util.SplittableRandom;

/**
 * A generated English-like corpus for the quickstart: sentences from a small grammar, so a small
 * GPT visibly learns spelling, word order and punctuation within a few hundred steps, with no
 * download.
 */
public final class TinyCorpus {
  private static final String[] SUBJECTS = {
    "the cat",
    "a dog",
    "the old man",
    "my sister",
    "the farmer",
    "a small bird",
    "the teacher",
    "our neighbour",
    "the river",
    "a child"
  };
  private static final String[] VERBS = {
    "sees",
    "likes",
    "follows",
    "paints",
    "finds",
    "carries",
    "watches",
    "remembers",
    "builds",
    "visits"
  };
  private static final String[] OBJECTS = {
    "the red house", "a green field", "the quiet lake", "an apple", "the long road",
    "a wooden boat", "the tall tree", "a warm bed", "the morning sun", "a blue door"
  };
  private static final String[] ENDINGS = {
    "", " every day", " in the evening", " after the rain", " with great care", " again"
  };

  private TinyCorpus() {}

  /** About {@code chars} characters of text, the same for the same seed. */
  public static String generate(int chars, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder(chars + 100);
    while (sb.length() < chars) {
      String s =
          pick(r, SUBJECTS) + " " + pick(r, VERBS) + " " + pick(r, OBJECTS) + pick(r, ENDINGS);
      sb.append(Character.toUpperCase(s.charAt(0))).append(s, 1, s.length()).append(". ");
      if (r.nextInt(5) == 0) {
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  private static String pick(SplittableRandom r, String[] a) {
    return a[r.nextInt(a.length)];
  }
}
