package dev.sparkspeed.zero.checkpoint;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.checkpoint.SafetensorsWriter.Declaration;
import dev.sparkspeed.zero.tensor.DType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds random and mutated bytes to every parser of untrusted checkpoint input and checks that only
 * {@link CorruptCheckpointException} comes out: no index, negative-size or overflow errors, no
 * allocation sized by an unchecked number. Seeded, so a failure names a reproducible case.
 */
class CheckpointFuzzTest {
  private static final long SEED = 0x5eed_c0ffeeL;
  private static final long[] INTERESTING = {
    -1,
    0,
    1,
    7,
    8,
    63,
    64,
    65,
    255,
    256,
    4096,
    Integer.MAX_VALUE,
    1L << 31,
    1L << 32,
    (1L << 62) + 1,
    Long.MAX_VALUE,
    Long.MIN_VALUE
  };
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void safetensorsReaderOnlyThrowsCorrupt() throws Exception {
    List<byte[]> bases = List.of(javaWrittenSafetensors(), referenceSafetensors());
    Random rnd = new Random(SEED);
    int accepted = 0;
    for (int i = 0; i < 4000; i++) {
      byte[] base = bases.get(i % bases.size());
      byte[] file = mutateSafetensors(base, rnd);
      try (SafetensorsReader r =
          SafetensorsReader.open(SeekableInput.of(ByteBuffer.wrap(file)), "case " + i)) {
        for (SafetensorsEntry e : r.entries()) {
          long bytes = e.end() - e.begin();
          assertTrue(bytes <= file.length, "case " + i + ": " + e + " larger than the file");
          r.read(e.name(), ByteBuffer.allocate((int) bytes));
        }
        accepted++;
      } catch (CorruptCheckpointException expected) {
        // The only acceptable failure.
      } catch (Throwable t) {
        fail("case " + i + " (" + file.length + " bytes) threw " + t, t);
      }
    }
    assertTrue(accepted > 100 && accepted < 3900, "mutations both pass and fail: " + accepted);
  }

