package dev.sparkspeed.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkspeed.zero.checkpoint.CheckpointCommitter;
import dev.sparkspeed.zero.checkpoint.CheckpointLocator;
import dev.sparkspeed.zero.checkpoint.CheckpointLocator.Verify;
import dev.sparkspeed.zero.checkpoint.CheckpointMeta;
import dev.sparkspeed.zero.checkpoint.CheckpointReader;
import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import dev.sparkspeed.zero.checkpoint.CheckpointWriter;
import dev.sparkspeed.zero.checkpoint.CorruptCheckpointException;
import dev.sparkspeed.zero.checkpoint.NamedTensor;
import dev.sparkspeed.zero.checkpoint.SeekableInput;
import dev.sparkspeed.zero.checkpoint.TensorEntry;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What every {@link CheckpointStore} must do, run against real stores by the subclasses: file
 * operations, and whole checkpoints written by two ranks, committed, read back, and found or
 * skipped correctly when incomplete or damaged.
 */
abstract class CheckpointStoreContract {
  /** Elements of the flat fp32 tensor the two ranks share; over a checksum chunk and a transfer. */
  private static final int NUMEL = 700_000;

  private static final int SPLIT = 300_001;

  /** A store rooted in a fresh, empty directory. */
  abstract CheckpointStore newStore() throws IOException;

  @Test
  void writesReadsListsAndDeletes() throws Exception {
    CheckpointStore store = newStore();
    assertEquals(List.of(), store.list(""));
    store.writeSmall("a/x.bin", "hello".getBytes(StandardCharsets.UTF_8));
    store.writeSmall("a/y.json", "{}".getBytes(StandardCharsets.UTF_8));
    store.writeSmall("b/z.bin", new byte[] {7});
    assertEquals(List.of("a", "b"), store.list(""));
    assertEquals(List.of("x.bin", "y.json"), store.list("a"));
    assertTrue(store.exists("a/x.bin"));
    assertFalse(store.exists("a/nothing"));
    assertEquals(5, store.size("a/x.bin"));
    try (SeekableInput in = store.openRead("a/x.bin")) {
      ByteBuffer direct = ByteBuffer.allocateDirect(3);
      in.readFully(1, direct);
      assertEquals('e', direct.get(0));
      assertEquals('l', direct.get(2));
    }
    store.writeSmall("a/x.bin", new byte[] {1, 2});
    assertArrayEquals(new byte[] {1, 2}, store.readSmall("a/x.bin", 10), "create replaces");
    store.delete("a");
    store.delete("a");
    assertEquals(List.of("b"), store.list(""));
    assertThrows(FileNotFoundException.class, () -> store.openRead("a/x.bin"));
  }

  @Test
  void aCommittedCheckpointReadsBackByName() throws Exception {
    CheckpointStore store = newStore();
    save(store, "global_step10", 10, 0);
    try (CheckpointReader r = CheckpointLocator.openLatest(store, Verify.CHECKSUMS).orElseThrow();
        Allocator alloc = new Allocator("read");
        HostBuffer back = alloc.allocate("master", DType.FP32, NUMEL)) {
      assertEquals("global_step10", r.tag());
      assertEquals(10, r.manifest().meta().step());
      assertEquals(2, r.manifest().meta().zeroStage());
      r.read("optimizer.master", Tensor.whole(back));
      FloatBuffer f = back.floats();
      for (int i = 0; i < NUMEL; i += 1009) {
        assertEquals(value(10, i), f.get(i), "element " + i);
      }
      ByteBuffer slice = ByteBuffer.allocate(8 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      r.readRange("optimizer.master", SPLIT - 4, SPLIT + 4, slice);
      for (int i = 0; i < 8; i++) {
        assertEquals(value(10, SPLIT - 4 + i), slice.getFloat(i * 4));
      }
    }
  }

  @Test
  void aCheckpointWithoutItsMarkerIsNotVisible() throws Exception {
    CheckpointStore store = newStore();
    save(store, "s1", 1, 0);
    save(store, "s2", 2, 0);
    store.delete("s2/COMMITTED");
    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> CheckpointReader.open(store, "s2"));
    assertTrue(e.getMessage().contains("no COMMITTED marker"), e.getMessage());
    assertEquals(Optional.of("s1"), CheckpointLocator.latestTag(store, Verify.STRUCTURE));
  }

