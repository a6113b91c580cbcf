"""PyTorch side of benchmarks/compare.sh: the cases of `Liquid.Benchmarks compare`, in plain PyTorch.

    /usr/bin/python3 benchmarks/pytorch/compare.py --mode eager|script [--threads N] [--quick] [CASE ...]

Prints one JSON line per case: {"case", "side", "ms", "calls"} plus "tokens_per_s" or "gflops" where
they apply. Same shapes, batch, context, thread settings, warm-up and timing rule as the C# side
(benchmarks/Liquid.Benchmarks/Compare.cs); see benchmarks/README.md for what each case measures.
"""
import argparse
import ctypes
import ctypes.util
import json
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from gpt import CausalSelfAttention, Gpt, Mlp  # noqa: E402


def set_threads(n):
    """torch.set_num_threads sizes OpenMP only; OpenBLAS keeps its own pool, so size it too (as our runtime does)."""
    torch.set_num_threads(n)
    for name in ("libblas.so.3", "libopenblas.so.0"):
        try:
            lib = ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL | getattr(ctypes, "RTLD_NOLOAD", 4))
            lib.openblas_set_num_threads(ctypes.c_int(n))
            return True
        except (OSError, AttributeError):
            continue
    return False


# Timing rule (same on both sides): warm up for at least `warm` seconds and `warm_calls` calls, then
# call the body until at least `measure` seconds and `calls_min` calls have passed; report the mean
# wall time per call and the mean CPU time of this thread per call (with one intra-op thread all work
# runs on it, so the CPU time is less disturbed by other processes on a busy machine).
def timed(body, warm, measure, warm_calls=2, calls_min=2):
    calls = 0
    start = time.perf_counter()
    while calls < warm_calls or time.perf_counter() - start < warm:
        body()
        calls += 1
    calls = 0
    cpu = time.thread_time()
    start = time.perf_counter()
    while calls < calls_min or time.perf_counter() - start < measure:
        body()
        calls += 1
    wall = time.perf_counter() - start
    return wall / calls * 1e3, (time.thread_time() - cpu) / calls * 1e3, calls


MODELS = {
    # name: (vocab, context, d, layers, heads, dropout), batch, steps (T)
    "tiny-gpt-d64": ((256, 64, 64, 4, 4, 0.0), 8, 64),
    "tiny-gpt": ((256, 128, 128, 4, 4, 0.0), 16, 128),
    "gpt2-spanish": ((50257, 128, 512, 6, 8, 0.1), 8, 128),
}


def maybe_script(module, mode):
    return torch.jit.script(module) if mode == "script" else module


def sgemm(n):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    return lambda: torch.mm(a, b), 2.0 * n ** 3


def layer_case(kind, d, batch, steps, mode, backward, **options):
    torch.manual_seed(0)
    if kind == "linear":
        layer = torch.nn.Linear(d, 4 * d)
        flops = 2.0 * batch * steps * d * 4 * d
    elif kind == "mlp":
        layer = Mlp(d, 4 * d)
        flops = 2.0 * 2 * batch * steps * d * 4 * d
    else:
        layer = CausalSelfAttention(d, options["heads"], options.get("kv_heads"), options.get("window"), context=steps)
        flops = None
    layer = maybe_script(layer, mode)
    x = torch.randn(batch, steps, d, requires_grad=backward)
    params = list(layer.parameters())
    grad = torch.randn(batch, steps, 4 * d if kind == "linear" else d)

    def output():
        y = layer(x)
        return y[0] if isinstance(y, tuple) else y

    if not backward:
        def body():
            with torch.no_grad():
                output()
        return body, flops

    def body():
        output().backward(grad)
        for p in params:
            p.grad = None
        x.grad = None
    return body, None


def model_flops(vocab, d, layers, steps, batch):
    """Matmul FLOPs of one forward pass (masked attention computed in full, as both sides do)."""
    return batch * steps * (layers * 24 * d * d + 2 * d * vocab) + batch * layers * 4 * steps * steps * d


