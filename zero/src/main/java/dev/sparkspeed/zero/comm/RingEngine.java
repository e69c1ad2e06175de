package dev.sparkspeed.zero.comm;

import dev.sparkspeed.zero.comm.RingPlan.Recv;
import dev.sparkspeed.zero.comm.RingPlan.Send;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link RingPlan}s over a rank's {@link RingLinks}. The communication thread receives each
 * chunk straight into the tensors' direct buffers (or a staging slot) and reduces it as soon as it
 * has arrived, while a {@link RingSender} writes to the right neighbour on a second thread, so the
 * two streams and the reduction overlap.
 *
 * <p>Failure detection, so that no rank ever hangs: a closed or reset data connection fails the
 * collective at once; a neighbour that neither moves data nor sends heartbeats for 3/4 of the op
 * timeout is declared stalled; a rank still waiting at the full timeout gives up. Whoever detects a
 * failure first sends an abort notice both ways around the ring before closing its sockets, so
 * every rank reports the rank that actually failed.
 *
 * <p>Closing is orderly: a rank that closes its communicator first sends a goodbye on both control
 * connections saying how many collectives it completed. A neighbour still finishing the last of
 * them (its final sends only just handed over, a liveness probe racing the close) then takes the
 * closed connections as the end of the ring rather than a failure, while a rank that closes or dies
 * before completing a collective still fails its neighbours in that collective.
 */
