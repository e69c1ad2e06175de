package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * One rank's training state as a checkpoint sees it: the FP32 master weights and optimizer moments
 * of the rank's range of the flat parameters (all Ψ at stage 0), the model-precision weights, the
 * step counters and the loss scaler. Element indices are global positions in the flat parameter
 * vector (the parameter table's layout), so a checkpoint written at one world size and stage can be
 * read back at another.
 *
 * <p>Not thread-safe: use it on the thread that drives the engine, between steps.
 */
public final class EngineState {
  /** The flat FP32 master weights (Ψ). */
  public static final String MASTER = "master";

  /** Adam's first moment, or SGD's momentum buffer (Ψ, FP32). */
  public static final String EXP_AVG = "adam_m";

  /** Adam's second moment (Ψ, FP32). */
  public static final String EXP_AVG_SQ = "adam_v";

  private final ZeroEngine engine;
  private final Backend be;

  EngineState(ZeroEngine engine) {
    this.engine = engine;
    this.be = engine.backend();
  }

  /** First element of the flat parameters this rank's optimizer holds. */
  public long from() {
    return engine.from();
  }

  /** One past the last element this rank's optimizer holds. */
  public long to() {
    return engine.to();
  }

  /** Ψ, the number of parameters. */
  public long total() {
    return engine.partition().total();
  }

  /** The FP32 tensors the optimizer keeps per parameter: master, then its moments. */
  public List<String> optimizerTensors() {
    List<String> out = new ArrayList<>(List.of(MASTER));
    int states = engine.settings().optimizer().stateCount();
    if (states >= 1) {
      out.add(EXP_AVG);
    }
    if (states >= 2) {
      out.add(EXP_AVG_SQ);
    }
    return out;
  }

  /**
   * Copies elements [start, start + hostDst.size()) of an optimizer tensor into a host FP32 tensor;
   * the range must lie in [from, to).
   */
  public void download(String name, long start, Tensor hostDst) {
    int n = checkRange(name, start, hostDst);
    if (n > 0) {
      be.download(hostDst, deviceTensor(name).view(start - from(), n));
    }
  }

  /** Copies a host FP32 tensor into elements [start, start + hostSrc.size()) of a tensor. */
  public void upload(String name, long start, Tensor hostSrc) {
    int n = checkRange(name, start, hostSrc);
    if (n > 0) {
      be.upload(deviceTensor(name).view(start - from(), n), hostSrc);
    }
  }

  /** Storage type of the model's weights (FP32, or the 16-bit type of mixed precision). */
  public DType weightType() {
    return engine.settings().precision().dtype();
  }

  /** True when this rank holds all Ψ model-precision weights (stages 0–2), not a shard. */
  public boolean holdsWholeWeights() {
    return engine.settings().stage() < 3;
  }

  /**
   * Copies model-precision weights [start, start + hostDst.size()) into a host tensor of {@link
   * #weightType()}: any range of Ψ at stages 0–2, a range inside [from, to) at stage 3.
   */
  public void downloadWeights(long start, Tensor hostDst) {
    long lo = holdsWholeWeights() ? 0 : from();
    long hi = holdsWholeWeights() ? total() : to();
    if (hostDst.dtype() != weightType() || start < lo || start + hostDst.size() > hi) {
      throw new IllegalArgumentException(
          "weights ["
              + start
              + ", "
              + (start + hostDst.size())
              + ") as "
              + hostDst.dtype()
              + ": this rank holds ["
              + lo
              + ", "
              + hi
              + ") as "
              + weightType());
    }
    if (hostDst.size() > 0) {
      be.download(hostDst, engine.modelWeights().view(start - lo, hostDst.intSize()));
    }
  }

  /** Optimizer steps applied so far. */
  public int appliedSteps() {
    return engine.appliedSteps();
  }

  /** Steps taken so far, skipped overflow steps included. */
  public long globalSteps() {
    return engine.globalSteps();
  }

  /** The engine's loss scaler (its {@link LossScaler#state()} goes into checkpoints). */
  public LossScaler lossScaler() {
    return engine.lossScaler();
  }

  /**
   * Finishes a restore after the master weights and moments were uploaded: sets the step counters
   * (the learning rate schedule is a function of the applied steps) and rebuilds the model weights
   * from the master weights. A collective at stages 1–2: every rank must call it.
   */
  public void restore(int appliedSteps, long globalSteps) {
    engine.restoreCounters(appliedSteps, globalSteps);
    engine.republish();
  }

  private Tensor deviceTensor(String name) {
    ShardedOptimizer opt = engine.optimizer();
    Tensor t =
        switch (name) {
          case MASTER -> opt.master();
          case EXP_AVG -> opt.moments()[0];
          case EXP_AVG_SQ -> opt.moments()[1];
          default -> null;
        };
    if (t == null) {
      throw new IllegalArgumentException(
          "optimizer tensor '"
              + name
              + "' is not kept here; this optimizer keeps "
              + optimizerTensors());
    }
    return t;
  }

  private int checkRange(String name, long start, Tensor host) {
    if (host.dtype() != DType.FP32) {
      throw new IllegalArgumentException(name + " is FP32; got a " + host.dtype() + " tensor");
    }
    if (start < from() || start + host.size() > to()) {
      throw new IllegalArgumentException(
          name
              + " ["
              + start
              + ", "
              + (start + host.size())
              + ") is outside this rank's range ["
              + from()
              + ", "
              + to()
              + ")");
    }
    return host.intSize();
  }
}
