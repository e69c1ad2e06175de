package dev.sparkspeed.feed.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Text to token ids and back. Implementations are immutable after construction apart from caches,
 * and safe to share between threads.
 */
public interface Tokenizer {
  /** Number of distinct ids, including special tokens: every id is in [0, vocabSize). */
  int vocabSize();

  /** The end-of-text id placed between documents, or -1 when the tokenizer has none. */
  int eotId();

  /** The ids of {@code text}; special-token strings in the text are encoded as plain text. */
  int[] encode(String text);

  /** The ids of UTF-8 bytes; tokenizers that work on bytes override this to skip decoding. */
  default int[] encodeUtf8(byte[] utf8) {
    return encode(new String(utf8, StandardCharsets.UTF_8));
  }

  /**
   * The text of {@code ids}. Byte sequences that are not valid UTF-8 (ids cut mid-character) become
   * U+FFFD. Fails on an id outside the vocabulary, naming it.
   */
  String decode(int[] ids);
}
