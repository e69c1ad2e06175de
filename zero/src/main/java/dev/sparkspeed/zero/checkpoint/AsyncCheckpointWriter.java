package dev.sparkspeed.zero.checkpoint;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Saves a tensor file in the background so training can go on. {@link #save} copies the tensors'
 * bytes into staging host buffers (so the caller may change the originals as soon as it returns)
 * and hands the write to one named thread. Staging buffers are kept and reused by later saves.
 *
 * <p>One save is in flight at a time: {@link #save} first waits for the previous one, and a failure
 * of the previous one is thrown from there or from {@link #await}, never lost. Call {@link #await}
 * before gathering the reports for a commit. Not thread-safe: one training thread calls it.
 */
public final class AsyncCheckpointWriter implements AutoCloseable {
  /** Staging grows in pieces of at most this size (or of one tensor, if larger). */
  static final long MAX_SEGMENT_BYTES = 1L << 30;

  private static final String PURPOSE = "checkpoint_staging";

  private final Allocator allocator;
  private final String threadName;
  private final ExecutorService thread;
  private final List<HostBuffer> staging = new ArrayList<>();
  private Future<FileReport> pending;
  private String pendingWhat;

  /**
   * @param allocator where staging buffers come from (counted under "checkpoint_staging")
   * @param threadName name of the background writer thread, e.g. "checkpoint-writer-rank3"
   */
  public AsyncCheckpointWriter(Allocator allocator, String threadName) {
    this.allocator = allocator;
    this.threadName = threadName;
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
  }

  /** Saves {@code tensors} as {@code <tag>/rank_<rank>.bin}; see {@link #save}. */
  public void saveRank(CheckpointStore store, String tag, int rank, List<NamedTensor> tensors)
      throws IOException {
    save(store, tag, CheckpointFormat.rankFile(rank), rank, tensors);
  }

  /**
   * Waits for the previous save, copies {@code tensors} into staging and starts writing them to
   * {@code <tag>/<fileName>} with {@link CheckpointWriter}. Returns once the copy is done.
   *
   * @throws IOException the previous save's failure, if it failed
   */
  public void save(
      CheckpointStore store, String tag, String fileName, int rank, List<NamedTensor> tensors)
      throws IOException {
    await();
    List<NamedTensor> staged = stage(tensors);
    pendingWhat = store.describe() + "/" + tag + "/" + fileName;
    pending =
        thread.submit(
            () -> {
              try (CheckpointWriter w =
                  CheckpointWriter.open(
                      store, tag, fileName, rank, CheckpointWriter.DEFAULT_CHUNK_BYTES)) {
                for (NamedTensor t : staged) {
                  w.write(t);
                }
                return w.finish();
              }
            });
  }

  /**
   * Waits for the save in flight and returns its report, or null when none was started since the
   * last call.
   *
   * @throws IOException naming the file, with the background failure as cause
   */
  public FileReport await() throws IOException {
    Future<FileReport> f = pending;
    if (f == null) {
      return null;
    }
    pending = null;
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pending = f;
      throw new InterruptedIOException("interrupted waiting for the save of " + pendingWhat);
    } catch (ExecutionException e) {
      throw new IOException(
          "background save of "
              + pendingWhat
              + " on thread "
              + threadName
              + " failed: "
              + e.getCause(),
          e.getCause());
    }
  }

  /** True when no save is in flight (or the one in flight has finished). */
  public boolean isIdle() {
    return pending == null || pending.isDone();
  }

  private List<NamedTensor> stage(List<NamedTensor> tensors) {
    List<NamedTensor> out = new ArrayList<>(tensors.size());
    long left = 0;
    for (NamedTensor t : tensors) {
      left += CheckpointFormat.align(t.length());
    }
    int seg = 0;
    long used = 0;
    for (NamedTensor t : tensors) {
      long n = t.length();
      while (seg < staging.size() && used + n > staging.get(seg).bytes()) {
        seg++;
        used = 0;
      }
      if (seg == staging.size()) {
        long cap = Math.max(CheckpointFormat.align(n), Math.min(left, MAX_SEGMENT_BYTES));
        staging.add(allocator.allocate(PURPOSE, DType.FP32, cap / DType.FP32.bytes()));
      }
      ByteBuffer dst = staging.get(seg).byteBuffer().position((int) used).limit((int) (used + n));
      dst.put(t.data().duplicate());
      dst.position((int) used);
      out.add(new NamedTensor(t.name(), t.dtype(), t.shape(), dst, t.partOf()));
      used = CheckpointFormat.align(used + n);
      left -= CheckpointFormat.align(n);
    }
    return out;
  }

  /** Bytes of staging held for reuse. */
  public long stagingBytes() {
    return staging.stream().mapToLong(HostBuffer::bytes).sum();
  }

  /**
   * Waits for the save in flight, stops the thread and frees staging. A failure of that save is
   * thrown after everything is released.
   */
  @Override
  public void close() throws IOException {
    try {
      await();
    } finally {
      thread.shutdown();
      try {
        if (!thread.awaitTermination(1, TimeUnit.MINUTES)) {
          thread.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      staging.forEach(HostBuffer::close);
      staging.clear();
    }
  }
}
