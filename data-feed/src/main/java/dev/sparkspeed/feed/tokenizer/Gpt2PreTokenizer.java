package dev.sparkspeed.feed.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's pre-tokenization: splits text into the pieces BPE runs on, so merges never cross a word,
 * number or punctuation boundary. The pattern is GPT-2's: English contractions, an optional space
 * followed by letters, by digits or by other symbols, then runs of whitespace where a run before a
 * word leaves its last space to that word.
 *
 * <p>Java's {@code \s} is ASCII-only, so whitespace is spelled out as Unicode's White_Space set,
 * which is what GPT-2's regex library matches.
 */
final class Gpt2PreTokenizer {
  private static final String WS =
      "\\t-\\r\\x20\\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";

  static final Pattern PATTERN =
      Pattern.compile(
          "'s|'t|'re|'ve|'m|'ll|'d"
              + "| ?\\p{L}+"
              + "| ?\\p{N}+"
              + "| ?[^"
              + WS
              + "\\p{L}\\p{N}]+"
              + "|["
              + WS
              + "]+(?![^"
              + WS
              + "])"
              + "|["
              + WS
              + "]+");

  private Gpt2PreTokenizer() {}

  /** The pieces of {@code text}, in order; concatenated they give back the text. */
  static List<String> split(String text) {
    List<String> pieces = new ArrayList<>();
    Matcher m = PATTERN.matcher(text);
    while (m.find()) {
      pieces.add(m.group());
    }
    return pieces;
  }
}