def model_case(name, what, mode):
    name, _, shape = name.partition("@")  # optional @BxT overrides batch and length
    (vocab, context, d, layers, heads, dropout), batch, steps = MODELS[name]
    if shape:
        batch, steps = (int(x) for x in shape.split("x"))
    torch.manual_seed(0)
    model = Gpt(vocab, context, d, layers, heads, dropout)
    tokens = torch.randint(0, vocab, (batch, steps))
    targets = torch.randint(0, vocab, (batch, steps))
    if what == "forward":
        model.eval()
        model = maybe_script(model, mode)

        def forward():
            with torch.no_grad():
                model(tokens)
        return forward, batch * steps, model_flops(vocab, d, layers, steps, batch)

    if what == "adamw":
        # The optimizer step alone, over every parameter with a fixed random gradient.
        decay = [p for p in model.parameters() if p.dim() >= 2]
        no_decay = [p for p in model.parameters() if p.dim() < 2]
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                      lr=1e-4, betas=(0.9, 0.95))
        for p in model.parameters():
            p.grad = torch.randn_like(p)
        return optimizer.step, None, None

    if what == "train":
        decay = [p for p in model.parameters() if p.dim() >= 2]
        no_decay = [p for p in model.parameters() if p.dim() < 2]
        model.train()
        scripted = maybe_script(model, mode)
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                      lr=1e-4, betas=(0.9, 0.95))
        params = list(model.parameters())

        def step():
            logits = scripted(tokens)
            loss = F.cross_entropy(logits.view(-1, vocab), targets.view(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        return step, batch * steps, None

    # generate: greedy decoding with a KV cache, batch 1; the time per call covers `new` tokens after the prompt.
    prompt, new = 16, 32
    model.eval()
    model = maybe_script(model, mode)
    prompt_ids = torch.tensor([[(i * 7919) % vocab for i in range(prompt)]])

    def generate():
        with torch.no_grad():
            logits, past = model.forward_cached(prompt_ids, [])
            ids = []
            for _ in range(new):
                token = int(logits[0, -1].argmax())
                ids.append(token)
                logits, past = model.forward_cached(torch.tensor([[token]]), past)
    return generate, new, None


def run_case(case, mode, quick, seconds=None):
    # TorchScript's profiling executor profiles the first call and compiles the forward graph on the
    # second and the backward graph on the third: it gets three warm-up calls everywhere.
    script_warm = 3 if mode == "script" else 0
    warm, measure, warm_calls, calls_min = (0.05, 0.2, 2, 2) if quick else (0.15, 0.4, 2, 2)
    tokens = flops = None
    if case.startswith("sgemm-"):
        body, flops = sgemm(int(case.split("-")[1]))
    elif case.split("/")[0].split("@")[0] in MODELS:
        name, what = case.split("/")
        body, tokens, flops = model_case(name, what, mode)
        if name.startswith("gpt2-spanish") and what != "adamw":
            # Calls take seconds: one warm-up call, then one measured call per round (the rounds
            # supply the repetitions).
            warm, measure, warm_calls, calls_min = 0.0, 0.0, 1, 1
    else:
        # linear-d512, mlp-d512-fwd, attention-d512-gqa, attention-d64 ...
        parts = case.split("-")
        kind, d = parts[0], int(parts[1][1:])
        backward = "fwd" not in parts
        batch, steps = (8, 128) if d >= 512 else (8, 64)
        options = {"heads": 8 if d >= 512 else 4}
        if "gqa" in parts:
            options["kv_heads"] = 2
        if "window" in parts:
            options["window"] = 32
        body, flops = layer_case(kind, d, batch, steps, mode, backward, **options)
    if seconds is not None:
        measure = seconds
    ms, cpu_ms, calls = timed(body, warm, measure, max(warm_calls, script_warm), calls_min)
    result = {"case": case, "side": "pytorch-" + mode, "ms": round(ms, 4), "cpu_ms": round(cpu_ms, 4), "calls": calls}
    if tokens is not None:
        result["tokens_per_s"] = round(tokens / (ms / 1e3), 1)
    if flops is not None:
        result["gflops"] = round(flops / (ms / 1e3) / 1e9, 2)
    print(json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["eager", "script"], default="eager")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="short timing windows, for development")
    parser.add_argument("--seconds", type=float, help="time each case this long")
    parser.add_argument("cases", nargs="+")
    args = parser.parse_args()
    if not set_threads(args.threads):
        print("warning: could not size OpenBLAS's thread pool", file=sys.stderr)
    for case in args.cases:
        run_case(case, args.mode, args.quick, args.seconds)


if __name__ == "__main__":
    main()
