package dev.sparkspeed.zero.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * GPT-2: token + position embedding, L pre-norm transformer blocks (causal self-attention and a
 * GELU MLP), a final layer norm and a head tied to the token embedding. Activations for one
 * micro-batch shape (B, T) are allocated once on the backend.
 */
public final class Gpt2Model implements Model {
  private static final int IGNORE = Batch.IGNORE_INDEX;

  private final Gpt2Config cfg;
  private final Backend be;
  private final ParameterTable table;
  private final int b;
  private final int t;
  private final ActivationSlab acts;
  private final ActivationSlab grads;
  private final Tensor tokens; // (B, T) int32
  private final Tensor targets; // (B, T) int32
  private final Layer[] layers;
  private final Layer[] dlayers;
  private final Tensor encoded; // (B, T, C)
  private final Tensor lnf; // (B, T, C)
  private final Tensor lnfMean; // (B, T)
  private final Tensor lnfRstd; // (B, T)
  private final Tensor logits; // (B, T, Vp)
  private final Tensor probs; // (B, T, Vp)
  private final Tensor losses; // (B, T)
  private final Tensor dencoded;
  private final Tensor dlnf;
  private final Tensor dlogits;
  private final Tensor dpreatt; // (B, NH, T, T) scratch
  private final Tensor datt; // (B, NH, T, T) scratch
  private final Allocator hostAlloc = new Allocator("gpt2-host");
  private final Tensor hostLosses; // (B, T) host copy of losses
  private int targetCount;

  /** Per-block activations (or their gradients), each a view into a slab. */
  private record Layer(
      Tensor ln1,
      Tensor ln1Mean,
      Tensor ln1Rstd,
      Tensor qkv,
      Tensor atty,
      Tensor preatt,
      Tensor att,
      Tensor attproj,
      Tensor res2,
      Tensor ln2,
      Tensor ln2Mean,
      Tensor ln2Rstd,
      Tensor fch,
      Tensor fchGelu,
      Tensor fcproj,
      Tensor res3) {}

  /**
   * @param b micro-batch size B
   * @param t sequence length T ≤ block_size
   */
  public Gpt2Model(Gpt2Config cfg, Backend backend, int b, int t) {
    if (t > cfg.blockSize()) {
      throw new IllegalArgumentException(
          "sequence length " + t + " exceeds the model's block_size " + cfg.blockSize());
    }
    this.cfg = cfg;
    this.be = backend;
    this.table = table(cfg);
    this.b = b;
    this.t = t;
    int c = cfg.nEmbd();
    int nh = cfg.nHead();
    int vp = cfg.paddedVocabSize();
    int l = cfg.nLayer();
    this.tokens = backend.allocate("batch", DType.INT32, b, t);
    this.targets = backend.allocate("batch", DType.INT32, b, t);
    this.acts = new ActivationSlab(backend, "activations");
    this.grads = new ActivationSlab(backend, "activation_grads");
    int[] a = reserveLayers(acts, l, b, t, c, nh, true);
    int aEnc = acts.reserve(b, t, c);
    int aLnf = acts.reserve(b, t, c);
    int aLnfMean = acts.reserve(b, t);
    int aLnfRstd = acts.reserve(b, t);
    int aLogits = acts.reserve(b, t, vp);
    int aProbs = acts.reserve(b, t, vp);
    int aLosses = acts.reserve(b, t);
    int[] g = reserveLayers(grads, l, b, t, c, nh, false);
    int gEnc = grads.reserve(b, t, c);
    int gLnf = grads.reserve(b, t, c);
    int gLogits = grads.reserve(b, t, vp);
    int gPreatt = grads.reserve(b, nh, t, t);
    int gAtt = grads.reserve(b, nh, t, t);
    Tensor[] av = acts.allocate();
    Tensor[] gv = grads.allocate();
    this.layers = layers(av, a, l);
    this.dlayers = layers(gv, g, l);
    this.encoded = av[aEnc];
    this.lnf = av[aLnf];
    this.lnfMean = av[aLnfMean];
    this.lnfRstd = av[aLnfRstd];
    this.logits = av[aLogits];
    this.probs = av[aProbs];
    this.losses = av[aLosses];
    this.dencoded = gv[gEnc];
    this.dlnf = gv[gLnf];
    this.dlogits = gv[gLogits];
    this.dpreatt = gv[gPreatt];
    this.datt = gv[gAtt];
    this.hostLosses = Tensor.whole(hostAlloc.allocate("losses", DType.FP32, (long) b * t));
  }