final class RingEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RingEngine.class);
  private static final int SLOTS = 4;
  private static final long NOTICE_FLUSH_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final long SENDER_STOP_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final String self;
  private final RingLinks links;
  private final Selector selector;
  private final SelectionKey outKey;
  private final SelectionKey inKey;
  private final ControlChannel controlLeft;
  private final ControlChannel controlRight;
  private final long heartbeatNanos;
  private final long stallNanos;
  private final long timeoutNanos;
  private final long graceNanos;
  private final HostBuffer[] slotMemory;
  private final ArrayDeque<ByteBuffer> freeSlots = new ArrayDeque<>();
  private final ArrayDeque<ByteBuffer> received = new ArrayDeque<>();
  private final RingReduce kernels = new RingReduce();
  private final ByteBuffer probe = ByteBuffer.allocate(64);
  private volatile boolean closeRequested;
  private boolean rightClosed;
  private boolean broken;

  /** Collectives completed, counting sequence numbers from 0; told to the neighbours at close. */
  private long completed;

  private final RingSender sender;
  private RingPlan plan;
  private RingSender.Progress sending;
  private int recvIdx;
  private int recvsDone;
  private ByteBuffer receiving;

  /**
   * @param links the neighbours' connections, or null for a ring of one
   * @param memory where staging slots come from; they go back at {@link #close()}
   */
  RingEngine(RingConfig cfg, RingLinks links, Allocator memory) throws IOException {
    this.self =
        cfg.worldSize() == 1
            ? "rank 0"
            : new RingPeer(cfg.rank(), cfg.addresses().get(cfg.rank())).toString();
    this.links = links;
    long timeout = cfg.opTimeout().toNanos();
    this.timeoutNanos = timeout;
    this.stallNanos = timeout / 4 * 3;
    this.heartbeatNanos = Math.max(timeout / 8, TimeUnit.MILLISECONDS.toNanos(1));
    this.graceNanos = Math.min(timeout / 4, TimeUnit.MILLISECONDS.toNanos(500));
    if (links == null) {
      selector = null;
      outKey = null;
      inKey = null;
      controlLeft = null;
      controlRight = null;
      slotMemory = new HostBuffer[0];
      sender = null;
      return;
    }
    long now = System.nanoTime();
    controlLeft = new ControlChannel(links.left, links.controlLeft, now);
    controlRight = new ControlChannel(links.right, links.controlRight, now);
    selector = Selector.open();
    outKey = links.dataOut.register(selector, 0);
    inKey = links.dataIn.register(selector, 0);
    controlLeft.key = links.controlLeft.register(selector, 0);
    controlRight.key = links.controlRight.register(selector, 0);
    slotMemory = new HostBuffer[SLOTS];
    for (int i = 0; i < SLOTS; i++) {
      slotMemory[i] = memory.allocate("comm-staging", DType.FP32, cfg.chunkBytes() / 4);
      freeSlots.add(slotMemory[i].byteBuffer());
    }
    sender =
        new RingSender(links.dataOut, selector::wakeup, "sparkspeed-ring-send-rank" + cfg.rank());
  }

  /** Runs one collective to completion; throws {@link CommException} on any failure. */
  void run(RingPlan p) {
    if (broken) {
      throw new CommException(self + ": the ring is broken by an earlier failure");
    }
    if (p.local() != null) {
      p.local().run();
    }
    if (links == null) {
      return;
    }
    plan = p;
    recvIdx = 0;
    recvsDone = 0;
    receiving = null;
    sending = sender.start(p);
    try {
      loop();
      completed = p.seq() + 1;
    } catch (IOException e) {
      throw fail("selector failure during " + plan.name() + ": " + e, e, null);
    } finally {
      if (!sending.finished && !sender.abortAndWait(sending, SENDER_STOP_NANOS)) {
        // The sender may still read the caller's tensors, so the engine must not be reused.
        broken = true;
        log.error(
            "{}: the sending thread did not stop within {} ms",
            self,
            SENDER_STOP_NANOS / 1_000_000);
      }
      received.clear();
      freeSlots.clear();
      for (HostBuffer b : slotMemory) {
        freeSlots.add(b.byteBuffer());
      }
      plan = null;
    }
  }

  private void loop() throws IOException {
    List<Send> sends = plan.sends();
    List<Recv> recvs = plan.recvs();
    long now = System.nanoTime();
    long lastProgress = now;
    long nextBeat = now;
    while (sending.sendsDone < sends.size() || recvsDone < recvs.size()) {
      if (closeRequested) {
        throw fail("closed its communicator during " + plan.name(), null, null);
      }
      // Completing a unit counts as progress even without new bytes: a send that finished on
      // the other thread may just have unblocked the last receive.
      boolean moved = pumpRecvs() | consume();
      if (sending.failure != null) {
        throw peerClosed(links.right, sending.failure);
      }
      now = System.nanoTime();
      if (now - nextBeat >= 0) {
        controlLeft.queueHeartbeat(plan.seq());
        controlRight.queueHeartbeat(plan.seq());
        nextBeat = now + heartbeatNanos;
      }
      controlLeft.flush();
      controlRight.flush();
      if (moved) {
        lastProgress = now;
        continue;
      }
      pollControl(now);
      probeRight();
      lastProgress = Math.max(lastProgress, sending.lastProgress);
      checkStall(now, lastProgress);
      long check = lastProgress + (now - lastProgress < stallNanos ? stallNanos : timeoutNanos);
      long wake = Math.min(nextBeat, check);
      if (sending.wakeAt(sendsNeeded())) {
        continue;
      }
      setInterest();
      selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wake - now)));
      selector.selectedKeys().clear();
    }
  }

  private boolean pumpRecvs() {
    boolean moved = false;
    List<Recv> recvs = plan.recvs();
    while (recvIdx < recvs.size()) {
      Recv r = recvs.get(recvIdx);
      if (receiving == null) {
        receiving = r.into() != null ? r.into() : stagingSlot(r.bytes());
        if (receiving == null) {
          break;
        }
      }
      int n;
      try {
        n = links.dataIn.read(receiving);
      } catch (IOException e) {
        throw peerClosed(links.left, e);
      }
      if (n < 0) {
        throw peerClosed(links.left, null);
      }
      moved |= n > 0;
      if (receiving.hasRemaining()) {
        break;
      }
      receiving.flip();
      received.add(receiving);
      receiving = null;
      recvIdx++;
      consume();
    }
    return moved;
  }

  private ByteBuffer stagingSlot(int bytes) {
    ByteBuffer slot = freeSlots.poll();
    if (slot != null) {
      slot.clear().limit(bytes);
    }
    return slot;
  }

  /**
   * Completes received units in order, as far as their sends-first constraints allow; true when it
   * completed any.
   */
  private boolean consume() {
    List<Recv> recvs = plan.recvs();
    int before = recvsDone;
    while (recvsDone < recvIdx) {
      Recv r = recvs.get(recvsDone);
      if (sending.sendsDone < r.afterSends()) {
        break;
      }
      ByteBuffer data = received.poll();
      if (r.action() != null) {
        try {
          r.action().apply(data, kernels);
        } catch (CommException e) {
          throw fail(e.getMessage(), e, null);
        }
      }
      if (r.into() == null) {
        freeSlots.add(data);
      }
      recvsDone++;
      sender.recvsDone(sending, recvsDone);
    }
    return recvsDone > before;
  }

  /** The send count that lets this thread go on: a received unit's hazard, or the plan's last. */
  private int sendsNeeded() {
    if (recvsDone < recvIdx) {
      return plan.recvs().get(recvsDone).afterSends();
    }
    return recvsDone == plan.recvs().size() ? plan.sends().size() : Integer.MAX_VALUE;
  }

  private void setInterest() {
    outKey.interestOps(rightClosed ? 0 : SelectionKey.OP_READ);
    inKey.interestOps(canReceive() ? SelectionKey.OP_READ : 0);
    for (ControlChannel c : new ControlChannel[] {controlLeft, controlRight}) {
      c.key.interestOps(
          c.isClosed()
              ? 0
              : SelectionKey.OP_READ | (c.hasPendingOutput() ? SelectionKey.OP_WRITE : 0));
    }
  }

  private boolean canReceive() {
    List<Recv> recvs = plan.recvs();
    return recvIdx < recvs.size()
        && (receiving != null || recvs.get(recvIdx).into() != null || !freeSlots.isEmpty());
  }

  private void pollControl(long now) {
    controlLeft.poll(now);
    controlRight.poll(now);
    for (ControlChannel c : new ControlChannel[] {controlLeft, controlRight}) {
      if (c.abortMessage() != null) {
        throw aborted(c);
      }
    }
  }

  /**
   * The right neighbour never sends on the data connection, so readable means it closed. That is a
   * failure while sends are outstanding, unless it said goodbye after completing this collective:
   * then it has read every byte, and the sender only has yet to record its last send as done.
   */
  private void probeRight() {
    if (!rightClosed) {
      probe.clear();
      int n;
      try {
        n = links.dataOut.read(probe);
      } catch (IOException e) {
        n = -1;
      }
      if (n > 0) {
        throw fail(
            links.right + " sent bytes on a one-way data connection (protocol error)", null, null);
      }
      rightClosed = n < 0;
    }
    if (rightClosed
        && sending.sendsDone < plan.sends().size()
        && !controlRight.completed(plan.seq())) {
      IOException cause = null;
      try {
        awaitNotice(controlRight);
      } catch (IOException e) {
        cause = e;
      }
      if (cause != null || !controlRight.completed(plan.seq())) {
        throw closedFailure(links.right, controlRight, cause);
      }
    }
  }

  private void checkStall(long now, long lastProgress) {
    long idle = now - lastProgress;
    if (idle < stallNanos) {
      return;
    }
    boolean onRight = sending.blocked;
    boolean onLeft = canReceive() || !onRight;
    long window = 3 * heartbeatNanos;
    long ms = TimeUnit.NANOSECONDS.toMillis(idle);
    // A neighbour that said goodbye after this collective has sent and read all of its data.
    if (onLeft && !controlLeft.heardWithin(now, window) && !controlLeft.completed(plan.seq())) {
      throw fail(
          links.left
              + " sent no data and no heartbeat for "
              + ms
              + " ms during "
              + plan.name()
              + ": it stalled, died, or never issued this collective",
          null,
          null);
    }
    if (onRight && !controlRight.heardWithin(now, window) && !controlRight.completed(plan.seq())) {
      throw fail(
          links.right
              + " read no data and sent no heartbeat for "
              + ms
              + " ms during "
              + plan.name()
              + ": it stalled or died",
          null,
          null);
    }
    if (idle >= timeoutNanos) {
      throw fail(
          "no progress for "
              + ms
              + " ms during "
              + plan.name()
              + " waiting for "
              + (onLeft ? links.left : links.right)
              + ", which is alive but waiting itself, so a rank further around the ring stalled"
              + " and no abort notice arrived; raise opTimeout if ranks legitimately reach"
              + " collectives this far apart",
          null,
          null);
    }
  }

  /**
   * A neighbour closed a data connection. Its abort notice, if it failed, names the rank that
   * actually failed, so read that first.
   */
  private CommException peerClosed(RingPeer peer, IOException cause) {
    ControlChannel own = peer == links.left ? controlLeft : controlRight;
    try {
      awaitNotice(own);
    } catch (IOException e) {
      cause = cause == null ? e : cause;
    }
    return closedFailure(peer, own, cause);
  }

  /**
   * Reads the control connections for a short grace, until {@code own} says goodbye or closes: a
   * failing neighbour sends its abort notice, and a closing one its goodbye, before it closes its
   * data connection, but over another socket, so they may arrive later. Throws an abort that
   * arrives.
   */
  private void awaitNotice(ControlChannel own) throws IOException {
    long until = System.nanoTime() + graceNanos;
    while (true) {
      long now = System.nanoTime();
      pollControl(now);
      if (own.isClosed() || own.saidGoodbye() || now >= until) {
        return;
      }
      outKey.interestOps(0);
      inKey.interestOps(0);
      controlLeft.key.interestOps(controlLeft.isClosed() ? 0 : SelectionKey.OP_READ);
      controlRight.key.interestOps(controlRight.isClosed() ? 0 : SelectionKey.OP_READ);
      selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - now)));
      selector.selectedKeys().clear();
    }
  }

  private CommException closedFailure(RingPeer peer, ControlChannel own, IOException cause) {
    if (own.saidGoodbye()) {
      return fail(
          peer
              + " closed its communicator after completing "
              + own.peerCompleted()
              + " collectives, before "
              + plan.name()
              + ": every rank must issue the same collectives before closing",
          cause,
          null);
    }
    return fail(
        peer
            + " closed the connection during "
            + plan.name()
            + " (its process died or it closed its communicator)",
        cause,
        null);
  }

  private CommException aborted(ControlChannel from) {
    String notice = from.abortMessage();
    return fail(
        (plan == null ? "the ring" : plan.name())
            + " aborted because another rank failed: "
            + notice,
        null,
        notice);
  }

  /**
   * Fails this rank: sends the abort notice both ways (the original text when forwarding), closes
   * the sockets so the failure also reaches neighbours that are not reading control messages.
   */
  private CommException fail(String detail, Throwable cause, String forwardedNotice) {
    String message = self + ": " + detail;
    if (!broken) {
      broken = true;
      String notice = forwardedNotice != null ? forwardedNotice : message;
      controlLeft.queueAbort(notice);
      controlRight.queueAbort(notice);
      ControlChannel.flushBoth(controlLeft, controlRight, NOTICE_FLUSH_NANOS);
      log.error("{}", message);
      links.close();
    }
    return new CommException(message, cause);
  }

  /**
   * Tells both neighbours how many collectives this rank completed before it closes, so one still
   * finishing the last of them takes the closing connections as orderly.
   */
  private void sayGoodbye() {
    controlLeft.queueGoodbye(completed);
    controlRight.queueGoodbye(completed);
    ControlChannel.flushBoth(controlLeft, controlRight, NOTICE_FLUSH_NANOS);
    // Closing a socket with unread input sends a reset, which could overtake the goodbye; the
    // neighbours' heartbeats may be waiting unread, so read them first.
    long now = System.nanoTime();
    controlLeft.poll(now);
    controlRight.poll(now);
  }

  /**
   * Fails the ring from outside a collective's transfers (a bug in planning, an Error), so the
   * neighbours learn of it instead of timing out.
   */
  CommException abort(String detail, Throwable cause) {
    return links == null
        ? new CommException(self + ": " + detail, cause)
        : fail(detail, cause, null);
  }

  /** Asks a running collective to stop; safe from any thread. */
  void requestClose() {
    closeRequested = true;
    if (selector != null) {
      selector.wakeup();
    }
  }

  /**
   * Says goodbye to the neighbours unless a failure broke the ring, closes the sockets and returns
   * the staging memory; on the communication thread.
   */
  @Override
  public void close() {
    if (links != null) {
      sender.close();
      if (!broken) {
        sayGoodbye();
      }
      links.close();
      try {
        selector.close();
      } catch (IOException e) {
        // Nothing is registered any more that could be leaked.
      }
    }
    for (HostBuffer b : slotMemory) {
      b.close();
    }
  }
}
