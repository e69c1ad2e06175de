package dev.sparkspeed.zero.engine.checkpoint;

import dev.sparkspeed.zero.checkpoint.CheckpointLocator;
import dev.sparkspeed.zero.checkpoint.CheckpointMeta;
import dev.sparkspeed.zero.checkpoint.CheckpointReader;
import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import dev.sparkspeed.zero.checkpoint.CorruptCheckpointException;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.engine.EngineState;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint.Resumed;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The load side of {@link EngineCheckpoint}: every rank reads its own range [from, to) of the flat
 * optimizer tensors from whichever files hold it, whatever world size and stage wrote them; the
 * ranks agree that all reads succeeded before the counters are set and the weights republished.
 */
final class EngineRestore {
  private static final Logger LOG = LoggerFactory.getLogger(EngineRestore.class);

  /** Outcome codes exchanged between ranks: the load failed because the files are damaged. */
  private static final char CORRUPT = 'C';

  /** ... or for another reason (wrong model, I/O error), which an older checkpoint won't fix. */
  private static final char OTHER = 'E';

  private EngineRestore() {}

  /**
   * Loads a checkpoint into {@code engine}: the master weights and moments of every rank's range,
   * the step counters (hence the learning rate), the loss scaler (when saved in the same precision)
   * and the model weights rebuilt from the master weights. A collective.
   *
   * @throws CorruptCheckpointException when any rank found damaged data (its message names it)
   * @throws IllegalArgumentException when the checkpoint is for another model or optimizer
   */
  static Resumed load(ZeroEngine engine, CheckpointReader reader) throws IOException {
    Exception local = null;
    long[] steps = null;
    try {
      steps = read(engine, reader);
    } catch (IOException | RuntimeException e) {
      local = e;
    }
    List<String> failures = agree(engine, local);
    if (!failures.isEmpty()) {
      throw rethrow(failure(reader.tag(), local, failures));
    }
    return finish(engine, reader, steps);
  }

  /**
   * Loads the newest checkpoint of {@code store} that every rank can read: the one {@code latest}
   * names, else older committed ones in turn when a rank finds damaged or missing files. A
   * collective; rank 0 chooses the candidates so all ranks try the same tags.
   *
   * @return empty when the store holds no committed checkpoint (the engine is untouched)
   * @throws CorruptCheckpointException when there are checkpoints but none loads
   */
  static Optional<Resumed> resumeLatest(ZeroEngine engine, CheckpointStore store)
      throws IOException {
    Communicator comm = engine.communicator();
    String listed = "";
    if (comm.rank() == 0) {
      try {
        listed = String.join("\n", CheckpointLocator.candidates(store));
      } catch (IOException | RuntimeException e) {
        listed = "!" + e;
      }
    }
    listed = ByteExchange.fromRank0(engine.backend(), comm, listed);
    if (listed.startsWith("!")) {
      throw new IOException("cannot list checkpoints in " + store.describe() + ": " + listed);
    }
    if (listed.isEmpty()) {
      return Optional.empty();
    }
    List<String> tags = Arrays.asList(listed.split("\n"));
    List<String> skipped = new ArrayList<>();
    for (String tag : tags) {
      Exception local = null;
      long[] steps = null;
      CheckpointReader reader = null;
      try {
        reader = CheckpointReader.open(store, tag);
        steps = read(engine, reader);
      } catch (IOException | RuntimeException e) {
        local = e;
      }
      try {
        List<String> failures = agree(engine, local);
        if (failures.isEmpty()) {
          return Optional.of(finish(engine, reader, steps));
        }
        Exception f = failure(tag, local, failures);
        if (!(f instanceof CorruptCheckpointException)) {
          throw rethrow(f);
        }
        LOG.warn("skipping checkpoint {}/{}: {}", store.describe(), tag, f.getMessage());
        skipped.add(tag + " (" + f.getMessage() + ")");
      } finally {
        if (reader != null) {
          reader.close();
        }
      }
    }
    throw new CorruptCheckpointException(
        "no checkpoint in " + store.describe() + " could be loaded: " + skipped);
  }

