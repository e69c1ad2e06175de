package dev.sparkspeed.zero.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.checkpoint.CheckpointFormat;
import dev.sparkspeed.zero.checkpoint.CheckpointReader;
import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import dev.sparkspeed.zero.checkpoint.CorruptCheckpointException;
import dev.sparkspeed.zero.checkpoint.LocalCheckpointStore;
import dev.sparkspeed.zero.engine.Precision;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Extras;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.optim.LossScaler;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged newest checkpoint (truncated shard, missing marker, flipped byte) is reported clearly
 * when loaded directly, and resuming falls back to the previous good one on every rank.
 */
class CheckpointFallbackTest {
  @TempDir Path dir;
  private Path saved;
  private float[] atStep2;

  @BeforeEach
  void saveTwo() throws Exception {
    saved = dir.resolve("saved");
    CheckpointStore store = new LocalCheckpointStore(saved);
    atStep2 =
        TrainingRanks.run(
                2,
                TrainingRanks.fp32(1),
                (e, host) -> {
                  float[] p;
                  try (EngineCheckpoint ck = new EngineCheckpoint(e, store, 0, false)) {
                    TrainingRanks.train(e, host, 0, 2);
                    ck.save("global_step2", Extras.none());
                    p = TrainingRanks.params(e, host);
                    TrainingRanks.train(e, host, 2, 4);
                    ck.save("global_step4", Extras.none());
                  }
                  return p;
                })
            .get(0);
  }

  /** A copy of the saved store, damaged by {@code damage}. */
  private CheckpointStore damaged(String name, IoAction damage) throws IOException {
    Path copy = dir.resolve(name);
    try (Stream<Path> all = Files.walk(saved)) {
      for (Path p : all.toList()) {
        Files.copy(p, copy.resolve(saved.relativize(p).toString()));
      }
    }
    damage.run(copy.resolve("global_step4"));
    return new LocalCheckpointStore(copy);
  }

  private interface IoAction {
    void run(Path tagDir) throws IOException;
  }

  /** Resumes at 2 ranks; returns each rank's tag and the parameters. */
  private void assertFallsBackToStep2(CheckpointStore store) throws Exception {
    List<Object[]> got =
        TrainingRanks.run(
            2,
            TrainingRanks.fp32(1),
            (e, host) -> {
              String tag = EngineCheckpoint.resumeLatest(e, store).orElseThrow().tag();
              return new Object[] {tag, e.globalSteps(), TrainingRanks.params(e, host)};
            });
    for (Object[] g : got) {
      assertEquals("global_step2", g[0]);
      assertEquals(2L, g[1]);
      assertArrayEquals(atStep2, (float[]) g[2]);
    }
  }

  @Test
  void truncatedShardFallsBack() throws Exception {
    CheckpointStore store =
        damaged(
            "truncated",
            tag -> {
              try (RandomAccessFile f =
                  new RandomAccessFile(tag.resolve("rank_1.bin").toFile(), "rw")) {
                f.setLength(f.length() - 100);
              }
            });
    CorruptCheckpointException e =
        assertThrows(
            CorruptCheckpointException.class, () -> CheckpointReader.open(store, "global_step4"));
    assertTrue(
        e.getMessage().contains("rank_1.bin") && e.getMessage().contains("truncated"),
        e.getMessage());
    assertFallsBackToStep2(store);
  }

  @Test
  void missingMarkerFallsBack() throws Exception {
    CheckpointStore store =
        damaged("unmarked", tag -> Files.delete(tag.resolve(CheckpointFormat.MARKER)));
    CorruptCheckpointException e =
        assertThrows(
            CorruptCheckpointException.class, () -> CheckpointReader.open(store, "global_step4"));
    assertTrue(e.getMessage().contains("COMMITTED"), e.getMessage());
    assertFallsBackToStep2(store);
  }

  /** Sizes still match, so only the rank reading the damaged bytes notices; all ranks agree. */
  @Test
  void flippedByteIsAChecksumErrorOnEveryRankAndFallsBack() throws Exception {
    CheckpointStore store =
        damaged(
            "flipped",
            tag -> {
              try (RandomAccessFile f =
                  new RandomAccessFile(tag.resolve("rank_0.bin").toFile(), "rw")) {
                long at = CheckpointFormat.HEADER_BYTES + 40;
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0x10);
              }
            });
    List<String> messages =
        TrainingRanks.run(
            2,
            TrainingRanks.fp32(1),
            (e, host) -> {
              try (CheckpointReader r = CheckpointReader.open(store, "global_step4")) {
                return assertThrows(
                        CorruptCheckpointException.class, () -> EngineCheckpoint.load(e, r))
                    .getMessage();
              }
            });
    assertTrue(messages.get(0).contains("checksum mismatch"), messages.get(0));
    assertTrue(messages.get(0).contains("rank_0.bin"), messages.get(0));
    assertTrue(
        messages.get(1).contains("another rank") && messages.get(1).contains("rank 0"),
        messages.get(1));
    assertFallsBackToStep2(store);
  }

  @Test
  void anotherModelIsRefusedNamingBothConfigs() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(saved);
    Gpt2Config other = Gpt2Config.of(3, 2, 32, 64, 16);
    List<String> messages =
        TrainingRanks.run(
            2,
            TrainingRanks.fp32(1),
            other,
            (e, host) ->
                assertThrows(RuntimeException.class, () -> EngineCheckpoint.resumeLatest(e, store))
                    .getMessage());
    String m = messages.get(0);
    assertTrue(m.contains("\"n_layer\":2") && m.contains("\"n_layer\":3"), m);
  }

  @Test
  void anotherOptimizerIsRefused() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(saved);
    var sgd =
        new dev.sparkspeed.zero.engine.TrainSettings(
            1,
            Precision.FP32,
            new dev.sparkspeed.zero.optim.OptimizerSpec(
                dev.sparkspeed.zero.optim.OptimizerSpec.Type.SGD, 0.1, 0, 0, 0, 0, false, 0.9),
            dev.sparkspeed.zero.optim.LrSchedule.constant(0.1),
            0,
            1,
            3000,
            true,
            0,
            LossScaler::none,
            1);
    List<String> messages =
        TrainingRanks.run(
            1,
            sgd,
            (e, host) ->
                assertThrows(
                        IllegalArgumentException.class,
                        () -> EngineCheckpoint.resumeLatest(e, store))
                    .getMessage());
    assertTrue(
        messages.get(0).contains("adamw") && messages.get(0).contains("sgd"), messages.get(0));
  }
}
