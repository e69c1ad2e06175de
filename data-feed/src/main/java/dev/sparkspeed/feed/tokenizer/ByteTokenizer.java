package dev.sparkspeed.feed.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Each UTF-8 byte is one token (ids 0–255), optionally with an end-of-text token 256 (vocabulary
 * 257). Needs no files, so it is the tokenizer for tests, small models and data that is not English
 * prose.
 */
public final class ByteTokenizer implements Tokenizer {
  /** The id of the end-of-text token when enabled. */
  public static final int EOT = 256;

  /** How decode writes the end-of-text token, as GPT-2 does. */
  public static final String EOT_TEXT = "<|endoftext|>";

  private final boolean withEot;

  /**
   * @param withEot whether id 256 exists as an end-of-text token
   */
  public ByteTokenizer(boolean withEot) {
    this.withEot = withEot;
  }

  @Override
  public int vocabSize() {
    return withEot ? 257 : 256;
  }

  @Override
  public int eotId() {
    return withEot ? EOT : -1;
  }

  @Override
  public int[] encode(String text) {
    return encodeUtf8(text.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int[] encodeUtf8(byte[] utf8) {
    int[] ids = new int[utf8.length];
    for (int i = 0; i < utf8.length; i++) {
      ids[i] = utf8[i] & 0xff;
    }
    return ids;
  }

  @Override
  public String decode(int[] ids) {
    StringBuilder out = new StringBuilder();
    ByteArrayOutputStream run = new ByteArrayOutputStream();
    for (int id : ids) {
      if (id >= 0 && id < 256) {
        run.write(id);
      } else if (withEot && id == EOT) {
        out.append(run.toString(StandardCharsets.UTF_8));
        run.reset();
        out.append(EOT_TEXT);
      } else {
        throw new IllegalArgumentException(
            "token id " + id + " is outside the byte tokenizer's vocabulary of " + vocabSize());
      }
    }
    return out.append(run.toString(StandardCharsets.UTF_8)).toString();
  }
}