  private static final int FIELDS = 16;

  /** Reserves the 16 per-layer views for every layer; statistics only for activations. */
  private static int[] reserveLayers(
      ActivationSlab s, int l, int b, int t, int c, int nh, boolean withStats) {
    int[] idx = new int[l * FIELDS];
    for (int i = 0; i < l; i++) {
      int o = i * FIELDS;
      int stat = withStats ? t : 0;
      idx[o] = s.reserve(b, t, c);
      idx[o + 1] = s.reserve(b, stat);
      idx[o + 2] = s.reserve(b, stat);
      idx[o + 3] = s.reserve(b, t, 3 * c);
      idx[o + 4] = s.reserve(b, t, c);
      idx[o + 5] = s.reserve(b, nh, withStats ? t : 0, t);
      idx[o + 6] = s.reserve(b, nh, withStats ? t : 0, t);
      idx[o + 7] = s.reserve(b, t, c);
      idx[o + 8] = s.reserve(b, t, c);
      idx[o + 9] = s.reserve(b, t, c);
      idx[o + 10] = s.reserve(b, stat);
      idx[o + 11] = s.reserve(b, stat);
      idx[o + 12] = s.reserve(b, t, 4 * c);
      idx[o + 13] = s.reserve(b, t, 4 * c);
      idx[o + 14] = s.reserve(b, t, c);
      idx[o + 15] = s.reserve(b, t, c);
    }
    return idx;
  }

  private static Layer[] layers(Tensor[] v, int[] idx, int l) {
    Layer[] out = new Layer[l];
    for (int i = 0; i < l; i++) {
      int o = i * FIELDS;
      out[i] =
          new Layer(
              v[idx[o]],
              v[idx[o + 1]],
              v[idx[o + 2]],
              v[idx[o + 3]],
              v[idx[o + 4]],
              v[idx[o + 5]],
              v[idx[o + 6]],
              v[idx[o + 7]],
              v[idx[o + 8]],
              v[idx[o + 9]],
              v[idx[o + 10]],
              v[idx[o + 11]],
              v[idx[o + 12]],
              v[idx[o + 13]],
              v[idx[o + 14]],
              v[idx[o + 15]]);
    }
    return out;
  }

  /**
   * The parameter table: per-block layout with Hugging Face names; weights (out, in). Groups:
   * "embed" (wte, wpe), "h.i" per block, "ln_f". Biases and norm weights are not decayed.
   */
  public static ParameterTable table(Gpt2Config cfg) {
    int c = cfg.nEmbd();
    ParameterTable.Builder tb = ParameterTable.builder();
    tb.add("wte.weight", "embed", true, cfg.paddedVocabSize(), c);
    tb.add("wpe.weight", "embed", true, cfg.blockSize(), c);
    for (int i = 0; i < cfg.nLayer(); i++) {
      String h = "h." + i;
      tb.add(h + ".ln_1.weight", h, false, c);
      tb.add(h + ".ln_1.bias", h, false, c);
      tb.add(h + ".attn.c_attn.weight", h, true, 3 * c, c);
      tb.add(h + ".attn.c_attn.bias", h, false, 3 * c);
      tb.add(h + ".attn.c_proj.weight", h, true, c, c);
      tb.add(h + ".attn.c_proj.bias", h, false, c);
      tb.add(h + ".ln_2.weight", h, false, c);
      tb.add(h + ".ln_2.bias", h, false, c);
      tb.add(h + ".mlp.c_fc.weight", h, true, 4 * c, c);
      tb.add(h + ".mlp.c_fc.bias", h, false, 4 * c);
      tb.add(h + ".mlp.c_proj.weight", h, true, c, 4 * c);
      tb.add(h + ".mlp.c_proj.bias", h, false, c);
    }
    tb.add("ln_f.weight", "ln_f", false, c);
    tb.add("ln_f.bias", "ln_f", false, c);
    return tb.build();
  }

