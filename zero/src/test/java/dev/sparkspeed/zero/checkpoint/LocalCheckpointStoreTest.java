package dev.sparkspeed.zero.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalCheckpointStoreTest {
  @TempDir Path dir;

  @Test
  void writesReadsListsAndDeletes() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir.resolve("root"));
    assertEquals(List.of(), store.list(""));
    store.writeSmall("t1/a.bin", "hello".getBytes(StandardCharsets.UTF_8));
    store.writeSmall("t1/b.json", new byte[0]);
    store.writeSmall("t2/c.bin", new byte[] {1, 2, 3});
    assertEquals(List.of("t1", "t2"), store.list(""));
    assertEquals(List.of("a.bin", "b.json"), store.list("t1"));
    assertTrue(store.exists("t1/a.bin"));
    assertFalse(store.exists("t1"), "a directory is not a file");
    assertEquals(5, store.size("t1/a.bin"));
    assertEquals("hello", new String(store.readSmall("t1/a.bin", 5), StandardCharsets.UTF_8));
    try (SeekableInput in = store.openRead("t1/a.bin")) {
      ByteBuffer b = ByteBuffer.allocate(3);
      in.readFully(1, b);
      assertEquals("ell", new String(b.array(), StandardCharsets.UTF_8));
      assertThrows(EOFException.class, () -> in.readFully(3, ByteBuffer.allocate(3)));
    }
    store.delete("t1");
    assertEquals(List.of("t2"), store.list(""));
    store.delete("t1");
    assertThrows(FileNotFoundException.class, () -> store.openRead("t1/a.bin"));
    assertThrows(FileNotFoundException.class, () -> store.size("t1/a.bin"));
    store.writeSmall("t2/c.bin", new byte[] {9});
    assertArrayEquals(new byte[] {9}, store.readSmall("t2/c.bin", 10), "create replaces");
  }

  @Test
  void refusesEscapingPathsAndLargeSmallFiles() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir, false);
    for (String bad : List.of("../x", "a/../../x", "/abs", "a//b", ".hidden", "a/", "a b")) {
      assertThrows(IllegalArgumentException.class, () -> store.create(bad), bad);
    }
    store.writeSmall("big", new byte[100]);
    CorruptCheckpointException e =
        assertThrows(CorruptCheckpointException.class, () -> store.readSmall("big", 99));
    assertTrue(e.getMessage().contains("100 bytes"), e.getMessage());
  }
}
