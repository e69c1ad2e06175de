package dev.sparkspeed.zero.engine.checkpoint;

import dev.sparkspeed.zero.checkpoint.CheckpointFormat;
import dev.sparkspeed.zero.engine.EngineState;
import dev.sparkspeed.zero.engine.Partition;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * What one rank writes in a save: pieces of the flat tensors {@code master}, {@code adam_m}, {@code
 * adam_v} (and, in mixed precision, {@code module}, the 16-bit weights), each piece tagged with its
 * place in the whole so that any world size can read any range back.
 *
 * <p>Rank r writes elements [r·⌈Ψ/N⌉, (r+1)·⌈Ψ/N⌉) ∩ [0, Ψ) of each optimizer tensor: at stages 1–3
 * that is exactly its own shard, at stage 0 (where every rank holds everything) a disjoint share,
 * so the writes still spread over all ranks. The 16-bit weights come from rank 0 in {@code
 * model_states.bin} where every rank keeps them whole (stages 0–2), and from each rank's shard at
 * stage 3. In FP32 the weights are the master weights and are not written twice.
 */
final class StatePieces {
  /** The flat tensor of model-precision weights. */
  static final String WEIGHTS = "module";

  /** Elements per piece at most, so a piece fits one host buffer and one write. */
  static final int MAX_PIECE = 1 << 24;

  /**
   * One contiguous piece of a flat tensor.
   *
   * @param file the tensor file it goes to
   * @param whole the flat tensor's name
   * @param start index of its first element in the whole
   * @param count elements
   * @param dtype element type
   */
  record Piece(String file, String whole, long start, int count, DType dtype) {
    /** Unique within a checkpoint: whole name and start. */
    String name() {
      return whole + "." + start;
    }
  }

  private StatePieces() {}

  /** This rank's pieces, rank file first, in write order. */
  static List<Piece> plan(ZeroEngine engine) {
    EngineState st = engine.state();
    int rank = engine.communicator().rank();
    Partition part = new Partition(st.total(), engine.communicator().worldSize());
    String rankFile = CheckpointFormat.rankFile(rank);
    // With more ranks than elements to spread, the last ranks' shards lie past Ψ and are empty.
    long lo = Math.min(part.start(rank), st.total());
    long hi = Math.min(part.end(rank), st.total());
    List<Piece> out = new ArrayList<>();
    for (String name : st.optimizerTensors()) {
      split(out, rankFile, name, lo, hi, DType.FP32);
    }
    DType w = st.weightType();
    if (w != DType.FP32) {
      if (!st.holdsWholeWeights()) {
        split(out, rankFile, WEIGHTS, lo, hi, w);
      } else if (rank == 0) {
        split(out, CheckpointFormat.MODEL_STATES, WEIGHTS, 0, st.total(), w);
      }
    }
    return out;
  }

  private static void split(List<Piece> out, String file, String name, long lo, long hi, DType t) {
    for (long s = lo; s < hi; s += MAX_PIECE) {
      out.add(new Piece(file, name, s, (int) Math.min(MAX_PIECE, hi - s), t));
    }
  }

  /** Copies a piece's current values from the engine into a host tensor of its size and type. */
  static void fill(EngineState st, Piece p, Tensor host) {
    if (p.whole().equals(WEIGHTS)) {
      st.downloadWeights(p.start(), host);
    } else {
      st.download(p.whole(), p.start(), host);
    }
  }
}