  public Gpt2Config config() {
    return cfg;
  }

  @Override
  public ParameterTable table() {
    return table;
  }

  @Override
  public JsonNode configJson() {
    return cfg.toJson();
  }

  /** GPT-2's initialisation: N(0, 0.02), residual projections N(0, 0.02/√(2L)), norms 1. */
  @Override
  public void initialize(Tensor hostParams, long seed) {
    double residualStd = 0.02 / Math.sqrt(2.0 * cfg.nLayer());
    for (ParamSpec p : table.params()) {
      String n = p.name();
      if (n.endsWith("ln_1.weight") || n.endsWith("ln_2.weight") || n.equals("ln_f.weight")) {
        ParamInit.constant(hostParams, p, 1f);
      } else if (n.endsWith(".bias")) {
        ParamInit.constant(hostParams, p, 0f);
      } else if (n.equals("wte.weight")) {
        ParamInit.normal(hostParams, p, seed, 0.02, (long) cfg.vocabSize() * cfg.nEmbd());
      } else if (n.endsWith("c_proj.weight")) {
        ParamInit.normal(hostParams, p, seed, residualStd, p.size());
      } else {
        ParamInit.normal(hostParams, p, seed, 0.02, p.size());
      }
    }
  }

  private Tensor w(WeightSource ws, String name) {
    return ws.param(table.get(name));
  }

  private Tensor dw(WeightSource ws, String name) {
    return ws.grad(table.get(name));
  }

  @Override
  public float forward(WeightSource ws, Batch batch) {
    checkBatch(batch);
    be.upload(tokens, batch.inputs());
    be.upload(targets, batch.targets());
    int c = cfg.nEmbd();
    int nh = cfg.nHead();
    int bt = b * t;
    ws.beginForward("embed");
    be.encoderForward(encoded, tokens, w(ws, "wte.weight"), w(ws, "wpe.weight"), b, t, c);
    ws.endForward("embed");
    Tensor residual = encoded;
    for (int i = 0; i < cfg.nLayer(); i++) {
      String h = "h." + i;
      Layer a = layers[i];
      ws.beginForward(h);
      be.layerNormForward(
          a.ln1,
          a.ln1Mean,
          a.ln1Rstd,
          residual,
          w(ws, h + ".ln_1.weight"),
          w(ws, h + ".ln_1.bias"),
          bt,
          c);
      be.keepHalfCopy(a.ln1, null);
      be.linearForward(
          a.qkv,
          a.ln1,
          w(ws, h + ".attn.c_attn.weight"),
          w(ws, h + ".attn.c_attn.bias"),
          bt,
          c,
          3 * c);
      be.keepHalfCopy(a.qkv, null);
      be.attentionForward(a.atty, a.preatt, a.att, a.qkv, b, t, c, nh);
      be.keepHalfCopy(a.atty, null);
      be.linearForward(
          a.attproj,
          a.atty,
          w(ws, h + ".attn.c_proj.weight"),
          w(ws, h + ".attn.c_proj.bias"),
          bt,
          c,
          c);
      be.residualForward(a.res2, residual, a.attproj, bt * c);
      be.layerNormForward(
          a.ln2,
          a.ln2Mean,
          a.ln2Rstd,
          a.res2,
          w(ws, h + ".ln_2.weight"),
          w(ws, h + ".ln_2.bias"),
          bt,
          c);
      be.keepHalfCopy(a.ln2, null);
      be.linearForward(
          a.fch, a.ln2, w(ws, h + ".mlp.c_fc.weight"), w(ws, h + ".mlp.c_fc.bias"), bt, c, 4 * c);
      be.activationForward(Activation.GELU, a.fchGelu, a.fch, bt * 4 * c);
      be.keepHalfCopy(a.fchGelu, null);
      be.linearForward(
          a.fcproj,
          a.fchGelu,
          w(ws, h + ".mlp.c_proj.weight"),
          w(ws, h + ".mlp.c_proj.bias"),
          bt,
          4 * c,
          c);
      be.residualForward(a.res3, a.res2, a.fcproj, bt * c);
      ws.endForward(h);
      residual = a.res3;
    }
    ws.beginForward("ln_f");
    be.layerNormForward(
        lnf, lnfMean, lnfRstd, residual, w(ws, "ln_f.weight"), w(ws, "ln_f.bias"), bt, c);
    ws.endForward("ln_f");
    be.keepHalfCopy(lnf, null);
    ws.beginForward("embed");
    be.linearForward(logits, lnf, w(ws, "wte.weight"), null, bt, c, cfg.paddedVocabSize());
    ws.endForward("embed");
    be.crossEntropyForward(
        losses, probs, logits, targets, bt, cfg.vocabSize(), cfg.paddedVocabSize(), IGNORE);
    be.download(hostLosses, losses);
    return meanLoss(batch.targets().ints(), hostLosses.floats(), bt);
  }

