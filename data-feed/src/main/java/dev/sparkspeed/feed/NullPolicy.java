package dev.sparkspeed.feed;

/** What the feed does with a row whose value in a column is null. */
public enum NullPolicy {
  /** Drop the whole row; the count of dropped rows is reported by the stream. */
  SKIP,
  /** Fail, naming the column and the row's position in the partition. */
  ERROR
}