  @Test
  void aTruncatedShardIsNamedAndLatestFallsBack() throws Exception {
    CheckpointStore store = newStore();
    save(store, "s1", 1, 0);
    save(store, "s2", 2, 0);
    byte[] shard = store.readSmall("s2/rank_1.bin", 8 << 20);
    store.writeSmall("s2/rank_1.bin", Arrays.copyOf(shard, shard.length - 100));
    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> CheckpointReader.open(store, "s2"));
    assertTrue(
        e.getMessage().contains("rank_1.bin") && e.getMessage().contains("truncated"),
        e.getMessage());
    assertEquals(Optional.of("s1"), CheckpointLocator.latestTag(store, Verify.STRUCTURE));
  }

  @Test
  void aChecksumMismatchIsNamedAndLatestFallsBack() throws Exception {
    CheckpointStore store = newStore();
    save(store, "s1", 1, 0);
    save(store, "s2", 2, 0);
    TensorEntry e;
    try (CheckpointReader r = CheckpointReader.open(store, "s2")) {
      e = r.entry("optimizer.master.rank0");
    }
    byte[] shard = store.readSmall("s2/rank_0.bin", 8 << 20);
    shard[(int) e.offset() + 12345] ^= 0x40;
    store.writeSmall("s2/rank_0.bin", shard);
    try (CheckpointReader r = CheckpointReader.open(store, "s2")) {
      CorruptCheckpointException x =
          assertThrows(
              CorruptCheckpointException.class,
              () -> r.read("optimizer.master", ByteBuffer.allocate(NUMEL * 4)));
      assertTrue(
          x.getMessage().contains("checksum mismatch in tensor optimizer.master.rank0"),
          x.getMessage());
    }
    assertEquals(Optional.of("s1"), CheckpointLocator.latestTag(store, Verify.CHECKSUMS));
  }

  @Test
  void keepsOnlyTheLastCheckpoints() throws Exception {
    CheckpointStore store = newStore();
    for (int step = 1; step <= 3; step++) {
      save(store, "s" + step, step, 2);
    }
    assertEquals(List.of("latest", "s2", "s3"), store.list(""));
  }

  private static float value(long step, int i) {
    return i * 0.001f + step;
  }

  /** Two ranks each write their part of a flat fp32 tensor from off-heap memory; rank 0 commits. */
  private static void save(CheckpointStore store, String tag, long step, int keepLast)
      throws IOException {
    CheckpointCommitter.begin(store, tag);
    List<String> reports = new ArrayList<>();
    try (Allocator alloc = new Allocator("save");
        HostBuffer flat = alloc.allocate("master", DType.FP32, NUMEL)) {
      FloatBuffer f = flat.floats();
      for (int i = 0; i < NUMEL; i++) {
        f.put(i, value(step, i));
      }
      int[][] ranges = {{0, SPLIT}, {SPLIT, NUMEL}};
      for (int rank = 0; rank < 2; rank++) {
        try (CheckpointWriter w = CheckpointWriter.forRank(store, tag, rank)) {
          int from = ranges[rank][0];
          Tensor part = Tensor.of(flat, from, ranges[rank][1] - from);
          w.write(
              NamedTensor.part(
                  "optimizer.master.rank" + rank, part, "optimizer.master", from, NUMEL));
          reports.add(w.finish().toJson());
        }
      }
    }
    ObjectMapper json = new ObjectMapper();
    CheckpointMeta meta =
        new CheckpointMeta(
            step,
            2,
            2,
            json.readTree("{\"n_layer\":2}"),
            json.readTree("{\"train_batch_size\":4}"),
            json.readTree("{\"batch\":" + step + "}"),
            null,
            null);
    CheckpointCommitter.commit(store, tag, meta, reports, keepLast);
  }
}
