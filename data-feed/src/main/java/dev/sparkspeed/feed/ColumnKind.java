package dev.sparkspeed.feed;

/**
 * What a feed column holds, and so how it is laid out in the Arrow record batches the feed reads.
 * The Spark types each kind accepts are listed per constant; the Arrow type is what the batchers
 * expect.
 */
public enum ColumnKind {
  /** Token ids: Spark {@code array<int>}; Arrow {@code list<int32>}. */
  TOKEN_IDS("array<int> (token ids)"),
  /** Raw text for a tokenizer: Spark {@code string}; Arrow {@code utf8}. */
  TEXT("string (text)"),
  /**
   * A fixed-width feature vector: Spark ML {@code vector} (dense or sparse), {@code array<float>}
   * or {@code array<double>}; Arrow {@code fixed_size_list<float32>[width]}.
   */
  FEATURES("vector, array<float> or array<double> (features)"),
  /**
   * A numeric label: Spark {@code int}, {@code bigint}, {@code float} or {@code double}; Arrow
   * {@code float64}.
   */
  LABEL("int, bigint, float or double (label)");

  private final String expected;

  ColumnKind(String expected) {
    this.expected = expected;
  }

  /** The Spark types this kind accepts, as shown in error messages. */
  public String expected() {
    return expected;
  }
}
