package dev.sparkspeed.feed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.feed.tokenizer.ByteTokenizer;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TokenBatcherTest {
  private static final ColumnSpec IDS = ColumnSpec.tokenIds("ids");

  private BufferAllocator arrow;
  private Allocator host;

  @BeforeEach
  void open() {
    arrow = new RootAllocator(8L << 20);
    host = new Allocator("token-batcher-test", 1L << 20);
  }

  @AfterEach
  void close() {
    host.close();
    assertEquals(0, arrow.getAllocatedMemory(), "Arrow bytes left after the test");
    arrow.close();
  }

  private static List<int[]> docs(int n, long seed) {
    Random r = new Random(seed);
    List<int[]> docs = new ArrayList<>();
    for (int d = 0; d < n; d++) {
      int[] doc = new int[1 + r.nextInt(9)];
      for (int k = 0; k < doc.length; k++) {
        doc[k] = 1 + r.nextInt(99);
      }
      docs.add(doc);
    }
    return docs;
  }

  /** The packed stream the batcher should read: each doc followed by the separator. */
  private static int[] stream(List<int[]> docs, int eot) {
    List<Integer> s = new ArrayList<>();
    for (int[] d : docs) {
      Arrays.stream(d).forEach(s::add);
      if (eot >= 0) {
        s.add(eot);
      }
    }
    return s.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Every batch of the epoch as [inputs..., targets...] per batch. */
  private static List<int[]> drain(TokenBatcher b) {
    List<int[]> out = new ArrayList<>();
    while (b.hasNext()) {
      TokenBatch batch = b.next();
      int[] in = new int[batch.inputs().intSize()];
      int[] tg = new int[batch.targets().intSize()];
      batch.inputs().ints().get(in);
      batch.targets().ints().get(tg);
      int[] both = Arrays.copyOf(in, in.length * 2);
      System.arraycopy(tg, 0, both, in.length, tg.length);
      out.add(both);
    }
    return out;
  }

  @Test
  void packsRowsIntoShiftedBlocksMatchingTheReferenceStream() {
    List<int[]> docs = docs(20, 1);
    int[] s = stream(docs, 0);
    int b = 2;
    int t = 5;
    TokenBatcher.Config cfg = TokenBatcher.Config.of(IDS, b, t).withEot(0);
    try (ListBatchSource src = ListBatchSource.tokens(arrow, "ids", docs, 3);
        TokenBatcher batcher = new TokenBatcher(cfg, null, src, host)) {
      assertEquals(s.length, batcher.countTokens());
      EpochPlan plan = EpochPlan.single(s.length, b, t, EpochPolicy.TRIM);
      batcher.start(0, plan);
      TokenBatch first = batcher.next();
      assertEquals(DType.INT32, first.inputs().dtype());
      assertArrayEquals(new int[] {b, t}, first.inputs().shape());
      assertArrayEquals(new int[] {b, t}, first.targets().shape());
      batcher.start(0, plan);
      List<int[]> batches = drain(batcher);
      assertEquals((s.length - 1) / t / b, batches.size());
      for (int i = 0; i < batches.size(); i++) {
        for (int row = 0; row < b; row++) {
          int block = i * b + row;
          for (int j = 0; j < t; j++) {
            assertEquals(s[block * t + j], batches.get(i)[row * t + j], "input " + i + "," + row);
            assertEquals(s[block * t + j + 1], batches.get(i)[b * t + row * t + j], "target");
          }
        }
      }
    }
  }

  @Test
  void wrapTreatsThePartitionAsACircularStreamAndTrimDropsTheTail() {
    List<int[]> docs = docs(7, 2);
    int[] s = stream(docs, -1);
    int b = 3;
    int t = 4;
    try (ListBatchSource src = ListBatchSource.tokens(arrow, "ids", docs, 2);
        TokenBatcher batcher =
            new TokenBatcher(TokenBatcher.Config.of(IDS, b, t), null, src, host)) {
      EpochPlan wrap = EpochPlan.single(s.length, b, t, EpochPolicy.WRAP);
      EpochPlan trim = EpochPlan.single(s.length, b, t, EpochPolicy.TRIM);
      assertEquals(
          (s.length + t - 1) / t, 0L + (wrap.steps() - 1) * b + lastBlocks(s.length, b, t));
      batcher.start(0, wrap);
      List<int[]> batches = drain(batcher);
      assertEquals(wrap.steps(), batches.size());
      for (int i = 0; i < batches.size(); i++) {
        for (int row = 0; row < b; row++) {
          int start = (i * b + row) * t;
          for (int j = 0; j < t; j++) {
            assertEquals(s[(start + j) % s.length], batches.get(i)[row * t + j]);
            assertEquals(s[(start + j + 1) % s.length], batches.get(i)[b * t + row * t + j]);
          }
        }
      }
      batcher.start(1, trim);
      assertEquals(trim.steps(), drain(batcher).size());
      assertTrue(trim.steps() < wrap.steps(), "trim drops the partial last batch");
    }
  }

  private static long lastBlocks(int tokens, int b, int t) {
    long blocks = (tokens + t - 1) / t;
    return blocks - (blocks - 1) / b * b;
  }

  @Test
  void theShorterRankWrapsSoBothRanksRunThePlannedSteps() {
    List<int[]> longDocs = docs(30, 3);
    List<int[]> shortDocs = docs(6, 4);
    int b = 2;
    int t = 4;
    TokenBatcher.Config cfg = TokenBatcher.Config.of(IDS, b, t).withEot(0);
    try (ListBatchSource a = ListBatchSource.tokens(arrow, "ids", longDocs, 4);
        ListBatchSource c = ListBatchSource.tokens(arrow, "ids", shortDocs, 4);
        TokenBatcher rank0 = new TokenBatcher(cfg, null, a, host);
        TokenBatcher rank1 = new TokenBatcher(cfg, null, c, host)) {
      long[] counts = {rank0.countTokens(), rank1.countTokens()};
      EpochPlan plan = EpochPlan.forTokens(counts, b, t, EpochPolicy.WRAP);
      rank0.start(0, plan);
      rank1.start(0, plan);
      assertEquals(plan.steps(), drain(rank0).size());
      int passesBefore = c.opened();
      assertEquals(plan.steps(), drain(rank1).size());
      assertTrue(c.opened() - passesBefore > 1, "the short partition was read more than once");
      EpochPlan trim = EpochPlan.forTokens(counts, b, t, EpochPolicy.TRIM);
      rank0.start(0, trim);
      assertEquals(trim.batchesPerPass(1), drain(rank0).size());
    }
  }

  @Test
  void trimWithCountsLargerThanTheDataFailsInsteadOfWrapping() {
    List<int[]> docs = docs(5, 5);
    try (ListBatchSource src = ListBatchSource.tokens(arrow, "ids", docs, 2);
        TokenBatcher batcher =
            new TokenBatcher(TokenBatcher.Config.of(IDS, 2, 4), null, src, host)) {
      batcher.start(0, EpochPlan.single(1000, 2, 4, EpochPolicy.TRIM));
      FeedException e = assertThrows(FeedException.class, () -> drain(batcher));
      assertTrue(e.getMessage().contains("trim never wraps"), e.getMessage());
    }
  }

  @Test
  void shuffleIsSeededPerEpochAndKeepsEveryBlockOnce() {
    List<int[]> docs = docs(40, 6);
    // One block per batch, so trim leaves no block out and both orders hold the same set.
    int b = 1;
    int t = 3;
    TokenBatcher.Config plain = TokenBatcher.Config.of(IDS, b, t);
    try (ListBatchSource src = ListBatchSource.tokens(arrow, "ids", docs, 5);
        TokenBatcher ordered = new TokenBatcher(plain, null, src, host);
        TokenBatcher shuffled = new TokenBatcher(plain.withShuffle(8, 42), null, src, host);
        TokenBatcher again = new TokenBatcher(plain.withShuffle(8, 42), null, src, host);
        TokenBatcher other = new TokenBatcher(plain.withShuffle(8, 43), null, src, host)) {
      EpochPlan plan = EpochPlan.single(ordered.countTokens(), b, t, EpochPolicy.TRIM);
      ordered.start(0, plan);
      shuffled.start(0, plan);
      again.start(0, plan);
      other.start(0, plan);
      List<int[]> o = drain(ordered);
      List<int[]> s = drain(shuffled);
      assertEquals(blocks(o, b, t), blocks(s, b, t), "same blocks, once each");
      assertNotEquals(flat(o), flat(s), "the order changed");
      assertEquals(flat(s), flat(drain(again)), "same seed, same order");
      assertNotEquals(flat(s), flat(drain(other)), "another seed, another order");
      shuffled.start(1, plan);
      assertNotEquals(flat(s), flat(drain(shuffled)), "every epoch shuffles differently");
    }
  }

  private static List<String> blocks(List<int[]> batches, int b, int t) {
    List<String> out = new ArrayList<>();
    for (int[] batch : batches) {
      for (int row = 0; row < b; row++) {
        out.add(Arrays.toString(Arrays.copyOfRange(batch, row * t, row * t + t)));
      }
    }
    out.sort(null);
    return out;
  }

  private static List<String> flat(List<int[]> batches) {
    return batches.stream().map(Arrays::toString).toList();
  }

  @Test
  void resumingFromASavedCursorYieldsTheIdenticalRemainingBatches() {
    List<int[]> docs = docs(25, 7);
    int b = 2;
    int t = 3;
    TokenBatcher.Config cfg = TokenBatcher.Config.of(IDS, b, t).withEot(0).withShuffle(5, 9);
    try (ListBatchSource src = ListBatchSource.tokens(arrow, "ids", docs, 4);
        TokenBatcher first = new TokenBatcher(cfg, null, src, host);
        TokenBatcher second = new TokenBatcher(cfg, null, src, host)) {
      long tokens = first.countTokens();
      // Twice the partition's batches, so the epoch wraps and the cursor lands in pass two.
      EpochPlan plan = EpochPlan.forTokens(new long[] {tokens, 2 * tokens}, b, t, EpochPolicy.WRAP);
      first.start(3, plan);
      List<int[]> all = drain(first);
      long cut = plan.steps() * 3 / 4;
      first.start(3, plan);
      for (long i = 0; i < cut; i++) {
        first.next();
      }
      String saved = first.cursor().toJson();
      FeedCursor cursor = FeedCursor.fromJson(saved);
      assertEquals(3, cursor.epoch());
      assertEquals(cut, cursor.step());
      assertTrue(cursor.rowsConsumed() > docs.size(), "the cursor is past one pass");
      second.resume(cursor, plan);
      assertEquals(cursor, second.cursor());
      assertEquals(flat(all.subList((int) cut, all.size())), flat(drain(second)));
    }
  }

  @Test
  void resumingOverChangedDataFailsNamingTheColumn() {
    int b = 2;
    int t = 3;
    TokenBatcher.Config cfg = TokenBatcher.Config.of(IDS, b, t);
    List<int[]> docs = docs(20, 8);
    List<int[]> changed = new ArrayList<>(docs);
    changed.set(0, new int[] {7, 7, 7, 7, 7});
    try (ListBatchSource src = ListBatchSource.tokens(arrow, "ids", docs, 4);
        ListBatchSource src2 = ListBatchSource.tokens(arrow, "ids", changed, 4);
        TokenBatcher first = new TokenBatcher(cfg, null, src, host);
        TokenBatcher second = new TokenBatcher(cfg, null, src2, host)) {
      EpochPlan plan = EpochPlan.single(first.countTokens(), b, t, EpochPolicy.TRIM);
      first.start(0, plan);
      first.next();
      first.next();
      FeedCursor cursor = first.cursor();
      FeedException e = assertThrows(FeedException.class, () -> second.resume(cursor, plan));
      assertTrue(e.getMessage().contains("column 'ids'"), e.getMessage());
      assertTrue(e.getMessage().contains("no longer yields"), e.getMessage());
    }
  }

  @Test
  void textColumnsGoThroughTheTokenizerWithTheSeparatorAfterEachRow() {
    ColumnSpec text = ColumnSpec.text("text");
    List<String> rows = List.of("héllo", "wörld ✓", "");
    ByteTokenizer tok = new ByteTokenizer(true);
    List<Integer> expected = new ArrayList<>();
    for (String r : rows) {
      for (byte x : r.getBytes(StandardCharsets.UTF_8)) {
        expected.add(x & 0xff);
      }
      expected.add(ByteTokenizer.EOT);
    }
    int t = expected.size() - 1;
    TokenBatcher.Config cfg = TokenBatcher.Config.of(text, 1, t).withEot(tok.eotId());
    try (ListBatchSource src = new ListBatchSource(arrow, List.of(text), List.of(rows), 2);
        TokenBatcher batcher = new TokenBatcher(cfg, tok, src, host)) {
      assertEquals(expected.size(), batcher.countTokens());
      batcher.start(0, EpochPlan.single(expected.size(), 1, t, EpochPolicy.TRIM));
      TokenBatch batch = batcher.next();
      int[] in = new int[t];
      batch.inputs().ints().get(in);
      int[] want = expected.stream().mapToInt(Integer::intValue).toArray();
      assertArrayEquals(Arrays.copyOf(want, t), in);
      assertEquals(rows.get(0) + "<|endoftext|>" + rows.get(1), tok.decode(Arrays.copyOf(in, 17)));
    }
  }

  @Test
  void nullsAndOutOfVocabularyIdsFollowTheSettings() {
    List<int[]> docs = new ArrayList<>(docs(6, 9));
    docs.set(2, null);
    EpochPlan plan = EpochPlan.single(10, 1, 2, EpochPolicy.TRIM);
    try (ListBatchSource src = ListBatchSource.tokens(arrow, "ids", docs, 4)) {
      try (TokenBatcher strict =
          new TokenBatcher(TokenBatcher.Config.of(IDS, 1, 2), null, src, host)) {
        FeedException e = assertThrows(FeedException.class, strict::countTokens);
        assertTrue(e.getMessage().contains("column 'ids' is null in row 2"), e.getMessage());
      }
      ColumnSpec lenient = IDS.withNulls(NullPolicy.SKIP);
      try (TokenBatcher skip =
          new TokenBatcher(TokenBatcher.Config.of(lenient, 1, 2), null, src, host)) {
        long expected = docs.stream().filter(d -> d != null).mapToLong(d -> d.length).sum();
        assertEquals(expected, skip.countTokens());
      }
      TokenBatcher.Config small = TokenBatcher.Config.of(lenient, 1, 2).withVocab(50);
      try (TokenBatcher vocab = new TokenBatcher(small, null, src, host)) {
        vocab.start(0, plan);
        FeedException e = assertThrows(FeedException.class, () -> drain(vocab));
        assertTrue(e.getMessage().contains("outside the vocabulary [0, 50)"), e.getMessage());
      }
    }
  }

  @Test
  void thePlanMustMatchTheBatcherSettings() {
    try (ListBatchSource src = ListBatchSource.tokens(arrow, "ids", docs(3, 1), 4);
        TokenBatcher batcher =
            new TokenBatcher(TokenBatcher.Config.of(IDS, 2, 4), null, src, host)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> batcher.start(0, EpochPlan.single(100, 2, 8, EpochPolicy.TRIM)));
      assertTrue(e.getMessage().contains("block size 8"), e.getMessage());
    }
  }
}
