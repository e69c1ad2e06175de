package dev.sparkspeed.feed.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ByteTokenizerTest {
  @Test
  void idsAreUtf8BytesAndEotIsOptional() {
    ByteTokenizer plain = new ByteTokenizer(false);
    ByteTokenizer eot = new ByteTokenizer(true);
    assertArrayEquals(new int[] {97, 0xC3, 0xA9, 0xE2, 0x9C, 0x93}, plain.encode("aé✓"));
    assertEquals(256, plain.vocabSize());
    assertEquals(-1, plain.eotId());
    assertEquals(257, eot.vocabSize());
    assertEquals(256, eot.eotId());
    assertEquals("aé<|endoftext|>b", eot.decode(new int[] {97, 0xC3, 0xA9, 256, 98}));
  }

  @Test
  void decodeRoundTripsAndReplacesCutCharacters() {
    ByteTokenizer tok = new ByteTokenizer(false);
    String s = "Grüße, 世界! 🎉\n";
    assertEquals(s, tok.decode(tok.encode(s)));
    assertEquals("a\uFFFD", tok.decode(new int[] {97, 0xE2, 0x9C}));
    assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {256}));
  }
}