  /** This rank's part of a load: checks, then master weights and moments into the engine. */
  private static long[] read(ZeroEngine engine, CheckpointReader r) throws IOException {
    EngineMeta.requireCompatible(r, engine);
    long[] steps = EngineMeta.steps(r);
    if (sameScaler(engine, r)) {
      // Validated here so that a bad value fails on every rank before any rank changes state.
      EngineMeta.scalerState(r);
    }
    EngineState st = engine.state();
    long from = st.from();
    long to = st.to();
    int chunk = (int) Math.min(StatePieces.MAX_PIECE, Math.max(1, to - from));
    try (Allocator host = new Allocator("checkpoint-load")) {
      Tensor buf = Tensor.whole(host.allocate("checkpoint_load", DType.FP32, chunk));
      try {
        for (String name : st.optimizerTensors()) {
          for (long s = from; s < to; s += chunk) {
            Tensor v = buf.view(0, (int) Math.min(chunk, to - s));
            r.readRange(name, s, s + v.size(), v.bytes());
            st.upload(name, s, v);
          }
        }
      } finally {
        buf.storage().close();
      }
    }
    return steps;
  }

  private static Resumed finish(ZeroEngine engine, CheckpointReader r, long[] steps)
      throws IOException {
    EngineState st = engine.state();
    CheckpointMeta meta = r.manifest().meta();
    if (sameScaler(engine, r)) {
      st.lossScaler().restore(EngineMeta.scalerState(r));
    } else if (engine.communicator().rank() == 0) {
      LOG.info(
          "checkpoint {} was trained in {}, this run in {}: the loss scaler starts afresh",
          r.tag(),
          EngineMeta.precision(r),
          engine.settings().precision());
    }
    st.restore(Math.toIntExact(steps[0]), steps[1]);
    if (engine.communicator().rank() == 0) {
      LOG.info(
          "resumed from checkpoint {} at step {} (saved by {} ranks at ZeRO stage {}; now {} at"
              + " stage {})",
          r.tag(),
          steps[1],
          meta.worldSize(),
          meta.zeroStage(),
          engine.communicator().worldSize(),
          engine.settings().stage());
    }
    return new Resumed(
        r.tag(),
        steps[1],
        Math.toIntExact(steps[0]),
        meta.worldSize(),
        meta.zeroStage(),
        meta.dataCursor(),
        meta.rngStates(),
        meta.deepspeedConfig());
  }

  private static boolean sameScaler(ZeroEngine engine, CheckpointReader r) {
    return EngineMeta.precision(r)
        .equals(engine.settings().precision().name().toLowerCase(Locale.ROOT));
  }

  /** Every rank's failure ("" when it succeeded), gathered on every rank; empty when all did. */
  private static List<String> agree(ZeroEngine engine, Exception local) {
    String mine = "";
    if (local != null) {
      mine = (local instanceof CorruptCheckpointException ? CORRUPT : OTHER) + local.toString();
    }
    List<String> all = ByteExchange.allGatherStrings(engine.backend(), engine.communicator(), mine);
    List<String> failed = new ArrayList<>();
    for (int r = 0; r < all.size(); r++) {
      if (!all.get(r).isEmpty()) {
        failed.add(r + all.get(r));
      }
    }
    return failed;
  }

  private static IOException rethrow(Exception e) {
    if (e instanceof IOException io) {
      return io;
    }
    if (e instanceof RuntimeException re) {
      throw re;
    }
    return new IOException(e);
  }

  /**
   * The exception to throw when some rank failed: this rank's own if it failed, else one of the
   * same kind naming the ranks that did.
   */
  private static Exception failure(String tag, Exception local, List<String> failures) {
    if (local != null) {
      return local;
    }
    boolean other = false;
    List<String> text = new ArrayList<>();
    for (String f : failures) {
      int i = 0;
      while (Character.isDigit(f.charAt(i))) {
        i++;
      }
      other |= f.charAt(i) == OTHER;
      text.add("rank " + f.substring(0, i) + ": " + f.substring(i + 1));
    }
    String msg = "loading checkpoint " + tag + " failed on another rank: " + text;
    return other ? new IllegalStateException(msg) : new CorruptCheckpointException(msg);
  }
}
