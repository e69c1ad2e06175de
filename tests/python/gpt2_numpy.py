"""Reference GPT-2 forward pass in NumPy (float64) over an llm.c model file.

Usage: gpt2_numpy.py MODEL.bin TOKENS.bin PROBS.bin
Reads an llm.c version-3 model file and T int32 token ids, and writes the next-token
probabilities (T, V) as little-endian float32. Written from the GPT-2 architecture
(pre-norm blocks, causal attention, tanh GELU, head tied to the token embedding) so that
the Java model can be checked against an implementation that shares no code with it.
"""
import sys

import numpy as np


def read_model(path):
    raw = np.fromfile(path, dtype="<i4", count=256)
    if raw[0] != 20240326 or raw[1] != 3:
        raise SystemExit(f"{path}: not an llm.c version-3 model file")
    max_t, v, layers, heads, c, vp = (int(x) for x in raw[2:8])
    shapes = [
        ("wte", (vp, c)), ("wpe", (max_t, c)),
        ("ln1w", (layers, c)), ("ln1b", (layers, c)),
        ("qkvw", (layers, 3 * c, c)), ("qkvb", (layers, 3 * c)),
        ("attprojw", (layers, c, c)), ("attprojb", (layers, c)),
        ("ln2w", (layers, c)), ("ln2b", (layers, c)),
        ("fcw", (layers, 4 * c, c)), ("fcb", (layers, 4 * c)),
        ("fcprojw", (layers, c, 4 * c)), ("fcprojb", (layers, c)),
        ("lnfw", (c,)), ("lnfb", (c,)),
    ]
    flat = np.fromfile(path, dtype="<f4", offset=1024).astype(np.float64)
    params, at = {}, 0
    for name, shape in shapes:
        n = int(np.prod(shape))
        params[name] = flat[at:at + n].reshape(shape)
        at += n
    if at != flat.size:
        raise SystemExit(f"{path}: {flat.size} values, header implies {at}")
    return params, v, layers, heads, c


def layer_norm(x, w, b):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * w + b


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def forward(p, tokens, v, layers, heads, c):
    t = len(tokens)
    hs = c // heads
    x = p["wte"][tokens] + p["wpe"][:t]
    mask = np.triu(np.ones((t, t), dtype=bool), k=1)
    for l in range(layers):
        h = layer_norm(x, p["ln1w"][l], p["ln1b"][l])
        qkv = h @ p["qkvw"][l].T + p["qkvb"][l]
        q, k, val = (qkv[:, i * c:(i + 1) * c].reshape(t, heads, hs).transpose(1, 0, 2)
                     for i in range(3))
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hs)
        scores[:, mask] = -np.inf
        y = (softmax(scores) @ val).transpose(1, 0, 2).reshape(t, c)
        x = x + y @ p["attprojw"][l].T + p["attprojb"][l]
        h = layer_norm(x, p["ln2w"][l], p["ln2b"][l])
        x = x + gelu(h @ p["fcw"][l].T + p["fcb"][l]) @ p["fcprojw"][l].T + p["fcprojb"][l]
    x = layer_norm(x, p["lnfw"], p["lnfb"])
    return softmax(x @ p["wte"][:v].T)


def main():
    model, tokens_path, out_path = sys.argv[1:4]
    params, v, layers, heads, c = read_model(model)
    tokens = np.fromfile(tokens_path, dtype="<i4")
    forward(params, tokens, v, layers, heads, c).astype("<f4").tofile(out_path)


if __name__ == "__main__":
    main()
