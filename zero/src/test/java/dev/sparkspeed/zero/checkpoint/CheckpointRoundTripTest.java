package dev.sparkspeed.zero.checkpoint;

import static dev.sparkspeed.zero.checkpoint.CheckpointFixture.NUMEL;
import static dev.sparkspeed.zero.checkpoint.CheckpointFixture.master;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointRoundTripTest {
  @TempDir Path dir;

  @Test
  void savedTensorsAndStateComeBackByName() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir);
    CheckpointManifest written = CheckpointFixture.save(store, "global_step7", 7, 0);
    try (CheckpointReader r = CheckpointReader.open(store, "global_step7");
        Allocator alloc = new Allocator("test")) {
      assertEquals(written, r.manifest());
      CheckpointMeta m = r.manifest().meta();
      assertEquals(CheckpointFixture.meta(7), m);
      assertEquals(
          Set.of("optimizer.master", "optimizer.master.rank0", "optimizer.master.rank1", "wte"),
          r.names());
      assertEquals(NUMEL, r.numel("optimizer.master"));
      try (HostBuffer whole = alloc.allocate("master", DType.FP32, NUMEL)) {
        r.read("optimizer.master", Tensor.whole(whole));
        FloatBuffer f = whole.floats();
        for (int i = 0; i < NUMEL; i++) {
          assertEquals(master(7, i), f.get(i), "element " + i);
        }
      }
      ByteBuffer wte = ByteBuffer.allocate(140).order(ByteOrder.LITTLE_ENDIAN);
      r.read("wte", wte);
      for (int i = 0; i < 70; i++) {
        assertEquals(CheckpointFixture.wte(7, i), wte.getShort(i * 2), "wte " + i);
      }
      assertEquals(DType.BF16, r.dtype("wte"));
      assertArrayEquals(CheckpointFixture.WTE_SHAPE, r.entry("wte").shape());
      r.verifyChecksums();
    }
  }

  @Test
  void rangesAcrossRankFilesAndChunksReadOnlyWhatIsAsked() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir, false);
    CheckpointFixture.save(store, "t", 3, 0);
    try (CheckpointReader r = CheckpointReader.open(store, "t")) {
      // Ranges that start and end inside checksum chunks and cross the rank 0 / rank 1 split.
      long[][] ranges = {
        {0, 0},
        {0, 1},
        {63, 65},
        {100, 437},
        {430, 450},
        {437, 1000},
        {5, 999},
        {0, 1000},
        {999, 1000}
      };
      for (long[] rg : ranges) {
        ByteBuffer b =
            ByteBuffer.allocate((int) (rg[1] - rg[0]) * 4).order(ByteOrder.LITTLE_ENDIAN);
        r.readRange("optimizer.master", rg[0], rg[1], b);
        assertEquals(b.capacity(), b.position(), "position advances");
        for (long i = rg[0]; i < rg[1]; i++) {
          assertEquals(master(3, i), b.getFloat((int) (i - rg[0]) * 4), "element " + i);
        }
      }
      ByteBuffer one = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      r.readRange("optimizer.master.rank1", 10, 12, one);
      assertEquals(master(3, 447), one.getFloat(0));
      assertThrows(
          IndexOutOfBoundsException.class,
          () -> r.readRange("optimizer.master", 990, 1001, ByteBuffer.allocate(44)));
      assertThrows(
          IllegalArgumentException.class,
          () -> r.readRange("optimizer.master", 0, 2, ByteBuffer.allocate(7)));
      IllegalArgumentException unknown =
          assertThrows(IllegalArgumentException.class, () -> r.numel("nope"));
      assertTrue(unknown.getMessage().contains("no tensor 'nope'"), unknown.getMessage());
    }
  }

  @Test
  void layoutIsAlignedAndFilesStartWithTheHeader() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir, false);
    CheckpointManifest m = CheckpointFixture.save(store, "t", 1, 0);
    for (TensorEntry t : m.tensors()) {
      assertEquals(0, t.offset() % CheckpointFormat.ALIGNMENT, t.name());
      assertTrue(t.offset() >= CheckpointFormat.HEADER_BYTES, t.name());
    }
    byte[] rank1 = store.readSmall("t/rank_1.bin", 1 << 20);
    assertEquals("SSPDCKPT", new String(rank1, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
    ByteBuffer h = ByteBuffer.wrap(rank1).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(CheckpointFormat.VERSION, h.getInt(8));
    assertEquals(1, h.getInt(12), "rank");
    assertEquals(
        List.of("COMMITTED", "manifest.json", "model_states.bin", "rank_0.bin", "rank_1.bin"),
        store.list("t"));
    assertEquals("t", new String(store.readSmall("latest", 100), "UTF-8").trim());
  }

  @Test
  void commitRejectsClashingReportsAndShortFiles() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir, false);
    List<String> reports = new java.util.ArrayList<>();
    for (int rank = 0; rank < 2; rank++) {
      try (CheckpointWriter w = CheckpointWriter.forRank(store, "t", rank)) {
        w.write(new NamedTensor("same", DType.FP32, new long[] {2}, ByteBuffer.allocate(8), null));
        reports.add(w.finish().toJson());
      }
    }
    CorruptCheckpointException twice =
        assertThrows(
            CorruptCheckpointException.class,
            () -> CheckpointCommitter.commit(store, "t", CheckpointFixture.meta(1), reports, 0));
    assertTrue(twice.getMessage().contains("lists tensor same twice"), twice.getMessage());
    store.writeSmall("t/rank_0.bin", new byte[70]);
    CorruptCheckpointException size =
        assertThrows(
            CorruptCheckpointException.class,
            () ->
                CheckpointCommitter.commit(
                    store, "t", CheckpointFixture.meta(1), reports.subList(0, 1), 0));
    assertTrue(size.getMessage().contains("writer reported"), size.getMessage());
    assertEquals(List.of("rank_0.bin", "rank_1.bin"), store.list("t"), "nothing committed");
  }
}
