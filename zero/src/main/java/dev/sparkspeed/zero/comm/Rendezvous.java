package dev.sparkspeed.zero.comm;

/**
 * The one all-to-all exchange a job needs before its communicator exists: every rank contributes a
 * few bytes and receives everyone's. In Spark it is the barrier stage's {@code allGather}; in one
 * process it is {@link LocalRendezvous}.
 *
 * <p>Every rank must call {@link #allGather} the same number of times, in the same order. A call
 * blocks until all ranks have called it, or throws {@link CommException} when a peer fails or the
 * implementation's timeout passes.
 */
public interface Rendezvous {

  /** This rank, 0-based. */
  int rank();

  /** Number of ranks taking part. */
  int worldSize();

  /**
   * Exchanges one message with every rank.
   *
   * @param mine this rank's message (may be empty, never null)
   * @return worldSize messages, index r holding rank r's (this rank's own included)
   */
  byte[][] allGather(byte[] mine);
}
