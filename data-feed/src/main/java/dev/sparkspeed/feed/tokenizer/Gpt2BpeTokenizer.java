package dev.sparkspeed.feed.tokenizer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2's byte-level BPE: text is split by {@link Gpt2PreTokenizer}, each piece's UTF-8 bytes
 * become one symbol each ({@link ByteSymbols}), and the lowest-ranked adjacent pair listed in the
 * merges is merged, everywhere in the piece, until no listed pair remains. Decoding concatenates
 * the tokens' symbols and maps them back to bytes, so {@code decode(encode(s)).equals(s)} for any
 * valid Unicode string.
 *
 * <p>Loads GPT-2's {@code vocab.json} + {@code merges.txt}, or a Hugging Face {@code
 * tokenizer.json} with a BPE model. Results per piece are cached (bounded, least recently used);
 * the cache is the only mutable state and is synchronized.
 */
public final class Gpt2BpeTokenizer implements Tokenizer {
  /** GPT-2's end-of-text token. */
  public static final String EOT_TOKEN = "<|endoftext|>";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CACHE_ENTRIES = 1 << 16;

  private final String[] idToToken;
  private final int[] byteToId = new int[256];

  /** (left id, right id) → rank in the high 32 bits, merged id in the low 32 bits. */
  private final Map<Long, Long> merges;

