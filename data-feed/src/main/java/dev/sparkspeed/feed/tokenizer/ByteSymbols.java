package dev.sparkspeed.feed.tokenizer;

/**
 * GPT-2's reversible byte-to-character table. Byte-level BPE vocabularies store tokens as strings
 * of these characters: printable Latin-1 bytes stand for themselves, and the 68 others (controls,
 * space, DEL, NBSP, soft hyphen...) are moved to U+0100 upwards in byte order, so that no token
 * contains whitespace or a control character. Space (0x20) becomes 'Ġ' (U+0120).
 */
final class ByteSymbols {
  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final int[] CHAR_TO_BYTE = new int[256 + 68];

  static {
    java.util.Arrays.fill(CHAR_TO_BYTE, -1);
    int moved = 0;
    for (int b = 0; b < 256; b++) {
      char c = printable(b) ? (char) b : (char) (256 + moved++);
      BYTE_TO_CHAR[b] = c;
      CHAR_TO_BYTE[c] = b;
    }
  }

  private ByteSymbols() {}

  private static boolean printable(int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  }

  /** The character that stands for byte {@code b} (0–255). */
  static char charOf(int b) {
    return BYTE_TO_CHAR[b & 0xff];
  }

  /** The byte that character {@code c} stands for, or -1 when it stands for none. */
  static int byteOf(char c) {
    return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
  }

  /** The vocabulary form of raw bytes: one character per byte. */
  static String symbols(byte[] bytes) {
    char[] out = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = BYTE_TO_CHAR[bytes[i] & 0xff];
    }
    return new String(out);
  }
}
