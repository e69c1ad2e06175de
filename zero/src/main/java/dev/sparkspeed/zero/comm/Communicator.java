package dev.sparkspeed.zero.comm;

import dev.sparkspeed.zero.tensor.Tensor;

/**
 * Collectives over the ranks of one training job, on flat FP32, BF16 or FP16 tensors. Reductions
 * are sums (16-bit data is summed in FP32 and rounded once). Every call returns a {@link Handle} at
 * once so communication can overlap compute; calls are executed in issue order, and every rank must
 * issue the same sequence of calls with the same sizes.
 *
 * <p>Failure: when a peer dies or stalls, {@link Handle#await} on every rank throws a {@link
 * CommException} naming that peer within the configured timeout; the communicator is then unusable.
 * Threading: calls may be issued from one thread at a time.
 */
public interface Communicator extends AutoCloseable {

  /** This rank, 0-based. */
  int rank();

  /** Number of ranks. */
  int worldSize();

  /** buf = Σ over ranks of buf, in place. */
  Handle allReduce(Tensor buf);

  /**
   * out = this rank's slice of Σ over ranks of in. in holds worldSize·out.size() elements; rank r
   * receives elements [r·n, (r+1)·n).
   */
  Handle reduceScatter(Tensor out, Tensor in);

  /** out = concatenation of every rank's in, rank order; out holds worldSize·in.size(). */
  Handle allGather(Tensor out, Tensor in);

  /**
   * Like {@link #reduceScatter} with unequal parts: in holds Σ counts elements, rank r's part being
   * the counts[r] elements after those of ranks 0..r−1; out (counts[rank]) receives the sum over
   * ranks of this rank's part. Parts may be empty.
   */
  Handle reduceScatterV(Tensor out, Tensor in, int[] counts);

  /**
   * Like {@link #allGather} with unequal parts: in holds counts[rank] elements; out (Σ counts)
   * receives every rank's part in rank order.
   */
  Handle allGatherV(Tensor out, Tensor in, int[] counts);

  /** buf = root's buf on every rank. */
  Handle broadcast(Tensor buf, int root);

  /** Returns when every rank has called it (or throws on failure/timeout). */
  void barrier();

  /** Closes sockets/communicators and stops threads; never throws for a peer already gone. */
  @Override
  void close();

  /** Completion of an issued collective. */
  interface Handle {
    /** Blocks until done; throws {@link CommException} on failure or timeout. */
    void await();
  }
}