  private final int eotId;
  private final Map<String, int[]> cache =
      new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, int[]> eldest) {
          return size() > CACHE_ENTRIES;
        }
      };

  /**
   * @param mergeList merges in rank order, each {left, right, where} with where naming the file and
   *     line for messages
   */
  private Gpt2BpeTokenizer(Map<String, Integer> vocab, List<String[]> mergeList, String origin) {
    int max = -1;
    for (Map.Entry<String, Integer> e : vocab.entrySet()) {
      if (e.getValue() == null || e.getValue() < 0) {
        throw new IllegalArgumentException(
            origin + ": token '" + e.getKey() + "' has id " + e.getValue() + ", not an id >= 0");
      }
      max = Math.max(max, e.getValue());
    }
    idToToken = new String[max + 1];
    for (Map.Entry<String, Integer> e : vocab.entrySet()) {
      String previous = idToToken[e.getValue()];
      if (previous != null) {
        throw new IllegalArgumentException(
            origin
                + ": id "
                + e.getValue()
                + " is given to both '"
                + previous
                + "' and '"
                + e.getKey()
                + "'");
      }
      idToToken[e.getValue()] = e.getKey();
    }
    for (int b = 0; b < 256; b++) {
      Integer id = vocab.get(String.valueOf(ByteSymbols.charOf(b)));
      if (id == null) {
        throw new IllegalArgumentException(
            String.format(
                "%s: the vocabulary lacks the symbol '%c' for byte 0x%02x; a byte-level BPE"
                    + " vocabulary holds all 256 byte symbols",
                origin, ByteSymbols.charOf(b), b));
      }
      byteToId[b] = id;
    }
    merges = new HashMap<>(mergeList.size() * 2);
    for (int rank = 0; rank < mergeList.size(); rank++) {
      String[] pair = mergeList.get(rank);
      Integer left = vocab.get(pair[0]);
      Integer right = vocab.get(pair[1]);
      Integer merged = vocab.get(pair[0] + pair[1]);
      if (left == null || right == null || merged == null) {
        throw new IllegalArgumentException(
            pair[2]
                + ": merge '"
                + pair[0]
                + " "
                + pair[1]
                + "' needs '"
                + (left == null ? pair[0] : right == null ? pair[1] : pair[0] + pair[1])
                + "', which the vocabulary lacks");
      }
      merges.putIfAbsent(key(left, right), ((long) rank << 32) | merged);
    }
    Integer eot = vocab.get(EOT_TOKEN);
    eotId = eot == null ? -1 : eot;
  }

  /** Loads GPT-2's {@code vocab.json} (token → id) and {@code merges.txt} (one pair a line). */
  public static Gpt2BpeTokenizer fromFiles(Path vocabJson, Path mergesTxt) {
    Map<String, Integer> vocab;
    List<String> lines;
    try {
      vocab =
          JSON.readValue(
              vocabJson.toFile(), new TypeReference<LinkedHashMap<String, Integer>>() {});
      lines = Files.readAllLines(mergesTxt, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read BPE files " + vocabJson + ", " + mergesTxt, e);
    }
    List<String[]> pairs = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank() || (i == 0 && line.startsWith("#version"))) {
        continue;
      }
      pairs.add(pair(line.strip(), mergesTxt + " line " + (i + 1)));
    }
    return new Gpt2BpeTokenizer(vocab, pairs, vocabJson.getFileName().toString());
  }

  /**
   * Loads a Hugging Face {@code tokenizer.json} whose model is BPE (GPT-2 and its relatives). Added
   * tokens (such as {@code <|endoftext|>}) join the vocabulary.
   */
  public static Gpt2BpeTokenizer fromTokenizerJson(Path tokenizerJson) {
    JsonNode root;
    try {
      root = JSON.readTree(tokenizerJson.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + tokenizerJson, e);
    }
    String origin = tokenizerJson.getFileName().toString();
    JsonNode model = root.path("model");
    if (!"BPE".equals(model.path("type").asText())) {
      throw new IllegalArgumentException(
          origin + ": model.type is '" + model.path("type").asText() + "', expected 'BPE'");
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    model.path("vocab").fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
    for (JsonNode added : root.path("added_tokens")) {
      vocab.putIfAbsent(added.path("content").asText(), added.path("id").asInt());
    }
    List<String[]> pairs = new ArrayList<>();
    int n = 0;
    for (JsonNode m : model.path("merges")) {
      n++;
      String where = origin + " merge " + n;
      if (m.isTextual()) {
        pairs.add(pair(m.asText(), where));
      } else if (m.isArray() && m.size() == 2) {
        pairs.add(new String[] {m.get(0).asText(), m.get(1).asText(), where});
      } else {
        throw new IllegalArgumentException(
            where + " is " + m + ", expected \"a b\" or [\"a\", \"b\"]");
      }
    }
    return new Gpt2BpeTokenizer(vocab, pairs, origin);
  }

  private static String[] pair(String line, String where) {
    String[] parts = line.split(" ");
    if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new IllegalArgumentException(
          where + " is '" + line + "', expected two symbols and one space");
    }
    return new String[] {parts[0], parts[1], where};
  }

  private static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xffffffffL);
  }

  @Override
  public int vocabSize() {
    return idToToken.length;
  }

  @Override
  public int eotId() {
    return eotId;
  }

  @Override
  public int[] encode(String text) {
    int[] out = new int[Math.max(16, text.length())];
    int n = 0;
    for (String piece : Gpt2PreTokenizer.split(text)) {
      int[] ids = encodePiece(piece);
      if (n + ids.length > out.length) {
        out = Arrays.copyOf(out, Math.max(out.length * 2, n + ids.length));
      }
      System.arraycopy(ids, 0, out, n, ids.length);
      n += ids.length;
    }
    return Arrays.copyOf(out, n);
  }

  private int[] encodePiece(String piece) {
    synchronized (cache) {
      int[] hit = cache.get(piece);
      if (hit != null) {
        return hit;
      }
    }
    byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
    int[] word = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      word[i] = byteToId[bytes[i] & 0xff];
    }
    int[] ids = merge(word);
    synchronized (cache) {
      cache.put(piece, ids);
    }
    return ids;
  }

  /** Applies merges lowest rank first; each round merges every occurrence of the chosen pair. */
  private int[] merge(int[] word) {
    int n = word.length;
    while (n > 1) {
      long best = Long.MAX_VALUE;
      int left = -1;
      int right = -1;
      for (int i = 0; i < n - 1; i++) {
        Long m = merges.get(key(word[i], word[i + 1]));
        if (m != null && m < best) {
          best = m;
          left = word[i];
          right = word[i + 1];
        }
      }
      if (left < 0) {
        break;
      }
      int mergedId = (int) best;
      int j = 0;
      for (int i = 0; i < n; ) {
        if (i < n - 1 && word[i] == left && word[i + 1] == right) {
          word[j++] = mergedId;
          i += 2;
        } else {
          word[j++] = word[i++];
        }
      }
      n = j;
    }
    return Arrays.copyOf(word, n);
  }

  @Override
  public String decode(int[] ids) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
    for (int id : ids) {
      String token = id >= 0 && id < idToToken.length ? idToToken[id] : null;
      if (token == null) {
        throw new IllegalArgumentException(
            "token id " + id + " is not in the vocabulary (" + idToToken.length + " ids)");
      }
      for (int i = 0; i < token.length(); ) {
        int c = token.codePointAt(i);
        int b = c < Character.MIN_SUPPLEMENTARY_CODE_POINT ? ByteSymbols.byteOf((char) c) : -1;
        if (b >= 0) {
          bytes.write(b);
        } else {
          // Added tokens may hold characters outside the byte table; they stand for themselves.
          byte[] raw = Character.toString(c).getBytes(StandardCharsets.UTF_8);
          bytes.write(raw, 0, raw.length);
        }
        i += Character.charCount(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** The vocabulary string of {@code id} (its byte symbols), for inspection and tests. */
  public String token(int id) {
    return idToToken[id];
  }
}
