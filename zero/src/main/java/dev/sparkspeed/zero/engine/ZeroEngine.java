package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Model;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training step of one data-parallel rank under ZeRO stage 0–3: forward and backward over the
 * rank's micro-batches, gradient reduction, overflow check and clipping, the sharded optimizer
 * step, and publication of the updated parameters. Every rank of the job must call the same methods
 * in the same order (they issue collectives).
 */
public final class ZeroEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ZeroEngine.class);
  private static final String[] STATE_PURPOSES = {"params", "grads", "master", "adam_m", "adam_v"};

  private final Model model;
  private final Backend be;
  private final Communicator comm;
  private final TrainSettings s;
  private final Partition part;
  private final GroupRanges groups;
  private final HalfOps half;
  private final ParamStore params;
  private final GradStore grads;
  private final ShardedOptimizer opt;
  private final ZeroWeights weights;
  private final Tensor paramsFull; // stages 0–2: (padded) in the model's precision
  private final Tensor paramShard; // stage 3: (shard) in the model's precision
  private final Tensor stats; // (3): sum of squares, non-finite flag, loss sum
  private final Allocator hostAlloc = new Allocator("engine-host");
  private final Tensor hostStats;
  private final LossScaler scaler;
  private final long from;
  private final long to;
  private int appliedSteps;
  private boolean gradsClear; // every gradient is 0 already: the last step's optimizer cleared it
  private long globalSteps;

  /** Result of one optimizer step. */
  public record StepResult(
      float loss, double gradNorm, double lr, boolean skipped, double lossScale) {}

  public ZeroEngine(Model model, Backend backend, Communicator comm, TrainSettings settings) {
    this.model = model;
    this.be = backend;
    this.comm = comm;
    this.s = settings;
    long psi = model.table().totalElements();
    this.part = new Partition(psi, comm.worldSize());
    this.groups = new GroupRanges(model.table());
    this.half = new HalfOps(backend);
    DType dt = settings.precision().dtype();
    int r = comm.rank();
    int stage = settings.stage();
    this.from = stage == 0 ? 0 : part.start(r);
    this.to = stage == 0 ? psi : part.end(r);
    boolean whole = dt != DType.FP32 && backend.prefersWholeFp32Copies();
    DType gradType = whole ? DType.FP32 : dt;
    if (stage < 3) {
      paramsFull = backend.allocate("params", dt, Math.toIntExact(part.padded()));
      paramShard = null;
      if (dt == DType.FP32) {
        params = new FlatParams(paramsFull, groups);
      } else if (whole) {
        params = new ShadowParams(backend, paramsFull, groups);
      } else {
        params = new WidenedParams(backend, paramsFull, groups);
      }
    } else {
      paramsFull = null;
      paramShard = backend.allocate("params", dt, Math.toIntExact(part.shardSize()));
      params =
          new GatheredParams(
              backend, comm, part, groups, paramShard, settings.persistenceThreshold());
    }
    grads =
        stage < 2
            ? new FullGrads(
                backend, comm, part, groups, gradType, stage, settings.reduceBucketSize(), half)
            : new ShardedGrads(
                backend,
                comm,
                part,
                groups,
                gradType,
                settings.reduceBucketSize(),
                settings.overlapComm(),
                half);
    Tensor sharedMaster = null;
    if (dt == DType.FP32 && stage == 0) {
      sharedMaster = paramsFull.view(0, Math.toIntExact(psi));
    } else if (dt == DType.FP32 && stage == 3) {
      sharedMaster = paramShard.view(0, Math.toIntExact(Math.max(1, to - from)));
    }
    opt =
        new ShardedOptimizer(
            backend, settings.optimizer(), model.table(), from, to, sharedMaster, half);
    stats = backend.allocate("stats", DType.FP32, 3);
    hostStats = Tensor.whole(hostAlloc.allocate("stats", DType.FP32, 3));
    weights = new ZeroWeights(params, grads, groups);
    scaler = settings.lossScaler().get();
    initialize();
    LOG.info(
        "rank {}/{}: ZeRO stage {} {}, {} parameters, model states {} bytes",
        r,
        comm.worldSize(),
        stage,
        settings.precision(),
        psi,
        modelStateBytes());
  }

  private void initialize() {
    try (Allocator tmp = new Allocator("init")) {
      var host = tmp.allocate("init", DType.FP32, model.table().totalElements());
      Tensor full = Tensor.whole(host);
      model.initialize(full, s.seed());
      loadParams(full);
      host.close();
    }
  }

  /** Replaces the parameters (and master weights) by a host FP32 vector of Ψ elements. */
  public void loadParams(Tensor hostFull) {
    long n = to - from;
    if (n > 0) {
      be.upload(opt.master().view(0, Math.toIntExact(n)), hostFull.view(from, Math.toIntExact(n)));
    }
    publishParams();
  }

  /** This rank's micro-batches of one step: gradient_accumulation_steps of them. */
  public StepResult step(List<Batch> micro) {
    if (micro.size() != s.gradAccumSteps()) {
      throw new IllegalArgumentException(
          "got "
              + micro.size()
              + " micro-batches for gradient_accumulation_steps "
              + s.gradAccumSteps());
    }
    if (!gradsClear) {
      grads.zero();
    }
    gradsClear = false;
    double lossSum = 0;
    int world = comm.worldSize();
    // As in DeepSpeed, each rank's gradient is divided by the world size before the reduction, so
    // the reduced 16-bit gradient is the mean and keeps the same fp16 headroom at any world size.
    float scale = (float) (scaler.scale() / ((double) s.gradAccumSteps() * world));
    for (Batch b : micro) {
      float loss = model.forward(weights, b);
      if (!Float.isFinite(loss) && scaler.scale() == 1.0) {
        throw new ArithmeticException(
            "loss is "
                + loss
                + " at step "
                + globalSteps
                + " on rank "
                + comm.rank()
                + ": "
                + nonFiniteCause(b));
      }
      lossSum += loss;
      model.backward(weights, scale);
    }
    grads.finish();
    Tensor owned = grads.owned().view(0, Math.toIntExact(Math.max(1, to - from)));
    boolean countHere = s.stage() > 0 || comm.rank() == 0;
    if (s.gradientClipping() <= 0
        && s.precision() == Precision.FP32
        && be.fusesAdamWAndClear()
        && opt.clearsInStep(owned.dtype())) {
      return fusedStep(owned, countHere, lossSum);
    }
    double sumsq = countHere && to > from ? be.sumOfSquares(owned) : 0;
    // A sum of squares in double cannot overflow for float inputs, so it is finite exactly when
    // every gradient is: one pass serves both the norm and the overflow check.
    boolean finite = Double.isFinite(sumsq);
    double[] g = reduceStats(sumsq, finite ? 0 : 1, lossSum);
    float meanLoss = (float) (g[2] / (s.gradAccumSteps() * world));
    globalSteps++;
    if (g[1] > 0 || !Double.isFinite(g[0])) {
      scaler.update(true);
      LOG.info(
          "step {}: gradient overflow, step skipped, loss scale now {}",
          globalSteps,
          scaler.scale());
      return new StepResult(
          meanLoss, Double.NaN, s.schedule().lr(appliedSteps), true, scaler.scale());
    }
    double unscale = 1.0 / scaler.scale();
    double norm = Math.sqrt(g[0]) * unscale;
    double coef = 1.0;
    if (s.gradientClipping() > 0) {
      double c = s.gradientClipping() / (norm + 1e-6);
      coef = Math.min(1.0, c);
    }
    double lr = s.schedule().lr(appliedSteps);
    appliedSteps++;
    if (to > from) {
      opt.step(owned, lr, coef * unscale, appliedSteps);
    }
    publishParams();
    scaler.update(false);
    return new StepResult(meanLoss, norm, lr, false, scaler.scale());
  }

  /**
   * The rest of an FP32 step without clipping, where nothing needs the gradient norm before the
   * update, on a backend that fuses the pass: one optimizer pass updates, sums the squares for the
   * reported norm and clears the gradients. At stage 0 that pass covers every gradient, so the next
   * step need not clear them again. There is no overflow check to skip the step with; non-finite
   * gradients fail it instead, after the update.
   */
  private StepResult fusedStep(Tensor owned, boolean countHere, double lossSum) {
    double lr = s.schedule().lr(appliedSteps);
    appliedSteps++;
    double unscale = 1.0 / scaler.scale();
    double local = to > from ? opt.stepAndClear(owned, lr, unscale, appliedSteps) : 0;
    gradsClear = s.stage() == 0;
    double sumsq = countHere ? local : 0;
    double[] g = reduceStats(sumsq, Double.isFinite(sumsq) ? 0 : 1, lossSum);
    float meanLoss = (float) (g[2] / (s.gradAccumSteps() * comm.worldSize()));
    globalSteps++;
    if (g[1] > 0 || !Double.isFinite(g[0])) {
      throw new ArithmeticException(
          "gradients are not finite at step "
              + globalSteps
              + " (loss "
              + meanLoss
              + ") and the parameters took them; lower the learning rate or set"
              + " gradient_clipping, which checks the gradients before each update");
    }
    publishParams();
    scaler.update(false);
    return new StepResult(meanLoss, Math.sqrt(g[0]) * unscale, lr, false, scaler.scale());
  }

  /**
   * Why a loss is not finite: a bad value in the batch's FP32 features or targets, else the
   * weights.
   */
  private static String nonFiniteCause(Batch b) {
    for (Tensor t : new Tensor[] {b.inputs(), b.targets()}) {
      if (t.dtype() != DType.FP32) {
        continue;
      }
      FloatBuffer f = t.floats();
      for (int i = 0; i < f.limit(); i++) {
        if (!Float.isFinite(f.get(i))) {
          return (t == b.inputs() ? "input feature " : "target ")
              + i
              + " of the micro-batch is "
              + f.get(i)
              + "; clean or impute the input data";
        }
      }
    }
    return "the parameters diverged; lower the learning rate or enable gradient_clipping";
  }

  private double[] reduceStats(double sumsq, double nonFinite, double lossSum) {
    if (comm.worldSize() == 1) {
      return new double[] {sumsq, nonFinite, lossSum};
    }
    FloatBuffer h = hostStats.floats();
    h.put(0, (float) sumsq).put(1, (float) nonFinite).put(2, (float) lossSum);
    be.upload(stats, hostStats);
    comm.allReduce(stats).await();
    be.download(hostStats, stats);
    return new double[] {h.get(0), h.get(1), h.get(2)};
  }

  private void publishParams() {
    int n = Math.toIntExact(Math.max(0, to - from));
    Tensor master = opt.master();
    if (s.stage() == 3) {
      if (paramShard.dtype() != DType.FP32 && n > 0) {
        be.copy(paramShard.view(0, n), master.view(0, n));
      }
    } else {
      if (n > 0 && (paramsFull.dtype() != DType.FP32 || s.stage() > 0)) {
        be.copy(paramsFull.view(from, n), master.view(0, n));
      }
      if (s.stage() > 0 && comm.worldSize() > 1) {
        // In place: this rank's shard of the full buffer is the all-gather's input.
        Tensor own = paramsFull.view(part.start(comm.rank()), Math.toIntExact(part.shardSize()));
        comm.allGather(paramsFull, own).await();
      }
    }
    params.invalidate();
  }

  /**
   * Writes the full FP32 master parameters (Ψ) into a host tensor. A collective at stages 1–3:
   * every rank must call it.
   */
  public void copyParamsTo(Tensor hostFull) {
    long psi = part.total();
    if (s.stage() == 0) {
      be.download(
          hostFull.view(0, Math.toIntExact(psi)), opt.master().view(0, Math.toIntExact(psi)));
      return;
    }
    Tensor all = be.allocate("export", DType.FP32, Math.toIntExact(psi));
    try {
      int[] counts = part.counts(0, psi);
      comm.allGatherV(all, opt.master().view(0, counts[comm.rank()]), counts).await();
      be.download(hostFull.view(0, Math.toIntExact(psi)), all);
    } finally {
      be.free(all);
    }
  }

  /** Bytes of model states on this rank: parameters, gradients, master weights, moments. */
  public long modelStateBytes() {
    long sum = 0;
    for (String p : STATE_PURPOSES) {
      sum += be.liveBytes(p);
    }
    return sum;
  }

  /** Optimizer steps applied so far (skipped overflow steps excluded). */
  public int appliedSteps() {
    return appliedSteps;
  }

  /** Steps taken so far, skipped ones included. */
  public long globalSteps() {
    return globalSteps;
  }

  public LossScaler lossScaler() {
    return scaler;
  }

  public Model model() {
    return model;
  }

  public TrainSettings settings() {
    return s;
  }

  public Partition partition() {
    return part;
  }

  /** This rank's training state, for checkpoints: its optimizer range, counters and weights. */
  public EngineState state() {
    return new EngineState(this);
  }

  /** The backend the engine's tensors live on. */
  public Backend backend() {
    return be;
  }

  /** The communicator of the job's ranks. */
  public Communicator communicator() {
    return comm;
  }

  ShardedOptimizer optimizer() {
    return opt;
  }

  /** The first and one-past-last element of the flat parameters this rank's optimizer owns. */
  long from() {
    return from;
  }

  long to() {
    return to;
  }

  /** The model-precision weights: all Ψ (padded) at stages 0–2, this rank's shard at stage 3. */
  Tensor modelWeights() {
    return paramsFull != null ? paramsFull : paramShard;
  }

  /** Sets the step counters after a checkpoint's master weights and moments were loaded. */
  void restoreCounters(int applied, long global) {
    if (applied < 0 || global < applied) {
      throw new IllegalArgumentException(
          "applied steps " + applied + " and global steps " + global + " are inconsistent");
    }
    this.appliedSteps = applied;
    this.globalSteps = global;
  }

  /** Rebuilds the model-precision weights from the master weights. A collective at stages 1–2. */
  void republish() {
    publishParams();
  }

  @Override
  public void close() {
    params.close();
    grads.close();
    opt.close();
    half.close();
    if (paramsFull != null) {
      be.free(paramsFull);
    }
    if (paramShard != null) {
      be.free(paramShard);
    }
    be.free(stats);
    hostStats.storage().close();
    hostAlloc.close();
  }
}