  @Test
  void manifestParserOnlyThrowsCorrupt() throws Exception {
    CheckpointStore store = new LocalCheckpointStore(dir, false);
    CheckpointFixture.save(store, "t", 5, 0);
    byte[] manifest = store.readSmall("t/manifest.json", 1 << 20);
    byte[] report;
    try (CheckpointWriter w = CheckpointWriter.forRank(store, "r", 0)) {
      w.write(
          new NamedTensor(
              "p",
              DType.FP32,
              new long[] {3, 5},
              ByteBuffer.allocate(60),
              new PartOf("whole", 15, 40)));
      report = w.finish().toJson().getBytes(StandardCharsets.UTF_8);
    }
    Random rnd = new Random(SEED + 1);
    int accepted = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] base = i % 4 < 2 ? manifest : report;
      byte[] json = i % 2 == 0 ? mutateBytes(base, rnd) : mutateTree(base, rnd);
      try {
        if (base == manifest) {
          ManifestCodec.parseManifest(json, "case " + i);
        } else {
          ManifestCodec.parseReport(new String(json, StandardCharsets.UTF_8), "case " + i);
        }
        accepted++;
      } catch (CorruptCheckpointException expected) {
        // The only acceptable failure.
      } catch (Throwable t) {
        fail("case " + i + " threw " + t + " on " + new String(json), t);
      }
    }
    assertTrue(accepted < 2900, "most mutations are caught: " + accepted + " accepted");
  }

  /**
   * Whole checkpoints whose manifest is mutated and re-committed with a matching marker (so the
   * layout checks, not the hash, must catch it), or whose tensor files are damaged.
   */
  @Test
  void readerOnlyThrowsCorruptOnDamagedCheckpoints() throws Exception {
    Path clean = dir.resolve("clean");
    CheckpointStore cleanStore = new LocalCheckpointStore(clean, false);
    CheckpointFixture.save(cleanStore, "t", 5, 0);
    byte[] manifest = cleanStore.readSmall("t/manifest.json", 1 << 20);
    Random rnd = new Random(SEED + 2);
    int accepted = 0;
    for (int i = 0; i < 300; i++) {
      Path caseDir = dir.resolve("case" + i);
      copyTree(clean, caseDir);
      CheckpointStore store = new LocalCheckpointStore(caseDir, false);
      if (i % 3 == 0) {
        String file = List.of("rank_0.bin", "rank_1.bin", "model_states.bin").get(rnd.nextInt(3));
        store.writeSmall("t/" + file, mutateBytes(store.readSmall("t/" + file, 1 << 20), rnd));
      } else {
        byte[] json = mutateTree(manifest, rnd);
        store.writeSmall("t/manifest.json", json);
        store.writeSmall("t/COMMITTED", CommitMarker.forManifest("t", 5, json).toJson());
      }
      try (CheckpointReader r = CheckpointReader.open(store, "t")) {
        long total = 0;
        for (FileEntry f : r.manifest().files()) {
          total += f.bytes();
        }
        for (String name : r.names()) {
          long bytes = r.numel(name) * r.dtype(name).bytes();
          assertTrue(bytes <= total, "case " + i + ": " + name + " larger than its files");
          r.read(name, ByteBuffer.allocate((int) bytes));
          long from = rnd.nextInt((int) r.numel(name) + 1);
          long to = from + rnd.nextInt((int) (r.numel(name) - from) + 1);
          r.readRange(
              name, from, to, ByteBuffer.allocate((int) ((to - from) * r.dtype(name).bytes())));
        }
        accepted++;
      } catch (CorruptCheckpointException expected) {
        // The only acceptable failure.
      } catch (Throwable t) {
        fail("case " + i + " threw " + t, t);
      }
    }
    assertTrue(accepted < 290, "most damage is caught: " + accepted + " accepted");
  }

  private byte[] javaWrittenSafetensors() throws IOException {
    ByteBuffer data = ByteBuffer.allocate(4 * 12 + 2 * 5 + 4 * 3).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < data.capacity(); i++) {
      data.put((byte) i);
    }
    data.flip();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (SafetensorsWriter w =
        SafetensorsWriter.open(
            Channels.newChannel(out),
            List.of(
                new Declaration("a", DType.FP32, new long[] {3, 4}),
                new Declaration("b", DType.BF16, new long[] {5}),
                new Declaration("c", DType.INT32, new long[] {3}),
                new Declaration("e", DType.FP16, new long[] {0})),
            Map.of("format", "pt"))) {
      w.write("a", data.slice(0, 48));
      w.write("b", data.slice(48, 10));
      w.write("c", data.slice(58, 12));
      w.write("e", ByteBuffer.allocate(0));
      w.finish();
    }
    return out.toByteArray();
  }

  private byte[] referenceSafetensors() throws IOException {
    try (InputStream in =
        getClass().getResourceAsStream("/safetensors/reference-numpy.safetensors")) {
      return in.readAllBytes();
    }
  }

  private static byte[] mutateSafetensors(byte[] base, Random rnd) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen = (int) b.getLong(0);
    switch (rnd.nextInt(6)) {
      case 0:
        byte[] noise = new byte[rnd.nextInt(200)];
        rnd.nextBytes(noise);
        if (noise.length >= 8 && rnd.nextBoolean()) {
          ByteBuffer.wrap(noise).order(ByteOrder.LITTLE_ENDIAN).putLong(0, noise.length - 8);
        }
        return noise;
      case 1:
        return mutateBytes(base, rnd);
      case 2:
        byte[] copy = base.clone();
        long n = rnd.nextBoolean() ? pick(rnd) : base.length - 8 + rnd.nextInt(5) - 2;
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
        return copy;
      case 3:
        return Arrays.copyOf(base, rnd.nextInt(base.length));
      default:
        byte[] header = Arrays.copyOfRange(base, 8, 8 + headerLen);
        byte[] mutated = mutateTree(header, rnd);
        byte[] data = Arrays.copyOfRange(base, 8 + headerLen, base.length);
        ByteBuffer out =
            ByteBuffer.allocate(8 + mutated.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return out.putLong(mutated.length).put(mutated).put(data).array();
    }
  }

  private static byte[] mutateBytes(byte[] base, Random rnd) {
    byte[] copy = base.clone();
    switch (rnd.nextInt(4)) {
      case 0:
        return Arrays.copyOf(copy, rnd.nextInt(copy.length + 1));
      case 1:
        byte[] longer = Arrays.copyOf(copy, copy.length + 1 + rnd.nextInt(64));
        return longer;
      default:
        int flips = 1 + rnd.nextInt(4);
        for (int k = 0; k < flips && copy.length > 0; k++) {
          copy[rnd.nextInt(copy.length)] ^= (byte) (1 + rnd.nextInt(255));
        }
        return copy;
    }
  }

  /** Parses JSON, changes one value deep inside (number, type, removal) and writes it back. */
  private static byte[] mutateTree(byte[] json, Random rnd) throws IOException {
    JsonNode root = JSON.readTree(json);
    List<JsonNode> containers = new ArrayList<>();
    collect(root, containers);
    JsonNode target = containers.get(rnd.nextInt(containers.size()));
    JsonNodeFactory f = JsonNodeFactory.instance;
    JsonNode replacement =
        switch (rnd.nextInt(6)) {
          case 0, 1, 2 -> f.numberNode(pick(rnd));
          case 3 ->
              f.textNode(List.of("F32", "fp32", "bf16", "x", "", "ffffffff").get(rnd.nextInt(6)));
          case 4 -> f.arrayNode().add(pick(rnd)).add(pick(rnd));
          default -> null;
        };
    if (target instanceof ObjectNode o) {
      List<String> keys = new ArrayList<>();
      o.fieldNames().forEachRemaining(keys::add);
      String key = keys.get(rnd.nextInt(keys.size()));
      if (replacement == null) {
        o.remove(key);
      } else {
        o.set(key, replacement);
      }
    } else if (target instanceof ArrayNode a) {
      int idx = rnd.nextInt(a.size());
      if (replacement == null) {
        a.remove(idx);
      } else {
        a.set(idx, replacement);
      }
    }
    return JSON.writeValueAsBytes(root);
  }

  private static void collect(JsonNode n, List<JsonNode> out) {
    if (n.isContainerNode() && n.size() > 0) {
      out.add(n);
      n.elements().forEachRemaining(c -> collect(c, out));
    }
  }

  private static long pick(Random rnd) {
    return rnd.nextInt(3) == 0 ? rnd.nextLong() : INTERESTING[rnd.nextInt(INTERESTING.length)];
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
