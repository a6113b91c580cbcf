"""PyTorch side of benchmarks/foundation.sh: one Liquid Foundation case per process.

    /usr/bin/python3 benchmarks/pytorch/foundation.py CASE [--seconds S]

CASE is KIND/TASK with TASK fwd (forward under no_grad) or train (forward and backward), KIND one of
  dense-attention   causal attention over a sliding window of 512 as masked dense PyTorch: scores
                    [T, T] per head, masked_fill of the band mask, softmax, times V (T 4096, 8 heads of
                    64, 4 key/value heads grouped as views, float32);
  moe-dense         8 experts (Linear 512→1024, GELU, Linear 1024→512) on all 4096 tokens, weighted by
                    the top-2 routing matrix (zero where not routed);
  moe-routed        the same mixture with each expert on its routed tokens only (index_select, expert,
                    index_add_), the usual PyTorch MoE loop, for context.
Prints one JSON line {"case", "side", "ms", "cpu_ms", "calls", "rss_before_mb", "peak_mb"}: peak_mb is
VmHWM after the case minus VmRSS before it, with the high-water mark reset in between (as our side).
"""
import argparse
import json
import math
import re
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from compare import set_threads, timed  # noqa: E402

STEPS, WINDOW, HEADS, KV_HEADS, HEAD_DIM = 4096, 512, 8, 4, 64
TOKENS, DIM, HIDDEN, EXPERTS, TOP_K = 4096, 512, 1024, 8, 2


def status(field):
    with open("/proc/self/status") as stream:
        return int(re.search(field + r":\s+(\d+)", stream.read()).group(1))


def attention(train):
    q = torch.randn(1, HEADS, STEPS, HEAD_DIM, requires_grad=train)
    k = torch.randn(1, KV_HEADS, STEPS, HEAD_DIM, requires_grad=train)
    v = torch.randn(1, KV_HEADS, STEPS, HEAD_DIM, requires_grad=train)
    grad = torch.randn(1, HEADS, STEPS, HEAD_DIM)
    i = torch.arange(STEPS)[:, None]
    j = torch.arange(STEPS)[None, :]
    blocked = (j > i) | (j <= i - WINDOW)
    group = HEADS // KV_HEADS
    scale = 1 / math.sqrt(HEAD_DIM)

    def attend():
        scores = (q * scale).reshape(1, KV_HEADS, group * STEPS, HEAD_DIM) @ k.transpose(-2, -1)
        scores = scores.view(1, KV_HEADS, group, STEPS, STEPS).masked_fill(blocked, float("-inf"))
        weights = torch.softmax(scores, dim=-1).view(1, KV_HEADS, group * STEPS, STEPS)
        return (weights @ v).view(1, HEADS, STEPS, HEAD_DIM)

    def body():
        if not train:
            with torch.no_grad():
                attend()
            return
        attend().backward(grad)
        q.grad = k.grad = v.grad = None

    return body


class Expert(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(DIM, HIDDEN)
        self.proj = torch.nn.Linear(HIDDEN, DIM)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))


def mixture(routed, train):
    gate = torch.nn.Linear(DIM, EXPERTS)
    experts = torch.nn.ModuleList(Expert() for _ in range(EXPERTS))
    x = torch.randn(TOKENS, DIM, requires_grad=train)
    grad = torch.randn(TOKENS, DIM)
    parameters = list(gate.parameters()) + list(experts.parameters())

    def mix():
        probabilities = torch.softmax(gate(x), dim=-1)
        values, chosen = probabilities.topk(TOP_K, dim=-1)
        weights = values / values.sum(-1, keepdim=True)
        if not routed:
            dense = torch.zeros_like(probabilities).scatter(1, chosen, weights)
            out = 0
            for e, expert in enumerate(experts):
                out = out + dense[:, e : e + 1] * expert(x)
            return out
        out = torch.zeros_like(x)
        flat = chosen.reshape(-1)
        for e, expert in enumerate(experts):
            slots = (flat == e).nonzero().squeeze(1)
            if slots.numel() == 0:
                continue
            tokens = slots // TOP_K
            out.index_add_(0, tokens, expert(x.index_select(0, tokens)) * weights.reshape(-1)[slots, None])
        return out

    def body():
        if not train:
            with torch.no_grad():
                mix()
            return
        mix().backward(grad)
        for parameter in parameters:
            parameter.grad = None
        x.grad = None

    return body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    set_threads(1)
    torch.manual_seed(1)
    kind, task = args.case.split("/")
    train = {"train": True, "fwd": False}[task]
    body = {
        "dense-attention": lambda: attention(train),
        "moe-dense": lambda: mixture(False, train),
        "moe-routed": lambda: mixture(True, train),
    }[kind]()
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as stream:
        stream.write("5")  # resets VmHWM to the current RSS
    ms, cpu_ms, calls = timed(body, warm=0.2, measure=args.seconds, warm_calls=1, calls_min=3)
    peak = status("VmHWM")
    print(json.dumps({"case": args.case, "side": "pytorch", "ms": round(ms, 3), "cpu_ms": round(cpu_ms, 3), "calls": calls,
                      "rss_before_mb": round(before / 1024, 1), "peak_mb": round((peak - before) / 1024, 1)}))


if __name__ == "__main__":
    main()
