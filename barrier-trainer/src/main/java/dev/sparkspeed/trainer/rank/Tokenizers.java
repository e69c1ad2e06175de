package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.feed.tokenizer.ByteTokenizer;
import dev.sparkspeed.feed.tokenizer.Gpt2BpeTokenizer;
import dev.sparkspeed.feed.tokenizer.Tokenizer;
import java.nio.file.Path;

/** The tokenizer a text column is read with, and the separator placed between rows. */
public final class Tokenizers {
  private Tokenizers() {}

  /**
   * @param name "byte", or the path of a Hugging Face GPT-2 tokenizer.json readable on every
   *     executor
   * @param vocab the model's vocabulary; the tokenizer's must fit in it
   */
  public static Tokenizer open(String name, int vocab) {
    Tokenizer t =
        name.equals("byte")
            ? new ByteTokenizer(vocab > ByteTokenizer.EOT)
            : Gpt2BpeTokenizer.fromTokenizerJson(Path.of(name));
    if (t.vocabSize() > vocab) {
      throw new IllegalArgumentException(
          "tokenizer '"
              + name
              + "' has "
              + t.vocabSize()
              + " ids but the model's vocab_size is "
              + vocab);
    }
    return t;
  }

  /**
   * The id after each row: the tokenizer's end-of-text token, or for the byte tokenizer of a 256-id
   * model (no room for one) a newline, since rows are usually lines; -1 for none.
   */
  public static int separator(Tokenizer t, int vocab) {
    if (t.eotId() >= 0 && t.eotId() < vocab) {
      return t.eotId();
    }
    return t instanceof ByteTokenizer ? '\n' : -1;
  }
}
