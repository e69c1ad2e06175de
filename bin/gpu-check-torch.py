#!/usr/bin/env python3
"""PyTorch eager anchor for bin/gpu-check.

Trains the GPT-2 model GpuCheck's benchmark trains (same shapes, padded vocabulary, tied head,
GELU with the tanh approximation) one step at a time in eager mode: bf16 autocast, AdamW with
FP32 parameters, the causal attention through scaled_dot_product_attention. Prints the median
step time as one line

    RESULT tokens_per_s=<float> step_s=<float> params=<int> device=<name>

which bin/gpu-check hands to GpuCheck so both figures land in one table. Imports torch only in
main(), so the module parses (and its helpers run) where torch is absent.
"""

import argparse
import math
import statistics
import sys
import time

# GPT-2 shapes by GpuCheck's preset names: (layers, heads, channels, vocab, block size).
PRESETS = {
    "gpt2-tiny": (2, 4, 64, 256, 64),
    "gpt2-mini": (4, 4, 128, 256, 128),
    "gpt2-124m": (12, 12, 768, 50257, 1024),
    "gpt2-350m": (24, 16, 1024, 50257, 1024),
}


def padded_vocab(vocab):
    """The vocabulary rounded up to a multiple of 128, as the Java model pads it."""
    return (vocab + 127) // 128 * 128


def result_line(tokens_per_s, step_s, params, device):
    """The line bin/gpu-check parses; the device name goes last since it holds spaces."""
    return "RESULT tokens_per_s=%.1f step_s=%.6f params=%d device=%s" % (
        tokens_per_s,
        step_s,
        params,
        device,
    )


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="gpt2-124m", choices=sorted(PRESETS))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=1024)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    if a.seq > PRESETS[a.model][4]:
        p.error("--seq %d exceeds %s's block size %d" % (a.seq, a.model, PRESETS[a.model][4]))
    if a.batch <= 0 or a.steps <= 0 or a.warmup < 0:
        p.error("--batch and --steps must be positive, --warmup not negative")
    return a


def define_model(torch):
    """The model classes, defined once torch is imported."""
    nn = torch.nn
    F = torch.nn.functional

    class SelfAttention(nn.Module):
        def __init__(self, c, heads):
            super().__init__()
            self.heads = heads
            self.c_attn = nn.Linear(c, 3 * c)
            self.c_proj = nn.Linear(c, c)

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = self.c_attn(x).split(c, dim=2)
            # (B, T, C) -> (B, NH, T, hs) for the fused kernel.
            q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))

    class Mlp(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c_fc = nn.Linear(c, 4 * c)
            self.c_proj = nn.Linear(4 * c, c)

        def forward(self, x):
            return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))

    class Block(nn.Module):
        def __init__(self, c, heads):
            super().__init__()
            self.ln_1 = nn.LayerNorm(c)
            self.attn = SelfAttention(c, heads)
            self.ln_2 = nn.LayerNorm(c)
            self.mlp = Mlp(c)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class Gpt2(nn.Module):
        def __init__(self, layers, heads, c, vocab, block):
            super().__init__()
            self.wte = nn.Embedding(padded_vocab(vocab), c)
            self.wpe = nn.Embedding(block, c)
            self.h = nn.ModuleList(Block(c, heads) for _ in range(layers))
            self.ln_f = nn.LayerNorm(c)
            residual_std = 0.02 / math.sqrt(2 * layers)
            for name, p in self.named_parameters():
                if name.endswith("bias"):
                    nn.init.zeros_(p)
                elif name.endswith("c_proj.weight"):
                    nn.init.normal_(p, 0.0, residual_std)
                elif p.dim() >= 2:
                    nn.init.normal_(p, 0.0, 0.02)

        def forward(self, idx, targets):
            t = idx.shape[1]
            pos = torch.arange(t, device=idx.device)
            x = self.wte(idx) + self.wpe(pos)
            for block in self.h:
                x = block(x)
            # The head is tied to the token embedding, as in the Java model.
            logits = F.linear(self.ln_f(x), self.wte.weight)
            return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))

    return Gpt2


def main(argv):
    a = parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("no CUDA device visible to PyTorch", file=sys.stderr)
        return 2
    torch.manual_seed(a.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    dev = torch.device("cuda")
    layers, heads, c, vocab, block = PRESETS[a.model]
    model = define_model(torch)(layers, heads, c, vocab, block).to(dev)
    params = sum(p.numel() for p in model.parameters())
    try:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0, fused=True)
    except (RuntimeError, TypeError):
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    x = torch.randint(0, vocab, (a.batch, a.seq), device=dev)
    y = torch.randint(0, vocab, (a.batch, a.seq), device=dev)
    times = []
    for i in range(a.warmup + a.steps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
        if not math.isfinite(loss.item()):
            print("loss is %s at step %d" % (loss.item(), i + 1), file=sys.stderr)
            return 1
    step = statistics.median(times)
    name = torch.cuda.get_device_name(dev)
    print(
        "torch %s on %s: %s B=%d T=%d, median of %d steps %.2f ms, loss %.4f"
        % (torch.__version__, name, a.model, a.batch, a.seq, a.steps, step * 1e3, loss.item())
    )
    print(result_line(a.batch * a.seq / step, step, params, name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
