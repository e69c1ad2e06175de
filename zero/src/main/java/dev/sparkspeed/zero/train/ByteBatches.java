package dev.sparkspeed.zero.train;

import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.IntBuffer;
import java.util.SplittableRandom;

/**
 * (B, T) next-byte batches from random windows of a text. Each step's windows depend on (seed,
 * step) alone, not on a generator that runs through the whole training, so a run resumed at step k
 * sees exactly the batches an uninterrupted run sees from step k on.
 */
final class ByteBatches implements AutoCloseable {
  private final byte[] text;
  private final int b;
  private final int t;
  private final Tensor in; // (B, T) int32
  private final Tensor tg; // (B, T) int32

  ByteBatches(byte[] text, int b, int t, Allocator host) {
    if (text.length < t + 2) {
      throw new IllegalArgumentException(
          "--data has " + text.length + " bytes; need more than " + (t + 1));
    }
    this.text = text;
    this.b = b;
    this.t = t;
    this.in = Tensor.whole(host.allocate("inputs", DType.INT32, (long) b * t));
    this.tg = Tensor.whole(host.allocate("targets", DType.INT32, (long) b * t));
  }

  /** The batch of 1-based {@code step}; its tensors are reused by the next call. */
  Batch batch(long seed, int step) {
    SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
    IntBuffer x = in.ints();
    IntBuffer y = tg.ints();
    for (int row = 0; row < b; row++) {
      int start = r.nextInt(text.length - t - 1);
      for (int j = 0; j < t; j++) {
        x.put(row * t + j, text[start + j] & 0xff);
        y.put(row * t + j, text[start + j + 1] & 0xff);
      }
    }
    return new Batch(in, tg);
  }

  @Override
  public void close() {
    in.storage().close();
    tg.storage().close();
  }
}
