package dev.sparkspeed.zero.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * Linear layers with a nonlinearity between them; softmax cross-entropy for classification, squared
 * error for regression. One parameter group per layer ("layers.i").
 */
public final class MlpModel implements Model {
  private final MlpConfig cfg;
  private final Backend be;
  private final ParameterTable table;
  private final int b;
  private final int[] dims; // input, hidden..., outputs
  private final ActivationSlab acts;
  private final ActivationSlab grads;
  private final Tensor input; // (B, F)
  private final Tensor targets; // (B) int32 classes or fp32 values
  private final Tensor[] pre; // per layer (B, dims[i+1]) before activation
  private final Tensor[] post; // per hidden layer (B, dims[i+1]) after activation
  private final Tensor[] dpre;
  private final Tensor[] dpost;
  private final Tensor dinput;
  private final Tensor probs; // (B, outputs), classification only
  private final Tensor losses; // (B)
  private final Allocator hostAlloc = new Allocator("mlp-host");
  private final Tensor hostLosses;
  private int targetCount;

  public MlpModel(MlpConfig cfg, Backend backend, int b) {
    this.cfg = cfg;
    this.be = backend;
    this.b = b;
    this.table = table(cfg);
    this.dims = new int[cfg.hidden().length + 2];
    dims[0] = cfg.inputDim();
    System.arraycopy(cfg.hidden(), 0, dims, 1, cfg.hidden().length);
    dims[dims.length - 1] = cfg.outputs();
    int n = dims.length - 1;
    this.input = backend.allocate("batch", DType.FP32, b, dims[0]);
    this.targets = backend.allocate("batch", cfg.isRegression() ? DType.FP32 : DType.INT32, b);
    this.acts = new ActivationSlab(backend, "activations");
    this.grads = new ActivationSlab(backend, "activation_grads");
    int[] ap = new int[n];
    int[] aq = new int[n];
    int[] gp = new int[n];
    int[] gq = new int[n];
    for (int i = 0; i < n; i++) {
      ap[i] = acts.reserve(b, dims[i + 1]);
      aq[i] = acts.reserve(b, i < n - 1 ? dims[i + 1] : 0);
      gp[i] = grads.reserve(b, dims[i + 1]);
      gq[i] = grads.reserve(b, i < n - 1 ? dims[i + 1] : 0);
    }
    int aProbs = acts.reserve(b, cfg.outputs());
    int aLosses = acts.reserve(b);
    int gIn = grads.reserve(b, dims[0]);
    Tensor[] av = acts.allocate();
    Tensor[] gv = grads.allocate();
    this.pre = new Tensor[n];
    this.post = new Tensor[n];
    this.dpre = new Tensor[n];
    this.dpost = new Tensor[n];
    for (int i = 0; i < n; i++) {
      pre[i] = av[ap[i]];
      post[i] = av[aq[i]];
      dpre[i] = gv[gp[i]];
      dpost[i] = gv[gq[i]];
    }
    this.probs = av[aProbs];
    this.losses = av[aLosses];
    this.dinput = gv[gIn];
    this.hostLosses = Tensor.whole(hostAlloc.allocate("losses", DType.FP32, b));
  }

  /** Layers "layers.i.weight" (out, in) and "layers.i.bias" (out); biases not decayed. */
  public static ParameterTable table(MlpConfig cfg) {
    ParameterTable.Builder tb = ParameterTable.builder();
    int in = cfg.inputDim();
    int[] outs = new int[cfg.hidden().length + 1];
    System.arraycopy(cfg.hidden(), 0, outs, 0, cfg.hidden().length);
    outs[outs.length - 1] = cfg.outputs();
    for (int i = 0; i < outs.length; i++) {
      String g = "layers." + i;
      tb.add(g + ".weight", g, true, outs[i], in);
      tb.add(g + ".bias", g, false, outs[i]);
      in = outs[i];
    }
    return tb.build();
  }

  @Override
  public ParameterTable table() {
    return table;
  }

  @Override
  public JsonNode configJson() {
    return cfg.toJson();
  }

