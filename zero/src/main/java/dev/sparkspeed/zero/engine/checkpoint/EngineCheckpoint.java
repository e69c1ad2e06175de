package dev.sparkspeed.zero.engine.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.checkpoint.CheckpointCommitter;
import dev.sparkspeed.zero.checkpoint.CheckpointFormat;
import dev.sparkspeed.zero.checkpoint.CheckpointMeta;
import dev.sparkspeed.zero.checkpoint.CheckpointReader;
import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import dev.sparkspeed.zero.checkpoint.CheckpointWriter;
import dev.sparkspeed.zero.checkpoint.NamedTensor;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.engine.checkpoint.StatePieces.Piece;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Saves and restores a {@link ZeroEngine}'s complete training state as a sharded checkpoint that
 * loads back at any world size and ZeRO stage (DeepSpeed's universal checkpoint, with no offline
 * conversion): each rank writes pieces of the flat tensors {@code master}, {@code adam_m}, {@code
 * adam_v} (see {@link StatePieces}), rank 0 commits a manifest recording the model config, the
 * DeepSpeed config, world size, stage, step counters, loss scaler, data cursor and RNG states.
 *
 * <p>Every method except {@link #close} is a collective: all ranks of the job call it in the same
 * order with the same arguments. Failures are agreed on, so a write that fails on one rank makes
 * every rank throw instead of leaving the others waiting.
 *
 * <p>Asynchronous saves copy the state to host staging buffers (held for reuse; as large as the
 * rank's share of the optimizer state) and write in the background while training goes on; the save
 * becomes a checkpoint only at {@link #commitPending()}, which the training loop calls on every
 * rank at the same step (the next save calls it too). Not thread-safe: the training thread drives
 * it.
 */
public final class EngineCheckpoint implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What the caller adds to a checkpoint besides the engine's own state; null fields are omitted.
   *
   * @param deepspeedConfig the resolved DeepSpeed JSON config of the run
   * @param dataCursor where the data feed stands, e.g. {"next_step": 100}
   * @param rngStates the caller's random generator states (data order, dropout)
   */
  public record Extras(JsonNode deepspeedConfig, JsonNode dataCursor, JsonNode rngStates) {
    /** Nothing besides the engine's state. */
    public static Extras none() {
      return new Extras(null, null, null);
    }
  }

  /**
   * What a load restored, and what the caller must restore itself.
   *
   * @param tag the checkpoint loaded
   * @param globalSteps steps taken when it was saved (the engine continues from here)
   * @param appliedSteps optimizer steps applied (fewer when fp16 overflow steps were skipped)
   * @param savedWorldSize ranks that wrote it
   * @param savedStage ZeRO stage it was written under
   * @param dataCursor the saved data cursor (JSON null if none)
   * @param rngStates the saved RNG states (JSON null if none)
   * @param deepspeedConfig the saved DeepSpeed config (JSON null if none)
   */
  public record Resumed(
      String tag,
      long globalSteps,
      int appliedSteps,
      int savedWorldSize,
      int savedStage,
      JsonNode dataCursor,
      JsonNode rngStates,
      JsonNode deepspeedConfig) {}

  private record Pending(String tag, CheckpointMeta meta, Future<List<String>> reports) {}

  private final ZeroEngine engine;
  private final CheckpointStore store;
  private final int keepLast;
  private final Backend be;
  private final Communicator comm;
  private final Allocator staging = new Allocator("checkpoint-staging");
  private final List<HostBuffer> stagedPieces = new ArrayList<>();
  private final Map<DType, HostBuffer> scratch = new EnumMap<>(DType.class);
  private final ExecutorService writer;
  private Pending pending;

  /**
   * @param keepLast committed checkpoints to keep in the store, the newest included; 0 keeps all
   * @param async write in the background (see the class comment)
   */
  public EngineCheckpoint(ZeroEngine engine, CheckpointStore store, int keepLast, boolean async) {
    if (keepLast < 0) {
      throw new IllegalArgumentException("keep_last " + keepLast + " must be 0 (all) or more");
    }
    this.engine = engine;
    this.store = store;
    this.keepLast = keepLast;
    this.be = engine.backend();
    this.comm = engine.communicator();
    String name = "checkpoint-writer-rank" + comm.rank();
    this.writer =
        async
            ? Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, name);
                  t.setDaemon(true);
                  return t;
                })
            : null;
  }

  /** DeepSpeed's tag for a checkpoint taken after {@code globalSteps} steps. */
  public static String defaultTag(long globalSteps) {
    return "global_step" + globalSteps;
  }

  /**
   * Saves the engine's state now as {@code tag}: committed before returning when synchronous; when
   * asynchronous, staged and written in the background until {@link #commitPending()}. A save still
   * pending from before is committed first.
   *
   * @throws IOException when any rank failed; the tag is then not committed
   */
  public void save(String tag, Extras extras) throws IOException {
    commitPending();
    String err = null;
    if (comm.rank() == 0) {
      try {
        CheckpointCommitter.begin(store, tag);
      } catch (IOException | RuntimeException e) {
        err = e.toString();
      }
    }
    requireAll("prepare checkpoint " + tag, err);
    CheckpointMeta meta = EngineMeta.build(engine, extras);
    List<Piece> plan = StatePieces.plan(engine);
    if (writer != null) {
      List<Tensor> staged = stage(plan);
      pending = new Pending(tag, meta, writer.submit(() -> writeFiles(tag, plan, staged::get)));
      return;
    }
    List<String> reports = null;
    Exception failure = null;
    try {
      reserveScratch(plan);
      reports = writeFiles(tag, plan, i -> fillScratch(plan.get(i)));
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
    commit(tag, meta, reports, failure);
  }

  /** True when an asynchronous save waits for {@link #commitPending()}. */
  public boolean hasPending() {
    return pending != null;
  }

  /**
   * Waits for the pending asynchronous save's files on every rank, then commits it; does nothing
   * (on every rank) when none is pending.
   */
  public void commitPending() throws IOException {
    Pending p = pending;
    if (p == null) {
      return;
    }
    pending = null;
    List<String> reports = null;
    Exception failure = null;
    try {
      reports = p.reports().get();
    } catch (ExecutionException e) {
      failure = e.getCause() instanceof Exception x ? x : e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = e;
    }
    commit(p.tag(), p.meta(), reports, failure);
  }

  /** Loads {@code reader}'s checkpoint into {@code engine}; see {@link EngineRestore#load}. */
  public static Resumed load(ZeroEngine engine, CheckpointReader reader) throws IOException {
    return EngineRestore.load(engine, reader);
  }

  /** Resumes from the newest loadable checkpoint; see {@link EngineRestore#resumeLatest}. */
  public static Optional<Resumed> resumeLatest(ZeroEngine engine, CheckpointStore store)
      throws IOException {
    return EngineRestore.resumeLatest(engine, store);
  }

  private List<Tensor> stage(List<Piece> plan) {
    List<Tensor> out = new ArrayList<>(plan.size());
    for (int i = 0; i < plan.size(); i++) {
      Piece p = plan.get(i);
      HostBuffer b = i < stagedPieces.size() ? stagedPieces.get(i) : null;
      if (b == null || b.elements() != p.count() || b.dtype() != p.dtype()) {
        if (b != null) {
          b.close();
        }
        b = staging.allocate("checkpoint_staging", p.dtype(), p.count());
        if (i < stagedPieces.size()) {
          stagedPieces.set(i, b);
        } else {
          stagedPieces.add(b);
        }
      }
      Tensor t = Tensor.whole(b);
      StatePieces.fill(engine.state(), p, t);
      out.add(t);
    }
    return out;
  }

  /** One host buffer per element type, as large as the largest piece of that type. */
  private void reserveScratch(List<Piece> plan) {
    for (Piece p : plan) {
      HostBuffer b = scratch.get(p.dtype());
      if (b == null || b.elements() < p.count()) {
        if (b != null) {
          b.close();
        }
        scratch.put(p.dtype(), staging.allocate("checkpoint_scratch", p.dtype(), p.count()));
      }
    }
  }

  private Tensor fillScratch(Piece p) {
    Tensor t = Tensor.whole(scratch.get(p.dtype())).view(0, p.count());
    StatePieces.fill(engine.state(), p, t);
    return t;
  }

  /** Writes this rank's files and returns their reports' JSON; the rank file is always written. */
  private List<String> writeFiles(String tag, List<Piece> plan, IntFunction<Tensor> data)
      throws IOException {
    int rank = comm.rank();
    long total = engine.state().total();
    List<String> reports = new ArrayList<>();
    for (String file : List.of(CheckpointFormat.rankFile(rank), CheckpointFormat.MODEL_STATES)) {
      boolean rankFile = !file.equals(CheckpointFormat.MODEL_STATES);
      if (!rankFile && plan.stream().noneMatch(p -> p.file().equals(file))) {
        continue;
      }
      try (CheckpointWriter w =
          rankFile
              ? CheckpointWriter.forRank(store, tag, rank)
              : CheckpointWriter.forModelStates(store, tag)) {
        for (int i = 0; i < plan.size(); i++) {
          Piece p = plan.get(i);
          if (p.file().equals(file)) {
            w.write(NamedTensor.part(p.name(), data.apply(i), p.whole(), p.start(), total));
          }
        }
        reports.add(w.finish().toJson());
      }
    }
    return reports;
  }

  /** Gathers every rank's reports (or failure) on rank 0, which commits; all ranks agree after. */
  private void commit(String tag, CheckpointMeta meta, List<String> reports, Exception failure)
      throws IOException {
    String payload;
    if (failure != null) {
      payload = "!" + failure;
    } else {
      try {
        payload = JSON.writeValueAsString(reports);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a list of strings failed to serialize", e);
      }
    }
    List<String> all = ByteExchange.allGatherStrings(be, comm, payload);
    String verdict = "";
    if (comm.rank() == 0) {
      verdict = commitOnRank0(tag, meta, all);
    }
    verdict = ByteExchange.fromRank0(be, comm, verdict);
    if (!verdict.isEmpty()) {
      IOException e =
          new IOException(
              "checkpoint " + store.describe() + "/" + tag + " was not committed: " + verdict);
      if (failure != null) {
        e.initCause(failure);
      }
      throw e;
    }
  }

  private String commitOnRank0(String tag, CheckpointMeta meta, List<String> payloads) {
    List<String> failures = new ArrayList<>();
    List<String> reports = new ArrayList<>();
    for (int r = 0; r < payloads.size(); r++) {
      String p = payloads.get(r);
      if (p.startsWith("!")) {
        failures.add("rank " + r + ": " + p.substring(1));
        continue;
      }
      try {
        for (JsonNode n : JSON.readTree(p)) {
          reports.add(n.textValue());
        }
      } catch (JsonProcessingException e) {
        failures.add("rank " + r + " sent an unreadable report: " + e.getOriginalMessage());
      }
    }
    if (!failures.isEmpty()) {
      return String.join("; ", failures);
    }
    try {
      CheckpointCommitter.commit(store, tag, meta, reports, keepLast);
      return "";
    } catch (IOException | RuntimeException e) {
      return "rank 0: " + e;
    }
  }

  /** Fails on every rank when any rank reports an error. */
  private void requireAll(String what, String localError) throws IOException {
    List<String> all =
        ByteExchange.allGatherStrings(be, comm, localError == null ? "" : localError);
    List<String> failed = new ArrayList<>();
    for (int r = 0; r < all.size(); r++) {
      if (!all.get(r).isEmpty()) {
        failed.add("rank " + r + ": " + all.get(r));
      }
    }
    if (!failed.isEmpty()) {
      throw new IOException("could not " + what + " in " + store.describe() + ": " + failed);
    }
  }

  /**
   * Waits for a background write in flight (without committing it: that takes every rank, see
   * {@link #commitPending()}), stops the writer thread and frees the staging buffers. Issues no
   * collective, so it is safe on a failure path.
   */
  @Override
  public void close() {
    try {
      if (pending != null) {
        try {
          pending.reports().get();
        } catch (ExecutionException e) {
          // The save was never committed, so its failure leaves nothing visible behind.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        pending = null;
      }
    } finally {
      if (writer != null) {
        writer.shutdown();
        try {
          if (!writer.awaitTermination(1, TimeUnit.MINUTES)) {
            writer.shutdownNow();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          writer.shutdownNow();
        }
      }
      stagedPieces.forEach(HostBuffer::close);
      stagedPieces.clear();
      scratch.values().forEach(HostBuffer::close);
      scratch.clear();
      staging.close();
    }
  }
}
