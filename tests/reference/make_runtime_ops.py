"""Reference values for Liquid.Runtime's functional nn ops (FunctionalReferenceTests).

Writes tests/reference/data/runtime_ops.safetensors: for every case, its float64
inputs and parameters and the output PyTorch computes from them, under names
`<case>.<role>` (e.g. `conv1d.dilated.x`, `conv1d.dilated.weight`,
`conv1d.dilated.out`). Recurrent layers store their `_flat_weights` in order as
`<case>.w.0`, `<case>.w.1`, ...

Where an op is easy to write out (attention, the recurrent cells, gelu, losses
without smoothing) the expected value is the explicit formula, checked here
against the torch op, so the C# test compares against arithmetic that does not
go through the kernel it calls.

The file is deterministic: fixed seed, CPU float64, and safetensors_io.save
writes the same bytes for the same tensors. Run with /usr/bin/python3:
    /usr/bin/python3 tests/reference/make_runtime_ops.py
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402  (imported after the path is set)

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "runtime_ops.safetensors")
DTYPE = torch.float64
TOLERANCE = 1e-12  # formula versus torch op, inside this script


def check(name, expected, actual):
    """The explicit formula and the torch op agree (a check on this script's understanding)."""
    difference = (expected - actual).abs().max().item() if expected.numel() else 0.0
    scale = max(1.0, expected.abs().max().item() if expected.numel() else 0.0)
    if not difference <= TOLERANCE * scale:
        raise AssertionError(f"{name}: formula and torch differ by {difference}")


class Cases:
    def __init__(self, seed):
        self.generator = torch.Generator().manual_seed(seed)
        self.tensors = {}

    def randn(self, *shape):
        return torch.randn(shape, generator=self.generator, dtype=DTYPE)

    def randint(self, low, high, *shape):
        return torch.randint(low, high, shape, generator=self.generator, dtype=torch.int64)

    def put(self, case, **tensors):
        for role, tensor in tensors.items():
            name = f"{case}.{role}"
            if name in self.tensors:
                raise KeyError(f"{name} written twice")
            self.tensors[name] = tensor.detach().clone().contiguous()


def linear_cases(c):
    x, w, b = c.randn(2, 3, 4), c.randn(5, 4), c.randn(5)
    out = F.linear(x, w, b)
    check("linear", torch.einsum("bti,oi->bto", x, w) + b, out)
    c.put("linear", x=x, weight=w, bias=b, out=out)
    x, w = c.randn(3, 4), c.randn(2, 4)
    c.put("linear.nobias", x=x, weight=w, out=F.linear(x, w))


def embedding_cases(c):
    weight = c.randn(6, 3)
    indices = torch.tensor([[0, 2, 5], [1, 1, 4]], dtype=torch.int64)
    out = F.embedding(indices, weight)
    check("embedding", weight[indices], out)
    c.put("embedding", weight=weight, indices=indices, out=out)


def layer_norm_cases(c):
    x, w, b = c.randn(2, 3, 4), c.randn(4), c.randn(4)
    out = F.layer_norm(x, [4], w, b, eps=1e-5)
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    check("layer_norm", (x - mean) / torch.sqrt(var + 1e-5) * w + b, out)
    c.put("layer_norm", x=x, weight=w, bias=b, out=out)
    x = c.randn(2, 3, 4) * 3 + 1
    c.put("layer_norm.noaffine", x=x, out=F.layer_norm(x, [3, 4], eps=1e-3))


def conv1d_cases(c):
    configs = {
        "plain": dict(c_in=3, c_out=4, k=3, stride=1, padding=0, dilation=1, groups=1, bias=True),
        "strided": dict(c_in=3, c_out=2, k=3, stride=2, padding=1, dilation=1, groups=1, bias=True),
        "dilated": dict(c_in=2, c_out=3, k=3, stride=1, padding=2, dilation=2, groups=1, bias=False),
        "grouped": dict(c_in=4, c_out=6, k=2, stride=2, padding=1, dilation=3, groups=2, bias=True),
        "depthwise": dict(c_in=3, c_out=3, k=4, stride=1, padding=3, dilation=1, groups=3, bias=True),
    }
    for name, cfg in configs.items():
        x = c.randn(2, cfg["c_in"], 9)
        w = c.randn(cfg["c_out"], cfg["c_in"] // cfg["groups"], cfg["k"])
        b = c.randn(cfg["c_out"]) if cfg["bias"] else None
        out = F.conv1d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])
        check(f"conv1d.{name}", conv1d_loops(x, w, b, cfg), out)
        tensors = dict(x=x, weight=w, out=out)
        if b is not None:
            tensors["bias"] = b
        # The hyper-parameters travel with the case so the C# test cannot disagree with this file.
        tensors["config"] = torch.tensor(
            [cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]], dtype=torch.int64)
        c.put(f"conv1d.{name}", **tensors)


