package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkspeed.zero.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes small two-rank checkpoints with known contents: a flat fp32 "optimizer.master" of {@link
 * #NUMEL} elements split unevenly across the ranks, a bf16 "wte" in a shared model_states.bin.
 */
final class CheckpointFixture {
  static final int NUMEL = 1000;
  static final int SPLIT = 437;
  static final int CHUNK = 256;
  static final long[] WTE_SHAPE = {10, 7};

  private static final ObjectMapper JSON = new ObjectMapper();

  private CheckpointFixture() {}

  /** Element i of the master weights saved at {@code step}. */
  static float master(long step, long i) {
    return (float) (i * 0.25 - 3.0 + step);
  }

  static short wte(long step, int i) {
    return DType.floatToBf16((float) Math.sin(i + step));
  }

  static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (IOException e) {
      throw new IllegalArgumentException(s, e);
    }
  }

  static CheckpointMeta meta(long step) {
    return new CheckpointMeta(
        step,
        2,
        2,
        json("{\"n_layer\":2,\"n_embd\":8}"),
        json("{\"train_batch_size\":8,\"zero_optimization\":{\"stage\":2}}"),
        json("{\"epoch\":1,\"batch\":" + step + "}"),
        json("[{\"seed\":42,\"offset\":" + step + "},{\"seed\":43,\"offset\":" + step + "}]"),
        json("{\"scale\":65536.0,\"good_steps\":3}"));
  }

  static ByteBuffer masterBytes(long step, int from, int to) {
    ByteBuffer b = ByteBuffer.allocate((to - from) * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = from; i < to; i++) {
      b.putFloat(master(step, i));
    }
    return b.flip();
  }

  static ByteBuffer wteBytes(long step) {
    ByteBuffer b = ByteBuffer.allocate(70 * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 70; i++) {
      b.putShort(wte(step, i));
    }
    return b.flip();
  }

  /** Writes and commits tag {@code tag} at {@code step}. */
  static CheckpointManifest save(CheckpointStore store, String tag, long step, int keepLast)
      throws IOException {
    CheckpointCommitter.begin(store, tag);
    List<String> reports = new ArrayList<>();
    int[][] ranges = {{0, SPLIT}, {SPLIT, NUMEL}};
    for (int rank = 0; rank < 2; rank++) {
      try (CheckpointWriter w =
          CheckpointWriter.open(store, tag, CheckpointFormat.rankFile(rank), rank, CHUNK)) {
        int from = ranges[rank][0];
        int to = ranges[rank][1];
        w.write(
            new NamedTensor(
                "optimizer.master.rank" + rank,
                DType.FP32,
                new long[] {to - from},
                masterBytes(step, from, to),
                new PartOf("optimizer.master", from, NUMEL)));
        reports.add(w.finish().toJson());
      }
    }
    try (CheckpointWriter w = CheckpointWriter.open(store, tag, "model_states.bin", -1, CHUNK)) {
      w.write(new NamedTensor("wte", DType.BF16, WTE_SHAPE, wteBytes(step), null));
      reports.add(w.finish().toJson());
    }
    return CheckpointCommitter.commit(store, tag, meta(step), reports, keepLast);
  }
}
