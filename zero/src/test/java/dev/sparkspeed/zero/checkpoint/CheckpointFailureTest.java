package dev.sparkspeed.zero.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.checkpoint.CheckpointLocator.Verify;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Interrupted saves and damaged files: clear errors, and {@code latest} falls back. */
class CheckpointFailureTest {
  @TempDir Path dir;

  private CheckpointStore twoCheckpoints() throws IOException {
    CheckpointStore store = new LocalCheckpointStore(dir, false);
    CheckpointFixture.save(store, "step1", 1, 0);
    CheckpointFixture.save(store, "step2", 2, 0);
    assertEquals(Optional.of("step2"), CheckpointLocator.latestTag(store, Verify.CHECKSUMS));
    return store;
  }

  private static String openError(CheckpointStore store, String tag) {
    return assertThrows(CorruptCheckpointException.class, () -> CheckpointReader.open(store, tag))
        .getMessage();
  }

  @Test
  void missingMarkerMeansNotThere() throws Exception {
    CheckpointStore store = twoCheckpoints();
    Files.delete(dir.resolve("step2/COMMITTED"));
    assertTrue(openError(store, "step2").contains("no COMMITTED marker"));
    assertEquals(Optional.of("step1"), CheckpointLocator.latestTag(store, Verify.STRUCTURE));
  }

  @Test
  void truncatedShardIsNamedAndLatestFallsBack() throws Exception {
    CheckpointStore store = twoCheckpoints();
    try (FileChannel ch =
        FileChannel.open(dir.resolve("step2/rank_1.bin"), StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 10);
    }
    String msg = openError(store, "step2");
    assertTrue(msg.contains("rank_1.bin") && msg.contains("truncated"), msg);
    assertEquals(Optional.of("step1"), CheckpointLocator.latestTag(store, Verify.STRUCTURE));
  }

  @Test
  void flippedByteFailsItsChecksumAndLatestFallsBack() throws Exception {
    CheckpointStore store = twoCheckpoints();
    TensorEntry e;
    try (CheckpointReader r = CheckpointReader.open(store, "step2")) {
      e = r.entry("optimizer.master.rank0");
    }
    long at = e.offset() + 300;
    flip(dir.resolve("step2/rank_0.bin"), at);
    try (CheckpointReader r = CheckpointReader.open(store, "step2")) {
      // Sizes still match: only reading the damaged chunk notices.
      ByteBuffer b = ByteBuffer.allocate(4 * 10);
      r.readRange("optimizer.master", 0, 10, b);
      CorruptCheckpointException x =
          assertThrows(
              CorruptCheckpointException.class,
              () -> r.readRange("optimizer.master", 70, 80, ByteBuffer.allocate(40)));
      assertTrue(
          x.getMessage()
              .contains("checksum mismatch in tensor optimizer.master.rank0" + " bytes [256, 512)"),
          x.getMessage());
      assertThrows(CorruptCheckpointException.class, r::verifyChecksums);
    }
    assertEquals(Optional.of("step2"), CheckpointLocator.latestTag(store, Verify.STRUCTURE));
    assertEquals(Optional.of("step1"), CheckpointLocator.latestTag(store, Verify.CHECKSUMS));
  }

  @Test
  void damagedHeaderOrManifestIsNamed() throws Exception {
    CheckpointStore store = twoCheckpoints();
    flip(dir.resolve("step2/rank_0.bin"), 2);
    assertTrue(openError(store, "step2").contains("magic"));
    flip(dir.resolve("step2/rank_0.bin"), 2);
    flip(dir.resolve("step2/manifest.json"), 40);
    assertTrue(openError(store, "step2").contains("SHA-256"));
  }

  @Test
  void latestNamingAMissingOrGarbageTagFallsBack() throws Exception {
    CheckpointStore store = twoCheckpoints();
    store.writeSmall("latest", "step9\n".getBytes(StandardCharsets.UTF_8));
    assertEquals(Optional.of("step2"), CheckpointLocator.latestTag(store, Verify.STRUCTURE));
    store.writeSmall("latest", "../../etc".getBytes(StandardCharsets.UTF_8));
    assertEquals(Optional.of("step2"), CheckpointLocator.latestTag(store, Verify.STRUCTURE));
    store.delete("latest");
    assertEquals(Optional.of("step2"), CheckpointLocator.latestTag(store, Verify.STRUCTURE));
    store.writeSmall("step2/COMMITTED", "{not json".getBytes(StandardCharsets.UTF_8));
    store.writeSmall("step1/COMMITTED", "{}".getBytes(StandardCharsets.UTF_8));
    assertEquals(Optional.empty(), CheckpointLocator.latestTag(store, Verify.STRUCTURE));
    assertEquals(
        Optional.empty(),
        CheckpointLocator.latestTag(
            new LocalCheckpointStore(dir.resolve("none")), Verify.STRUCTURE));
  }

  @Test
  void keepsTheLastNAndSweepsAbandonedSaves() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir, false);
    store.writeSmall("notes/readme.txt", new byte[] {1});
    try (CheckpointWriter w = CheckpointWriter.forRank(store, "crashed", 0)) {
      w.finish();
    }
    for (int step = 1; step <= 4; step++) {
      CheckpointFixture.save(store, "step" + step, step, 2);
    }
    assertEquals(List.of("latest", "notes", "step3", "step4"), store.list(""));
    assertEquals(
        List.of("step4", "step3"),
        CheckpointLocator.committedNewestFirst(store).stream().map(CommitMarker::tag).toList());
    CheckpointFixture.save(store, "step4", 5, 1);
    assertEquals(List.of("latest", "notes", "step4"), store.list(""), "a re-save replaces");
    try (CheckpointReader r = CheckpointReader.open(store, "step4")) {
      assertEquals(5, r.manifest().meta().step());
    }
  }

  private static void flip(Path file, long at) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, at);
      b.put(0, (byte) (b.get(0) ^ 0x5a)).position(0);
      ch.write(b, at);
    }
  }
}
