package dev.sparkspeed.feed.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hand-made byte-level vocabulary: byte b has id b, then nine merges (ids 256–264) and the
 * end-of-text token (265). Expected ids are worked out by hand in each test.
 */
class Gpt2BpeTokenizerTest {
  private static final List<String> MERGES =
      List.of(
          "h e", // 256 he
          "l l", // 257 ll
          "he ll", // 258 hell
          "Ġ w", // 259 Ġw
          "o r", // 260 or
          "Ġw or", // 261 Ġwor
          "l d", // 262 ld
          "Ġwor ld", // 263 Ġworld
          "hell o"); // 264 hello

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Map<String, Integer> vocab;

  @BeforeEach
  void vocab() {
    vocab = new LinkedHashMap<>();
    for (int b = 0; b < 256; b++) {
      vocab.put(String.valueOf(ByteSymbols.charOf(b)), b);
    }
    int id = 256;
    for (String m : MERGES) {
      vocab.put(m.replace(" ", ""), id++);
    }
    vocab.put("<|endoftext|>", id);
  }

  private Gpt2BpeTokenizer fromFiles(List<String> merges) throws IOException {
    Path v = dir.resolve("vocab.json");
    Path m = dir.resolve("merges.txt");
    JSON.writeValue(v.toFile(), vocab);
    Files.write(m, prepend("#version: 0.2", merges), StandardCharsets.UTF_8);
    return Gpt2BpeTokenizer.fromFiles(v, m);
  }

  private static List<String> prepend(String first, List<String> rest) {
    List<String> out = new java.util.ArrayList<>();
    out.add(first);
    out.addAll(rest);
    return out;
  }

  @Test
  void encodesByMergeRankWithinEachPiece() throws IOException {
    Gpt2BpeTokenizer tok = fromFiles(MERGES);
    assertEquals(266, tok.vocabSize());
    assertEquals(265, tok.eotId());
    // "hello": he → ll → hell → hello. " world": Ġw → or → Ġwor → ld → Ġworld.
    assertArrayEquals(new int[] {264, 263}, tok.encode("hello world"));
    // "shell": s h e l l → s he l l → s he ll → s hell.
    assertArrayEquals(new int[] {'s', 258}, tok.encode("shell"));
    // "world" has no leading space: o r (rank 4) before l d (rank 6), and no Ġw.
    assertArrayEquals(new int[] {'w', 260, 262}, tok.encode("world"));
    // Three l's: the pair merges left to right without overlap.
    assertArrayEquals(new int[] {257, 'l'}, tok.encode("lll"));
    // Merges never cross pieces: "he" + "'ll" splits before the apostrophe.
    assertArrayEquals(new int[] {256, '\'', 257}, tok.encode("he'll"));
    // Bytes outside any merge stay single: "é" is two UTF-8 bytes, " " before "!" is Ġ alone.
    assertArrayEquals(new int[] {0xC3, 0xA9, ' ', '!'}, tok.encode("é !"));
    assertEquals("hello world<|endoftext|>", tok.decode(new int[] {264, 263, 265}));
    assertEquals("Ġworld", tok.token(263));
  }

  @Test
  void decodeInvertsEncodeOnUnicodeText() throws IOException {
    Gpt2BpeTokenizer tok = fromFiles(MERGES);
    String s =
        "hello world — héllo wörld, 日本語のテキスト 🎉🙂 emoji\ttab\r\n\n  two  spaces\u00A0nbsp"
            + " I'm he'll 12345 $%^&* \u0000ctrl trailing   ";
    int[] ids = tok.encode(s);
    assertEquals(s, tok.decode(ids));
    assertTrue(ids.length < s.getBytes(StandardCharsets.UTF_8).length, "merges shortened it");
    assertEquals("\uFFFD", tok.decode(new int[] {0xE6}), "a cut character becomes U+FFFD");
  }

  @Test
  void tokenizerJsonGivesTheSameTokenizer() throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    ObjectNode v = model.putObject("vocab");
    vocab.forEach(
        (k, id) -> {
          if (!k.equals("<|endoftext|>")) {
            v.put(k, id);
          }
        });
    ArrayNode merges = model.putArray("merges");
    for (int i = 0; i < MERGES.size(); i++) {
      String[] pair = MERGES.get(i).split(" ");
      if (i % 2 == 0) {
        merges.add(MERGES.get(i));
      } else {
        merges.addArray().add(pair[0]).add(pair[1]);
      }
    }
    root.putArray("added_tokens").addObject().put("id", 265).put("content", "<|endoftext|>");
    Path p = dir.resolve("tokenizer.json");
    JSON.writeValue(p.toFile(), root);
    Gpt2BpeTokenizer tok = Gpt2BpeTokenizer.fromTokenizerJson(p);
    Gpt2BpeTokenizer files = fromFiles(MERGES);
    String s = "hello world, shell worlds";
    assertArrayEquals(files.encode(s), tok.encode(s));
    assertEquals(265, tok.eotId());
  }

  @Test
  void inconsistentFilesFailNamingTheProblem() throws IOException {
    IllegalArgumentException merge =
        assertThrows(IllegalArgumentException.class, () -> fromFiles(List.of("h e", "x yz")));
    assertTrue(merge.getMessage().contains("line 3"), merge.getMessage());
    assertTrue(merge.getMessage().contains("needs 'yz'"), merge.getMessage());
    vocab.remove(String.valueOf(ByteSymbols.charOf(' ')));
    IllegalArgumentException bytes =
        assertThrows(IllegalArgumentException.class, () -> fromFiles(List.of()));
    assertTrue(bytes.getMessage().contains("'Ġ' for byte 0x20"), bytes.getMessage());
    Gpt2BpeTokenizer ok = new ByteLevelFixture().tokenizer(dir);
    assertThrows(IllegalArgumentException.class, () -> ok.decode(new int[] {9999}));
  }

  /** The smallest valid byte-level tokenizer: 256 byte symbols and no merges. */
  private static final class ByteLevelFixture {
    Gpt2BpeTokenizer tokenizer(Path dir) throws IOException {
      Map<String, Integer> v = new LinkedHashMap<>();
      for (int b = 0; b < 256; b++) {
        v.put(String.valueOf(ByteSymbols.charOf(b)), b);
      }
      Path vp = dir.resolve("bytes-vocab.json");
      Path mp = dir.resolve("bytes-merges.txt");
      JSON.writeValue(vp.toFile(), v);
      Files.writeString(mp, "#version: 0.2\n");
      Gpt2BpeTokenizer t = Gpt2BpeTokenizer.fromFiles(vp, mp);
      assertEquals(-1, t.eotId());
      return t;
    }
  }
}
