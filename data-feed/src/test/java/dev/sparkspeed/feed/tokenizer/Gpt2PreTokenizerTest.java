package dev.sparkspeed.feed.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class Gpt2PreTokenizerTest {
  @Test
  void splitsLikeGpt2() {
    assertEquals(
        List.of("I", "'m", " ", " there", "!", "\n"), Gpt2PreTokenizer.split("I'm  there!\n"));
    assertEquals(
        List.of("Hello", ",", " 2024", " worlds", "...", " they", "'re"),
        Gpt2PreTokenizer.split("Hello, 2024 worlds... they're"));
    assertEquals(List.of("naïve", " café", " 東京"), Gpt2PreTokenizer.split("naïve café 東京"));
    // A run of spaces before a word leaves its last space to the word; trailing runs stay whole.
    assertEquals(List.of("a", "  ", " b", "   "), Gpt2PreTokenizer.split("a   b   "));
    // No-break space (U+00A0) is whitespace for GPT-2's regex, unlike Java's default \s.
    assertEquals(List.of("x", "\u00A0", " y"), Gpt2PreTokenizer.split("x\u00A0 y"));
  }

  @Test
  void byteSymbolsFollowGpt2sTable() {
    assertEquals('Ġ', ByteSymbols.charOf(' '));
    assertEquals('Ā', ByteSymbols.charOf(0));
    assertEquals('Ċ', ByteSymbols.charOf('\n'));
    assertEquals('a', ByteSymbols.charOf('a'));
    assertEquals('ł', ByteSymbols.charOf(0xA0));
    assertEquals('Ń', ByteSymbols.charOf(0xAD));
    for (int b = 0; b < 256; b++) {
      assertEquals(b, ByteSymbols.byteOf(ByteSymbols.charOf(b)));
    }
    assertEquals(-1, ByteSymbols.byteOf('€'));
  }
}
