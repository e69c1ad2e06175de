package dev.sparkspeed.zero.backend.cuda;

import java.nio.ByteBuffer;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Host↔device copies through two page-locked staging buffers. Java's direct buffers are pageable,
 * so the driver would copy them through its own bounce buffer synchronously; staging through pinned
 * memory lets one chunk's DMA overlap the CPU's copy of the next. Each half has an event, and a
 * half is refilled only after its last transfer finished.
 */
final class PinnedStaging implements AutoCloseable {
  private final CUstream_st stream;
  private final long chunkBytes;
  private final Pointer[] halves = new Pointer[2];
  private final ByteBuffer[] views = new ByteBuffer[2];
  private final CUevent_st[] done = new CUevent_st[2];
  private final boolean[] pending = new boolean[2];

  PinnedStaging(CUstream_st stream, long chunkBytes) {
    if (chunkBytes <= 0 || chunkBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("staging chunk of " + chunkBytes + " bytes");
    }
    this.stream = stream;
    this.chunkBytes = chunkBytes;
    for (int i = 0; i < 2; i++) {
      halves[i] = Cuda.mallocPinned(chunkBytes);
      views[i] = new BytePointer(halves[i]).capacity(chunkBytes).asByteBuffer();
      done[i] = Cuda.createEvent(false);
    }
  }

  /** Pinned bytes held. */
  long bytes() {
    return 2 * chunkBytes;
  }

  /**
   * Copies {@code src} (position to limit) to device address {@code dst}; returns once the bytes
   * are in pinned memory (the DMA may still run, ordered on the stream).
   */
  void upload(long dst, ByteBuffer src) {
    ByteBuffer in = src.duplicate();
    long offset = 0;
    int half = 0;
    while (in.hasRemaining()) {
      int n = (int) Math.min(chunkBytes, in.remaining());
      awaitHalf(half);
      ByteBuffer stage = views[half].duplicate();
      stage.clear();
      ByteBuffer slice = in.slice();
      slice.limit(n);
      stage.put(slice);
      in.position(in.position() + n);
      Cuda.copyToDevice(dst + offset, halves[half], n, stream);
      Cuda.record(done[half], stream);
      pending[half] = true;
      offset += n;
      half ^= 1;
    }
  }

  /** Copies device bytes at {@code src} into {@code dst} (position to limit); waits for them. */
  void download(ByteBuffer dst, long src) {
    // Uploads still reading the halves must finish first; from here on pending means a download.
    awaitHalf(0);
    awaitHalf(1);
    ByteBuffer out = dst.duplicate();
    long total = out.remaining();
    long issued = 0;
    int half = 0;
    int[] sizes = new int[2];
    // Keep one chunk in flight while the previous one is copied out of pinned memory.
    while (issued < total || pending[0] || pending[1]) {
      if (issued < total && !pending[half]) {
        int n = (int) Math.min(chunkBytes, total - issued);
        Cuda.copyToHost(halves[half], src + issued, n, stream);
        Cuda.record(done[half], stream);
        pending[half] = true;
        sizes[half] = n;
        issued += n;
        half ^= 1;
        continue;
      }
      int ready = pending[half] ? half : half ^ 1;
      Cuda.waitFor(done[ready]);
      pending[ready] = false;
      ByteBuffer stage = views[ready].duplicate();
      stage.clear().limit(sizes[ready]);
      out.put(stage);
      half = ready;
    }
  }

  private void awaitHalf(int half) {
    if (pending[half]) {
      Cuda.waitFor(done[half]);
      pending[half] = false;
    }
  }

  @Override
  public void close() {
    for (int i = 0; i < 2; i++) {
      Cuda.destroyEvent(done[i]);
      Cuda.freePinned(halves[i]);
    }
  }
}
