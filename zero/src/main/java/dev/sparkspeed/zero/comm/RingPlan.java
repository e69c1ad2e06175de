package dev.sparkspeed.zero.comm;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * One collective as the engine runs it: a local step, then an ordered stream of byte ranges to send
 * to the right neighbour and an ordered stream to receive from the left one. Pipelining comes from
 * the dependencies: a send waits only for the receives its bytes depend on, and a receive that
 * overwrites memory a send still reads waits only for that send.
 *
 * @param name how errors name this call, e.g. "allReduce #7 (1048576 × FP32)"
 * @param seq the call's sequence number on this communicator
 * @param local work done before any transfer (a copy of this rank's own slice), or null
 * @param sends units for the right neighbour, in order
 * @param recvs units from the left neighbour, in order
 */
record RingPlan(String name, long seq, Runnable local, List<Send> sends, List<Recv> recvs) {

  /**
   * @param src the bytes to send (position 0, limit = length; consumed by the send)
   * @param afterRecvs number of leading receives that must be complete first
   */
  record Send(ByteBuffer src, int afterRecvs) {}

  /**
   * @param into where the bytes land, or null to land in a staging slot handed to {@code action}
   * @param bytes length in bytes
   * @param action what to do once all bytes arrived (reduce, verify), or null
   * @param afterSends number of leading sends that must be complete before {@code action} runs
   */
  record Recv(ByteBuffer into, int bytes, Action action, int afterSends) {}

  /** Consumes a completed receive. */
  interface Action {
    /**
     * @param received the received bytes, position 0, limit = length
     * @param reduce the communication thread's kernels
     */
    void apply(ByteBuffer received, RingReduce reduce);
  }
}