  private float meanLoss(IntBuffer tg, FloatBuffer l, int n) {
    double sum = 0;
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (tg.get(i) != IGNORE) {
        sum += l.get(i);
        count++;
      }
    }
    targetCount = count;
    return count == 0 ? 0f : (float) (sum / count);
  }

  private void checkBatch(Batch batch) {
    Tensor in = batch.inputs();
    if (in.dtype() != DType.INT32
        || in.size() != (long) b * t
        || batch.targets().size() != in.size()) {
      throw new IllegalArgumentException(
          "GPT-2 expects INT32 inputs and targets of "
              + b
              + "×"
              + t
              + " tokens, got "
              + in
              + " and "
              + batch.targets());
    }
    IntBuffer ids = in.ints();
    for (int i = 0; i < ids.limit(); i++) {
      int id = ids.get(i);
      if (id < 0 || id >= cfg.vocabSize()) {
        throw new IllegalArgumentException(
            "token id "
                + id
                + " at position "
                + i
                + " is outside the vocabulary [0, "
                + cfg.vocabSize()
                + "); check the tokenizer against the model's vocab_size");
      }
    }
  }

  @Override
  public void backward(WeightSource ws, float lossScale) {
    int c = cfg.nEmbd();
    int nh = cfg.nHead();
    int bt = b * t;
    be.fill(grads.flat(), 0f);
    float dloss = targetCount == 0 ? 0f : lossScale / targetCount;
    be.crossEntropyBackward(
        dlogits, probs, targets, dloss, bt, cfg.vocabSize(), cfg.paddedVocabSize(), IGNORE);
    ws.beginBackward("embed");
    be.linearBackward(
        dlnf,
        dw(ws, "wte.weight"),
        null,
        dlogits,
        lnf,
        w(ws, "wte.weight"),
        bt,
        c,
        cfg.paddedVocabSize());
    be.releaseHalfCopy(lnf);
    Tensor lastResidual = cfg.nLayer() == 0 ? encoded : layers[cfg.nLayer() - 1].res3;
    Tensor dlastResidual = cfg.nLayer() == 0 ? dencoded : dlayers[cfg.nLayer() - 1].res3;
    ws.beginBackward("ln_f");
    be.layerNormBackward(
        dlastResidual,
        dw(ws, "ln_f.weight"),
        dw(ws, "ln_f.bias"),
        dlnf,
        lastResidual,
        w(ws, "ln_f.weight"),
        lnfMean,
        lnfRstd,
        bt,
        c);
    ws.endBackward("ln_f");
    for (int i = cfg.nLayer() - 1; i >= 0; i--) {
      String h = "h." + i;
      Layer a = layers[i];
      Layer d = dlayers[i];
      Tensor residual = i == 0 ? encoded : layers[i - 1].res3;
      Tensor dresidual = i == 0 ? dencoded : dlayers[i - 1].res3;
      ws.beginBackward(h);
      be.residualBackward(d.res2, d.fcproj, d.res3, bt * c);
      be.linearBackward(
          d.fchGelu,
          dw(ws, h + ".mlp.c_proj.weight"),
          dw(ws, h + ".mlp.c_proj.bias"),
          d.fcproj,
          a.fchGelu,
          w(ws, h + ".mlp.c_proj.weight"),
          bt,
          4 * c,
          c);
      be.releaseHalfCopy(a.fchGelu);
      be.activationBackward(Activation.GELU, d.fch, a.fch, d.fchGelu, bt * 4 * c);
      be.linearBackward(
          d.ln2,
          dw(ws, h + ".mlp.c_fc.weight"),
          dw(ws, h + ".mlp.c_fc.bias"),
          d.fch,
          a.ln2,
          w(ws, h + ".mlp.c_fc.weight"),
          bt,
          c,
          4 * c);
      be.releaseHalfCopy(a.ln2);
      be.layerNormBackward(
          d.res2,
          dw(ws, h + ".ln_2.weight"),
          dw(ws, h + ".ln_2.bias"),
          d.ln2,
          a.res2,
          w(ws, h + ".ln_2.weight"),
          a.ln2Mean,
          a.ln2Rstd,
          bt,
          c);
      be.residualBackward(dresidual, d.attproj, d.res2, bt * c);
      be.linearBackward(
          d.atty,
          dw(ws, h + ".attn.c_proj.weight"),
          dw(ws, h + ".attn.c_proj.bias"),
          d.attproj,
          a.atty,
          w(ws, h + ".attn.c_proj.weight"),
          bt,
          c,
          c);
      be.releaseHalfCopy(a.atty);
      be.attentionBackward(d.qkv, dpreatt, datt, d.atty, a.qkv, a.att, b, t, c, nh);
      be.releaseHalfCopy(a.qkv);
      be.linearBackward(
          d.ln1,
          dw(ws, h + ".attn.c_attn.weight"),
          dw(ws, h + ".attn.c_attn.bias"),
          d.qkv,
          a.ln1,
          w(ws, h + ".attn.c_attn.weight"),
          bt,
          c,
          3 * c);
      be.releaseHalfCopy(a.ln1);
      be.layerNormBackward(
          dresidual,
          dw(ws, h + ".ln_1.weight"),
          dw(ws, h + ".ln_1.bias"),
          d.ln1,
          residual,
          w(ws, h + ".ln_1.weight"),
          a.ln1Mean,
          a.ln1Rstd,
          bt,
          c);
      ws.endBackward(h);
    }
    be.encoderBackward(dw(ws, "wte.weight"), dw(ws, "wpe.weight"), dencoded, tokens, b, t, c);
    ws.endBackward("embed");
  }

  @Override
  public int lastTargetCount() {
    return targetCount;
  }

  @Override
  public double flopsPerToken() {
    return 6.0 * table.totalElements() + 6.0 * cfg.nLayer() * cfg.nEmbd() * t;
  }

  /** Micro-batch size B. */
  public int batchSize() {
    return b;
  }

  /** Sequence length T. */
  public int seqLen() {
    return t;
  }

  /** Probabilities (B, T, Vp) of the last forward, on the backend. */
  public Tensor probs() {
    return probs;
  }

  @Override
  public void close() {
    acts.close();
    grads.close();
    be.free(tokens);
    be.free(targets);
    hostLosses.storage().close();
    hostAlloc.close();
  }
}