  /** Kaiming-uniform-like: U(−1/√in, 1/√in) for weights and biases, as PyTorch's Linear. */
  @Override
  public void initialize(Tensor hostParams, long seed) {
    for (ParamSpec p : table.params()) {
      int fanIn = p.shape().length == 2 ? p.shape()[1] : dims[indexOf(p)];
      double bound = 1.0 / Math.sqrt(fanIn);
      FloatBuffer f = hostParams.view(p.offset(), Math.toIntExact(p.size())).floats();
      var r = ParamInit.rng(seed, p.name());
      for (int i = 0; i < p.size(); i++) {
        f.put(i, (float) ((r.nextDouble() * 2 - 1) * bound));
      }
    }
  }

  private int indexOf(ParamSpec bias) {
    return Integer.parseInt(bias.group().substring("layers.".length()));
  }

  private Tensor w(WeightSource ws, int i) {
    return ws.param(table.get("layers." + i + ".weight"));
  }

  private Tensor bias(WeightSource ws, int i) {
    return ws.param(table.get("layers." + i + ".bias"));
  }

  @Override
  public float forward(WeightSource ws, Batch batch) {
    if (batch.inputs().size() != (long) b * dims[0] || batch.targets().size() != b) {
      throw new IllegalArgumentException(
          "MLP expects "
              + b
              + "×"
              + dims[0]
              + " features and "
              + b
              + " targets, got "
              + batch.inputs()
              + " and "
              + batch.targets());
    }
    be.upload(input, batch.inputs());
    be.upload(targets, batch.targets());
    int n = dims.length - 1;
    Tensor x = input;
    for (int i = 0; i < n; i++) {
      String g = "layers." + i;
      ws.beginForward(g);
      be.linearForward(pre[i], x, w(ws, i), bias(ws, i), b, dims[i], dims[i + 1]);
      ws.endForward(g);
      if (i < n - 1) {
        be.activationForward(cfg.activation(), post[i], pre[i], b * dims[i + 1]);
        x = post[i];
      }
    }
    if (cfg.isRegression()) {
      be.mseForward(losses, pre[n - 1], targets, b);
      targetCount = b;
    } else {
      be.crossEntropyForward(
          losses, probs, pre[n - 1], targets, b, cfg.outputs(), cfg.outputs(), Batch.IGNORE_INDEX);
      targetCount = 0;
      for (int i = 0; i < b; i++) {
        if (batch.targets().ints().get(i) != Batch.IGNORE_INDEX) {
          targetCount++;
        }
      }
    }
    be.download(hostLosses, losses);
    double sum = 0;
    for (int i = 0; i < b; i++) {
      sum += hostLosses.floats().get(i);
    }
    return targetCount == 0 ? 0f : (float) (sum / targetCount);
  }

  @Override
  public void backward(WeightSource ws, float lossScale) {
    int n = dims.length - 1;
    be.fill(grads.flat(), 0f);
    float dloss = targetCount == 0 ? 0f : lossScale / targetCount;
    if (cfg.isRegression()) {
      be.mseBackward(dpre[n - 1], pre[n - 1], targets, dloss, b);
    } else {
      be.crossEntropyBackward(
          dpre[n - 1], probs, targets, dloss, b, cfg.outputs(), cfg.outputs(), Batch.IGNORE_INDEX);
    }
    for (int i = n - 1; i >= 0; i--) {
      String g = "layers." + i;
      Tensor x = i == 0 ? input : post[i - 1];
      Tensor dx = i == 0 ? dinput : dpost[i - 1];
      ws.beginBackward(g);
      be.linearBackward(
          dx,
          ws.grad(table.get(g + ".weight")),
          ws.grad(table.get(g + ".bias")),
          dpre[i],
          x,
          w(ws, i),
          b,
          dims[i],
          dims[i + 1]);
      ws.endBackward(g);
      if (i > 0) {
        be.activationBackward(cfg.activation(), dpre[i - 1], pre[i - 1], dpost[i - 1], b * dims[i]);
      }
    }
  }

  /** Predictions (B, outputs): class probabilities, or the regression value. */
  public void predictions(Tensor hostOut) {
    be.download(hostOut, cfg.isRegression() ? pre[dims.length - 2] : probs);
  }

  @Override
  public int lastTargetCount() {
    return targetCount;
  }

  @Override
  public double flopsPerToken() {
    return 6.0 * table.totalElements();
  }

  public MlpConfig config() {
    return cfg;
  }

  public int batchSize() {
    return b;
  }

  @Override
  public void close() {
    acts.close();
    grads.close();
    be.free(input);
    be.free(targets);
    hostLosses.storage().close();
    hostAlloc.close();
  }
}
