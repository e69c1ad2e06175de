package dev.sparkspeed.trainer.rank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.zero.checkpoint.CheckpointManifest;
import dev.sparkspeed.zero.checkpoint.CheckpointReader;
import dev.sparkspeed.zero.checkpoint.LocalCheckpointStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two ranks as threads saving to and resuming from a local output directory. */
@Timeout(90)
class RankCheckpointsTest {
  static final List<List<Row>> PARTS = List.of(RankRunTest.lines(1), RankRunTest.lines(2));

  private static RankResult train(TrainOptions.Builder b) throws Exception {
    return RankRunTest.run(RankRunTest.job(b.shuffleBuffer(8)), PARTS, new int[] {-1, -1})
        .get(0)
        .get();
  }

  @Test
  void aSecondRunContinuesTheFirstBitForBit(@TempDir Path out) throws Exception {
    RankResult whole = train(TrainOptions.builder().maxSteps(6));
    String output = out.resolve("model").toString();
    RankResult first = train(TrainOptions.builder().maxSteps(4).output(output).saveEvery(3));
    assertNull(first.resumedFrom());
    assertEquals(4, first.steps());
    RankResult second = train(TrainOptions.builder().maxSteps(6).output(output).saveEvery(3));
    assertEquals("global_step4", second.resumedFrom());
    assertEquals(4, second.startStep());
    assertEquals(2, second.steps());
    assertArrayEquals(whole.params(), second.params(), "resumed run vs uninterrupted run");
    assertEquals(whole.losses()[5], second.losses()[1]);

    Path root = out.resolve("model").resolve(RankCheckpoints.SUBDIR);
    try (Stream<Path> tags = Files.list(root)) {
      List<String> names = tags.map(p -> p.getFileName().toString()).sorted().toList();
      assertTrue(
          names.containsAll(List.of("global_step3", "global_step4", "global_step6")),
          names.toString());
    }
    try (CheckpointReader r =
        CheckpointReader.open(new LocalCheckpointStore(root), "global_step6")) {
      CheckpointManifest m = r.manifest();
      assertEquals(6, m.meta().dataCursor().get("next_step").asLong());
      assertEquals(2, m.meta().dataCursor().get("feeds").size());
      assertEquals(2, m.meta().worldSize());
    }
  }

  @Test
  void aRunWithNothingLeftReturnsTheSavedParameters(@TempDir Path out) throws Exception {
    String output = out.toString();
    RankResult first = train(TrainOptions.builder().maxSteps(2).output(output));
    RankResult again = train(TrainOptions.builder().maxSteps(2).output(output));
    assertEquals("global_step2", again.resumedFrom());
    assertEquals(0, again.steps());
    assertArrayEquals(first.params(), again.params());
  }
}
