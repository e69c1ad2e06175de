package dev.sparkspeed.zero.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.checkpoint.SafetensorsWriter.Declaration;
import dev.sparkspeed.zero.tensor.DType;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  /** A file written by the reference Python implementation (safetensors 0.8.0, numpy). */
  @Test
  void readsAFileFromTheReferenceImplementation() throws Exception {
    byte[] file;
    try (InputStream in =
        getClass().getResourceAsStream("/safetensors/reference-numpy.safetensors")) {
      file = in.readAllBytes();
    }
    try (SafetensorsReader r =
        SafetensorsReader.open(SeekableInput.of(ByteBuffer.wrap(file)), "ref")) {
      assertEquals(Map.of("format", "np", "source", "safetensors 0.8.0"), r.metadata());
      SafetensorsEntry w = r.entry("h.0.attn.c_attn.weight");
      assertArrayEquals(new long[] {2, 3, 4}, w.shape());
      assertEquals(DType.FP32, w.engineType());
      ByteBuffer f = ByteBuffer.allocate(96).order(ByteOrder.LITTLE_ENDIAN);
      r.read(w.name(), f);
      for (int i = 0; i < 24; i++) {
        assertEquals(i * 0.5f - 3, f.getFloat(i * 4), "element " + i);
      }
      ByteBuffer h = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
      r.read("ln_f.bias", h);
      assertEquals(-2.25f, DType.fp16ToFloat(h.getShort(2)));
      ByteBuffer ids = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      r.readRange("ids", 1, 3, ids);
      assertEquals(-1, ids.getInt(0));
      assertEquals(123456, ids.getInt(4));
      assertEquals(0, r.entry("empty").numel());
    }
  }

  @Test
  void writesWhatTheSpecDescribesAndReadsItBack() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir, false);
    ByteBuffer a =
        ByteBuffer.allocate(12)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putFloat(1)
            .putFloat(2)
            .putFloat(3)
            .flip();
    ByteBuffer b =
        ByteBuffer.allocate(2)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putShort(DType.floatToBf16(0.5f))
            .flip();
    try (SafetensorsWriter w =
        SafetensorsWriter.open(
            store.create("model.safetensors"),
            List.of(
                new Declaration("wte.weight", DType.FP32, new long[] {3, 1}),
                new Declaration("b", DType.BF16, new long[] {1})),
            Map.of("format", "pt"))) {
      w.write("wte.weight", a);
      w.write("b", b);
      w.finish();
    }
    byte[] bytes = store.readSmall("model.safetensors", 4096);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertEquals(0, n % 8, "header padded to 8 bytes");
    assertEquals(8 + n + 14, bytes.length);
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    assertEquals(
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[3,1],\"data_offsets\":[0,12]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[12,14]}}",
        header.trim());
    try (SafetensorsReader r = SafetensorsReader.open(store, "model.safetensors")) {
      assertEquals(
          List.of("wte.weight", "b"), r.entries().stream().map(SafetensorsEntry::name).toList());
      ByteBuffer back = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      r.readRange("wte.weight", 2, 3, back);
      assertEquals(3f, back.getFloat(0));
      ByteBuffer bb = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
      r.read("b", bb);
      assertEquals(0.5f, DType.bf16ToFloat(bb.getShort(0)));
    }
  }

  @Test
  void writerRefusesOutOfOrderOrMissingTensors() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir, false);
    List<Declaration> d =
        List.of(
            new Declaration("x", DType.FP32, new long[] {1}),
            new Declaration("y", DType.FP32, new long[] {1}));
    try (SafetensorsWriter w = SafetensorsWriter.open(store.create("a.safetensors"), d, Map.of())) {
      assertThrows(IllegalArgumentException.class, () -> w.write("y", ByteBuffer.allocate(4)));
      w.write("x", ByteBuffer.allocate(4));
      assertThrows(IllegalStateException.class, w::finish);
    }
    CorruptCheckpointException e =
        assertThrows(
            CorruptCheckpointException.class, () -> SafetensorsReader.open(store, "a.safetensors"));
    assertTrue(e.getMessage().contains("data_offsets[1]"), e.getMessage());
  }

  @Test
  void rejectsMalformedHeadersWithClearMessages() {
    Map<String, String> cases =
        Map.of(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}",
            "need 8",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}",
            "overlapping",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}",
            "overflows",
            "{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            "unknown dtype",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}",
            "not well-formed",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",
            "outside",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}",
            "outside",
            "{\"a\":1,\"a\":2}",
            "not well-formed",
            "[1,2]",
            "does not start with '{'");
    cases.forEach(
        (json, expected) -> {
          byte[] h = json.getBytes(StandardCharsets.UTF_8);
          ByteBuffer file = ByteBuffer.allocate(8 + h.length + 64).order(ByteOrder.LITTLE_ENDIAN);
          file.putLong(h.length).put(h).position(file.capacity());
          CorruptCheckpointException e =
              assertThrows(
                  CorruptCheckpointException.class,
                  () -> SafetensorsReader.open(SeekableInput.of(file.flip()), "t.safetensors"),
                  json);
          assertTrue(e.getMessage().contains(expected), json + " -> " + e.getMessage());
        });
    ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).flip();
    CorruptCheckpointException e =
        assertThrows(
            CorruptCheckpointException.class,
            () -> SafetensorsReader.open(SeekableInput.of(huge), "t.safetensors"));
    assertTrue(e.getMessage().contains("18446744073709551615 bytes"), e.getMessage());
  }
}