def conv1d_loops(x, w, b, cfg):
    batch, c_in, length = x.shape
    c_out, per_group, k = w.shape
    stride, padding, dilation, groups = cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]
    out_len = (length + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    out = torch.zeros(batch, c_out, out_len, dtype=DTYPE)
    out_per_group = c_out // groups
    for n in range(batch):
        for o in range(c_out):
            g = o // out_per_group
            for t in range(out_len):
                total = b[o].item() if b is not None else 0.0
                for i in range(per_group):
                    for j in range(k):
                        pos = t * stride - padding + j * dilation
                        if 0 <= pos < length:
                            total += x[n, g * per_group + i, pos].item() * w[o, i, j].item()
                out[n, o, t] = total
    return out


def recurrent_loops(kind, x, h0, c0, weights, layers, bidirectional, batch_first, has_bias):
    """Cell equations written out, one time step at a time (PyTorch's documented gate order)."""
    if batch_first:
        x = x.transpose(0, 1)
    directions = 2 if bidirectional else 1
    per = 4 if has_bias else 2
    h_final, c_final = [], []
    layer_input = x
    for layer in range(layers):
        outputs = []
        for d in range(directions):
            index = layer * directions + d
            w = weights[index * per:(index + 1) * per]
            w_ih, w_hh = w[0], w[1]
            b_ih = w[2] if has_bias else torch.zeros(w_ih.shape[0], dtype=DTYPE)
            b_hh = w[3] if has_bias else torch.zeros(w_hh.shape[0], dtype=DTYPE)
            h = h0[index]
            cell = c0[index] if c0 is not None else None
            steps = range(layer_input.shape[0])
            if d == 1:
                steps = reversed(steps)
            seq = [None] * layer_input.shape[0]
            for t in steps:
                gi = layer_input[t] @ w_ih.T + b_ih
                gh = h @ w_hh.T + b_hh
                if kind == "lstm":
                    i, f, g, o = (gi + gh).chunk(4, dim=-1)
                    cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
                    h = torch.sigmoid(o) * torch.tanh(cell)
                elif kind == "gru":
                    ir, iz, inn = gi.chunk(3, dim=-1)
                    hr, hz, hn = gh.chunk(3, dim=-1)
                    r = torch.sigmoid(ir + hr)
                    z = torch.sigmoid(iz + hz)
                    n = torch.tanh(inn + r * hn)
                    h = (1 - z) * n + z * h
                else:
                    h = torch.tanh(gi + gh)
                seq[t] = h
            outputs.append(torch.stack(seq))
            h_final.append(h)
            if cell is not None:
                c_final.append(cell)
        layer_input = torch.cat(outputs, dim=-1)
    output = layer_input.transpose(0, 1) if batch_first else layer_input
    return output, torch.stack(h_final), (torch.stack(c_final) if c_final else None)


def recurrent_cases(c):
    specs = {
        "lstm": dict(kind="lstm", module=torch.nn.LSTM, layers=2, batch_first=True, bidirectional=False, bias=True),
        "gru": dict(kind="gru", module=torch.nn.GRU, layers=2, batch_first=False, bidirectional=False, bias=True),
        "rnn": dict(kind="rnn", module=torch.nn.RNN, layers=2, batch_first=True, bidirectional=True, bias=False),
        "lstm.bidirectional": dict(kind="lstm", module=torch.nn.LSTM, layers=1, batch_first=False, bidirectional=True,
                                   bias=False),
    }
    batch, steps, features, hidden = 2, 5, 3, 4
    for name, spec in specs.items():
        torch.manual_seed(len(name))  # module initialization; the values are then saved
        module = spec["module"](features, hidden, num_layers=spec["layers"], bias=spec["bias"],
                                batch_first=spec["batch_first"], bidirectional=spec["bidirectional"]).to(DTYPE)
        directions = 2 if spec["bidirectional"] else 1
        x = c.randn(batch, steps, features) if spec["batch_first"] else c.randn(steps, batch, features)
        h0 = c.randn(spec["layers"] * directions, batch, hidden)
        weights = [w.detach() for w in module._flat_weights]
        tensors = dict(x=x, h0=h0)
        with torch.no_grad():
            if spec["kind"] == "lstm":
                c0 = c.randn(spec["layers"] * directions, batch, hidden)
                out, (hn, cn) = module(x, (h0, c0))
                tensors.update(c0=c0, cn=cn)
            else:
                c0 = None
                out, hn = module(x, h0)
        ref_out, ref_h, ref_c = recurrent_loops(spec["kind"], x, h0, c0, weights, spec["layers"],
                                                spec["bidirectional"], spec["batch_first"], spec["bias"])
        check(f"{name}.out", ref_out, out)
        check(f"{name}.hn", ref_h, hn)
        if ref_c is not None:
            check(f"{name}.cn", ref_c, tensors["cn"])
        tensors.update(out=out, hn=hn)
        tensors["config"] = torch.tensor(
            [spec["layers"], int(spec["batch_first"]), int(spec["bidirectional"]), int(spec["bias"])],
            dtype=torch.int64)
        for k, w in enumerate(weights):
            tensors[f"w.{k}"] = w
        c.put(name, **tensors)


def loss_cases(c):
    logits = c.randn(6, 5) * 2
    target = torch.tensor([0, 3, 4, 1, 1, 2], dtype=torch.int64)
    with_ignored = torch.tensor([0, -100, 4, 1, -100, 2], dtype=torch.int64)
    with_ignored_2 = torch.tensor([0, 2, 4, 1, 2, 3], dtype=torch.int64)
    weight = torch.tensor([0.5, 2.0, 1.0, 0.25, 3.0], dtype=DTYPE)
    c.put("ce", logits=logits, target=target, target_ignored=with_ignored, target_ignored_2=with_ignored_2,
          class_weight=weight)

    logp = logits.log_softmax(-1)
    picked = -logp.gather(1, target[:, None])[:, 0]
    out = F.cross_entropy(logits, target)
    check("ce.mean", picked.mean(), out)
    c.put("ce.mean", out=out)
    c.put("ce.sum", out=F.cross_entropy(logits, target, reduction="sum"))
    c.put("ce.none", out=F.cross_entropy(logits, target, reduction="none"))

    out = F.cross_entropy(logits, target, label_smoothing=0.2)
    smooth = (0.8 * picked + 0.2 * (-logp.mean(-1))).mean()
    check("ce.smooth", smooth, out)
    c.put("ce.smooth", out=out)
    c.put("ce.smooth_none", out=F.cross_entropy(logits, target, label_smoothing=0.2, reduction="none"))

    keep = with_ignored != -100
    out = F.cross_entropy(logits, with_ignored)
    check("ce.ignore", -logp[keep].gather(1, with_ignored[keep][:, None]).mean(), out)
    c.put("ce.ignore", out=out)
    c.put("ce.ignore_none", out=F.cross_entropy(logits, with_ignored, reduction="none"))
    c.put("ce.ignore_2", out=F.cross_entropy(logits, with_ignored_2, ignore_index=2))

    out = F.cross_entropy(logits, target, weight=weight)
    w = weight[target]
    check("ce.weight", (w * picked).sum() / w.sum(), out)
    c.put("ce.weight", out=out)
    c.put("ce.weight_sum", out=F.cross_entropy(logits, target, weight=weight, reduction="sum"))
    c.put("ce.everything", out=F.cross_entropy(logits, with_ignored, weight=weight, label_smoothing=0.1))

    soft = (c.randn(6, 5) * 1.5).softmax(-1)  # class probabilities as targets
    out = F.cross_entropy(logits, soft)
    check("ce.soft", -(soft * logp).sum(-1).mean(), out)
    c.put("ce.soft", target=soft, out=out, smooth=F.cross_entropy(logits, soft, label_smoothing=0.3),
          none=F.cross_entropy(logits, soft, reduction="none"))

    spatial_logits = c.randn(2, 4, 3)
    spatial_target = c.randint(0, 4, 2, 3)
    out = F.cross_entropy(spatial_logits, spatial_target)
    flat = F.cross_entropy(spatial_logits.permute(0, 2, 1).reshape(-1, 4), spatial_target.reshape(-1))
    check("ce.spatial", flat, out)
    c.put("ce.spatial", logits=spatial_logits, target=spatial_target, out=out)

    c.put("nll", logp=logp)
    out = F.nll_loss(logp, target)
    check("nll.mean", picked.mean(), out)
    c.put("nll.mean", out=out)
    c.put("nll.sum", out=F.nll_loss(logp, target, reduction="sum"))
    c.put("nll.none", out=F.nll_loss(logp, target, reduction="none"))
    c.put("nll.ignore", out=F.nll_loss(logp, with_ignored_2, ignore_index=2))

    x, y = c.randn(3, 4), c.randn(3, 4)
    c.put("regression", x=x, y=y)
    out = F.mse_loss(x, y)
    check("mse.mean", ((x - y) ** 2).mean(), out)
    c.put("mse.mean", out=out)
    c.put("mse.sum", out=F.mse_loss(x, y, reduction="sum"))
    c.put("mse.none", out=F.mse_loss(x, y, reduction="none"))
    for name, beta in (("beta1", 1.0), ("beta05", 0.5), ("beta2", 2.0)):
        diff = (x - y).abs()
        formula = torch.where(diff < beta, 0.5 * diff ** 2 / beta, diff - 0.5 * beta)
        out = F.smooth_l1_loss(x, y, reduction="none", beta=beta)
        check(f"smooth_l1.{name}", formula, out)
        c.put(f"smooth_l1.{name}", none=out, mean=F.smooth_l1_loss(x, y, beta=beta),
              sum=F.smooth_l1_loss(x, y, reduction="sum", beta=beta))


def attention_formula(q, k, v, mask=None, causal=False):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        allowed = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    weights = scores.softmax(-1)
    return weights @ v, weights


def attention_cases(c):
    q, k, v = c.randn(2, 3, 4, 8), c.randn(2, 3, 6, 8), c.randn(2, 3, 6, 8)
    bool_mask = torch.rand(4, 6, generator=c.generator) > 0.4
    bool_mask[:, 0] = True  # every query sees at least one key
    float_mask = c.randn(4, 6)
    qs = c.randn(2, 3, 5, 8)
    ks, vs = c.randn(2, 3, 5, 8), c.randn(2, 3, 5, 8)
    c.put("sdpa", q=q, k=k, v=v, bool_mask=bool_mask, float_mask=float_mask, q_self=qs, k_self=ks, v_self=vs)

    runs = {
        "plain": (q, k, v, None, False),
        "bool_mask": (q, k, v, bool_mask, False),
        "float_mask": (q, k, v, float_mask, False),
        "causal": (qs, ks, vs, None, True),
    }
    for name, (qq, kk, vv, mask, causal) in runs.items():
        out, weights = F._scaled_dot_product_attention(qq, kk, vv, mask, 0.0, True, causal)
        ref_out, ref_weights = attention_formula(qq, kk, vv, mask, causal)
        check(f"sdpa.{name}.out", ref_out, out)
        check(f"sdpa.{name}.weights", ref_weights, weights)
        c.put(f"sdpa.{name}", out=ref_out, weights=ref_weights)


def pointwise_cases(c):
    x = torch.cat([torch.linspace(-6, 6, 25, dtype=DTYPE), c.randn(15) * 2])
    exact = 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    approx = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    check("gelu.exact", exact, F.gelu(x))
    check("gelu.tanh", approx, F.gelu(x, approximate="tanh"))
    c.put("gelu", x=x, exact=F.gelu(x), tanh=F.gelu(x, approximate="tanh"))

    gate, up = c.randn(3, 4), c.randn(3, 4)
    c.put("swiglu", gate=gate, up=up, out=gate * torch.sigmoid(gate) * up)

    x = c.randn(2, 3)
    c.put("pad", x=x, last=F.pad(x, (1, 2), value=0.5), both=F.pad(x, (0, 1, 2, 0)))


def main():
    torch.set_num_threads(1)
    c = Cases(seed=1337)
    linear_cases(c)
    embedding_cases(c)
    layer_norm_cases(c)
    conv1d_cases(c)
    recurrent_cases(c)
    loss_cases(c)
    attention_cases(c)
    pointwise_cases(c)
    metadata = {"producer": "tests/reference/make_runtime_ops.py", "torch": torch.__version__}
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    safetensors_io.save(OUTPUT, c.tensors, metadata)
    loaded = safetensors_io.load(OUTPUT)
    assert sorted(loaded) == sorted(c.tensors), "the file does not hold what was written"
    for name, tensor in c.tensors.items():
        assert torch.equal(loaded[name], tensor), name
    print(f"wrote {OUTPUT}: {len(c.tensors)} tensors, {os.path.getsize(OUTPUT)} bytes")


if __name__ == "__main__":
    main()
