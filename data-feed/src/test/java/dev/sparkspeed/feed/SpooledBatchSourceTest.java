package dev.sparkspeed.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpooledBatchSourceTest {
  private static final ColumnSpec IDS = ColumnSpec.tokenIds("ids");

  @TempDir Path dir;
  private BufferAllocator arrow;
  private Allocator host;

  @BeforeEach
  void open() {
    arrow = new RootAllocator(4L << 20);
    host = new Allocator("spool-test", 1L << 20);
  }

  @AfterEach
  void close() {
    host.close();
    assertEquals(0, arrow.getAllocatedMemory(), "Arrow bytes left after the test");
    arrow.close();
  }

  private static List<int[]> docs() {
    List<int[]> docs = new ArrayList<>();
    for (int d = 0; d < 30; d++) {
      int[] doc = new int[1 + d % 5];
      Arrays.fill(doc, d);
      docs.add(doc);
    }
    return docs;
  }

  private static List<String> epoch(TokenBatcher b, int epoch, EpochPlan plan) {
    b.start(epoch, plan);
    List<String> out = new ArrayList<>();
    while (b.hasNext()) {
      int[] in = new int[b.config().batchSize() * b.config().blockSize()];
      b.next().inputs().ints().get(in);
      out.add(Arrays.toString(in));
    }
    return out;
  }

  @Test
  void aOneShotPartitionReplaysIdenticallyEveryEpochFromTheSpool() throws IOException {
    Path file = dir.resolve("rank0.arrows");
    TokenBatcher.Config cfg = TokenBatcher.Config.of(IDS, 2, 4).withEot(99);
    try (ListBatchSource lists = ListBatchSource.tokens(arrow, "ids", docs(), 4);
        ListBatchSource reference = ListBatchSource.tokens(arrow, "ids", docs(), 4);
        SpooledBatchSource spool = new SpooledBatchSource(lists.open(), file, arrow);
        TokenBatcher fromSpool = new TokenBatcher(cfg, null, spool, host);
        TokenBatcher direct = new TokenBatcher(cfg, null, reference, host)) {
      long tokens = fromSpool.countTokens();
      assertTrue(spool.spooled(), "the counting pass spooled the whole partition");
      assertEquals(8, spool.batchesWritten(), "30 rows in record batches of 4");
      assertEquals(1, lists.opened(), "upstream was read once");
      assertTrue(Files.size(file) > 0);
      EpochPlan plan = EpochPlan.single(tokens, 2, 4, EpochPolicy.WRAP);
      List<String> want = epoch(direct, 0, plan);
      assertEquals(want, epoch(fromSpool, 0, plan));
      assertEquals(want, epoch(fromSpool, 0, plan));
    }
    assertFalse(Files.exists(file), "the spool is deleted at close");
  }

  @Test
  void aFirstPassThatStopsEarlyIsFinishedWhenTheNextOpens() {
    Path file = dir.resolve("rank1.arrows");
    TokenBatcher.Config cfg = TokenBatcher.Config.of(IDS, 1, 4);
    try (ListBatchSource lists = ListBatchSource.tokens(arrow, "ids", docs(), 4);
        SpooledBatchSource spool = new SpooledBatchSource(lists.open(), file, arrow);
        TokenBatcher batcher = new TokenBatcher(cfg, null, spool, host)) {
      batcher.start(0, EpochPlan.single(1000, 1, 4, EpochPolicy.TRIM));
      batcher.next();
      assertFalse(spool.spooled(), "one block needs only the first record batch");
      long total = Arrays.stream(docs().toArray(new int[0][])).mapToLong(d -> d.length).sum();
      assertEquals(total, batcher.countTokens());
      assertTrue(spool.spooled());
    }
  }
}
