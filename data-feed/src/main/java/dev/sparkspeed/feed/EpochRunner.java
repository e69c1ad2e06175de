package dev.sparkspeed.feed;

import java.util.ArrayList;
import java.util.List;

/**
 * The epoch loop both batchers share: pulls units (token blocks or feature rows) from passes over a
 * {@link RecordBatchSource} through a {@link ShuffleBuffer}, hands out exactly {@code steps}
 * batches, wraps around when the plan allows it, and keeps the {@link FeedCursor}.
 *
 * <p>At the end of each pass the shuffle buffer is drained before the next pass starts, so every
 * unit of a pass is handed out once before any unit of the next pass (a wrapped partition repeats
 * whole passes, it does not skip the tail of one).
 */
final class EpochRunner<U> implements AutoCloseable {
  /** Turns one pass of record batches into units. */
  interface Units<U> {
    /** Forgets any carry-over from an earlier epoch. */
    void startEpoch();

    /** Reads the next pass from {@code batches}; carry-over within an epoch is kept. */
    void startPass(RecordBatchStream batches);

    /** The next unit of this pass, or null when the pass is over. */
    U next();

    /** Rows read so far in this pass. */
    long rowsRead();

    /** Whether this pass has read any data at all (rows for features, tokens for text). */
    boolean passHadData();

    /** Mixes {@code unit} into the running digest {@code h}. */
    long digest(U unit, long h);

    /** Names the column, for messages. */
    String column();
  }

  private final RecordBatchSource source;
  private final Units<U> units;
  private final int batchSize;
  private final int shuffleCapacity;
  private final long seed;
  private final List<U> batch;
  private ShuffleBuffer<U> shuffle;
  private RecordBatchStream stream;
  private boolean draining;
  private int epoch;
  private long steps;
  private boolean wrap;
  private long step;
  private long rowsBefore;
  private long digest;
  private boolean started;

  EpochRunner(RecordBatchSource source, Units<U> units, int batchSize, int shuffle, long seed) {
    this.source = source;
    this.units = units;
    this.batchSize = batchSize;
    this.shuffleCapacity = shuffle;
    this.seed = seed;
    this.batch = new ArrayList<>(batchSize);
  }

  /** Starts epoch {@code epoch} from its first row; it will hand out {@code steps} batches. */
  void start(int epoch, long steps, boolean wrap) {
    if (epoch < 0 || steps < 0) {
      throw new IllegalArgumentException(
          "epoch " + epoch + " and steps " + steps + " must be >= 0");
    }
    closeStream();
    this.epoch = epoch;
    this.steps = steps;
    this.wrap = wrap;
    this.shuffle = new ShuffleBuffer<>(shuffleCapacity, FeedCursor.epochSeed(seed, epoch));
    this.step = 0;
    this.rowsBefore = 0;
    this.digest = 0;
    this.draining = false;
    this.started = true;
    units.startEpoch();
  }

  /**
   * Replays epoch {@code cursor.epoch()} up to {@code cursor.step()} and checks that the replay
   * reached the same state; the next batch is then the one that followed when the cursor was saved.
   */
  void resume(FeedCursor cursor, long steps, boolean wrap) {
    if (cursor.seed() != seed) {
      throw new FeedException(
          "the feed cursor was saved with shuffle seed "
              + cursor.seed()
              + " but this feed uses seed "
              + seed
              + "; resume with the seed the run started with");
    }
    if (cursor.step() > steps) {
      throw new FeedException(
          "the feed cursor is at step "
              + cursor.step()
              + " of epoch "
              + cursor.epoch()
              + " but the epoch plan has only "
              + steps
              + " steps; the data or the batch settings changed since the checkpoint");
    }
    start(cursor.epoch(), steps, wrap);
    for (long s = 0; s < cursor.step(); s++) {
      next();
    }
    FeedCursor now = cursor();
    check("rows read", now.rowsConsumed(), cursor.rowsConsumed(), cursor, false);
    check("shuffle state", now.rngState(), cursor.rngState(), cursor, true);
    check("batch digest", now.digest(), cursor.digest(), cursor, true);
  }

  private void check(String what, long replayed, long saved, FeedCursor cursor, boolean hex) {
    if (replayed != saved) {
      throw new FeedException(
          "resuming column '"
              + units.column()
              + "' at epoch "
              + cursor.epoch()
              + " step "
              + cursor.step()
              + ": the replay's "
              + what
              + " is "
              + (hex ? Long.toHexString(replayed) : Long.toString(replayed))
              + ", the checkpoint saved "
              + (hex ? Long.toHexString(saved) : Long.toString(saved))
              + "; this partition no longer yields the rows it did (other input files, another"
              + " partitioning or other feed settings), so the batch sequence would differ");
    }
  }

  boolean hasNext() {
    return started && step < steps;
  }

  /** The next batch's units, in order; the list is reused by the following call. */
  List<U> next() {
    if (!hasNext()) {
      throw new IllegalStateException(
          started
              ? "epoch " + epoch + " is over after " + steps + " steps; start the next epoch"
              : "start an epoch before asking for batches");
    }
    batch.clear();
    for (int i = 0; i < batchSize; i++) {
      U u = pull();
      digest = units.digest(u, digest);
      batch.add(u);
    }
    step++;
    return batch;
  }

  private U pull() {
    while (true) {
      if (draining) {
        U u = shuffle.poll();
        if (u != null) {
          return u;
        }
        draining = false;
        if (!wrap) {
          throw new FeedException(
              "column '"
                  + units.column()
                  + "': the partition ran out after "
                  + rowsBefore
                  + " rows at step "
                  + step
                  + " of "
                  + steps
                  + " in epoch "
                  + epoch
                  + "; epoch policy trim never wraps, so the counts given to EpochPlan must be"
                  + " what this feed reads (count them with the batcher's count method on the same"
                  + " source and settings)");
        }
      }
      if (stream == null) {
        stream = source.open();
        units.startPass(stream);
      }
      U u = units.next();
      if (u != null) {
        U out = shuffle.offer(u);
        if (out != null) {
          return out;
        }
        continue;
      }
      boolean hadData = units.passHadData();
      rowsBefore += units.rowsRead();
      closeStream();
      if (!hadData) {
        throw new FeedException(
            "column '"
                + units.column()
                + "': a full pass over this rank's partition found no data, so it cannot fill a"
                + " batch; repartition the input so every rank gets rows (see EpochPlan)");
      }
      draining = true;
    }
  }

  /** The state after the last batch handed out. */
  FeedCursor cursor() {
    long rows = rowsBefore + (stream == null ? 0 : units.rowsRead());
    long rng = shuffle == null ? FeedCursor.epochSeed(seed, epoch) : shuffle.rngState();
    return new FeedCursor(epoch, step, rows, seed, rng, digest);
  }

  int epoch() {
    return epoch;
  }

  private void closeStream() {
    if (stream != null) {
      RecordBatchStream s = stream;
      stream = null;
      s.close();
    }
  }

  /** Closes the open pass, if any; the source itself belongs to the caller. */
  @Override
  public void close() {
    closeStream();
  }
}
