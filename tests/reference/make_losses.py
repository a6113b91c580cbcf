"""Write the loss reference that tests/Liquid.Runtime.Tests/Nn/LossTests.cs reads.

Output: tests/reference/data/losses.safetensors, floats in float64.

Each case `name` stores its inputs, the loss and the gradients of the loss:
  cross_entropy, focal:  {name}.logits, {name}.target (int64), {name}.loss, {name}.grad.logits
  mse, smooth_l1:        {name}.input, {name}.target, {name}.loss, {name}.grad.input
  cosine_embedding:      {name}.a, {name}.b, {name}.target (int64, +-1), {name}.loss,
                         {name}.grad.a, {name}.grad.b
With reduction "none" the loss is a tensor; its gradient is then taken against the stored
{name}.upstream (loss.backward(upstream)). Metadata "cases" holds each case's kind and options
as JSON; the C# test reads them from there.

Focal loss is written here from its definition (Lin et al. 2017): for the tokens whose target is
not ignore_index, alpha * (1 - p_t)^gamma * (-log p_t) with p_t the softmax probability of the
target class, summed and divided by the number of such tokens. Ignored tokens are removed before
anything is computed, so they cannot contribute values or gradients.

Run from anywhere with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 tests/reference/make_losses.py
"""

import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402  (imported after the path is set)

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "losses.safetensors")
SEED = 20240918
F64 = torch.float64


def focal_from_definition(logits, target, alpha, gamma, ignore_index):
    valid = target != ignore_index
    log_p = torch.log_softmax(logits[valid], dim=-1)
    log_p_t = log_p.gather(1, target[valid].unsqueeze(1)).squeeze(1)
    p_t = log_p_t.exp()
    per_token = alpha * (1 - p_t) ** gamma * (-log_p_t)
    return per_token.sum() / valid.sum()


def main():
    generator = torch.Generator().manual_seed(SEED)

    def randn(*shape, scale=1.0):
        return torch.randn(shape, generator=generator, dtype=F64) * scale

    def targets(shape, classes, ignore_index, ignored):
        target = torch.randint(0, classes, shape, generator=generator, dtype=torch.int64).view(-1)
        target[list(ignored)] = ignore_index
        return target.view(shape)

    cases = {}
    tensors = {}

    def record(name, options, inputs, loss, grad_of, upstream=None):
        cases[name] = options
        for key, value in inputs.items():
            tensors[f"{name}.{key}"] = value.detach().clone()
        tensors[f"{name}.loss"] = loss.detach().clone()
        if upstream is not None:
            tensors[f"{name}.upstream"] = upstream
            loss.backward(upstream)
        else:
            loss.backward()
        for key in grad_of:
            tensors[f"{name}.grad.{key}"] = inputs[key].grad.detach().clone()

    # Cross-entropy: logits [N, C] (and one [N, C, d] case), some targets ignored.
    ce_cases = {
        "ce_mean": {"ignore_index": -100, "label_smoothing": 0.0, "reduction": "mean", "shape": [10, 7], "ignored": [2, 7]},
        "ce_smoothing": {"ignore_index": -100, "label_smoothing": 0.1, "reduction": "mean", "shape": [10, 7], "ignored": [0, 5, 6]},
        "ce_custom_ignore_sum": {"ignore_index": 2, "label_smoothing": 0.2, "reduction": "sum", "shape": [12, 5], "ignored": [1, 4]},
        "ce_none": {"ignore_index": -100, "label_smoothing": 0.05, "reduction": "none", "shape": [8, 6], "ignored": [3]},
        "ce_3d": {"ignore_index": -100, "label_smoothing": 0.1, "reduction": "mean", "shape": [2, 7, 5], "ignored": [1, 8]},
    }
    for name, options in ce_cases.items():
        shape = options["shape"]
        classes = shape[1]
        target_shape = [shape[0]] + shape[2:]
        logits = randn(*shape, scale=2.0).requires_grad_(True)
        target = targets(target_shape, classes, options["ignore_index"], options["ignored"])
        if options["ignore_index"] >= 0:  # a class id used as ignore_index: make sure it also occurs only where meant
            target = torch.where(target == options["ignore_index"], torch.full_like(target, (options["ignore_index"] + 1) % classes), target)
            flat = target.view(-1)
            flat[options["ignored"]] = options["ignore_index"]
        loss = F.cross_entropy(
            logits, target, ignore_index=options["ignore_index"], label_smoothing=options["label_smoothing"], reduction=options["reduction"]
        )
        upstream = randn(*loss.shape) if options["reduction"] == "none" else None
        record(name, {"kind": "cross_entropy", **options}, {"logits": logits, "target": target}, loss, ["logits"], upstream)

    # Focal loss from its definition; gamma = 0, alpha = 1 must equal cross-entropy.
    focal_cases = {
        "focal_g2_a025": {"alpha": 0.25, "gamma": 2.0, "ignore_index": -100, "shape": [12, 6], "ignored": [0, 9]},
        "focal_g05": {"alpha": 1.0, "gamma": 0.5, "ignore_index": -100, "shape": [10, 5], "ignored": [3, 4]},
        "focal_g0": {"alpha": 1.0, "gamma": 0.0, "ignore_index": -100, "shape": [10, 5], "ignored": [8]},
        "focal_g15_custom_ignore": {"alpha": 0.5, "gamma": 1.5, "ignore_index": 4, "shape": [9, 7], "ignored": [2, 6]},
        "focal_g3_confident": {"alpha": 0.75, "gamma": 3.0, "ignore_index": -100, "shape": [8, 4], "ignored": [1], "scale": 6.0},
    }
    for name, options in focal_cases.items():
        n, classes = options["shape"]
        logits = randn(n, classes, scale=options.get("scale", 2.0)).requires_grad_(True)
        target = targets([n], classes, options["ignore_index"], [])
        if options["ignore_index"] >= 0:
            target = torch.where(target == options["ignore_index"], torch.full_like(target, 0), target)
        target[options["ignored"]] = options["ignore_index"]
        loss = focal_from_definition(logits, target, options["alpha"], options["gamma"], options["ignore_index"])
        if options["gamma"] == 0.0 and options["alpha"] == 1.0:
            ce = F.cross_entropy(logits, target, ignore_index=options["ignore_index"])
            assert torch.allclose(loss, ce, rtol=1e-14, atol=0), (loss, ce)
        record(name, {"kind": "focal", **options}, {"logits": logits, "target": target}, loss, ["logits"])

    # Regression losses. Differences span both sides of every beta used.
    regression_cases = {
        "mse_mean": {"kind": "mse", "reduction": "mean"},
        "mse_sum": {"kind": "mse", "reduction": "sum"},
        "mse_none": {"kind": "mse", "reduction": "none"},
        "smooth_l1_beta05_mean": {"kind": "smooth_l1", "beta": 0.5, "reduction": "mean"},
        "smooth_l1_beta1_sum": {"kind": "smooth_l1", "beta": 1.0, "reduction": "sum"},
        "smooth_l1_beta2_none": {"kind": "smooth_l1", "beta": 2.0, "reduction": "none"},
    }
    for name, options in regression_cases.items():
        x = randn(4, 5, scale=1.5).requires_grad_(True)
        target = randn(4, 5)
        if options["kind"] == "mse":
            loss = F.mse_loss(x, target, reduction=options["reduction"])
        else:
            loss = F.smooth_l1_loss(x, target, reduction=options["reduction"], beta=options["beta"])
        upstream = randn(*loss.shape) if options["reduction"] == "none" else None
        record(name, options, {"input": x, "target": target}, loss, ["input"], upstream)

    # Cosine embedding loss, targets +-1.
    cosine_cases = {
        "cosine_margin0_mean": {"margin": 0.0, "reduction": "mean"},
        "cosine_margin02_sum": {"margin": 0.2, "reduction": "sum"},
        "cosine_margin_neg_none": {"margin": -0.3, "reduction": "none"},
    }
    for name, options in cosine_cases.items():
        a = randn(8, 5).requires_grad_(True)
        b = randn(8, 5)
        b[:3] = a.detach()[:3] + 0.3 * b[:3]  # some pairs similar, so both branches of the loss are active
        b.requires_grad_(True)
        target = torch.tensor([1, -1, -1, 1, -1, 1, -1, 1], dtype=torch.int64)
        loss = F.cosine_embedding_loss(a, b, target, margin=options["margin"], reduction=options["reduction"])
        upstream = randn(*loss.shape) if options["reduction"] == "none" else None
        record(name, {"kind": "cosine_embedding", **options}, {"a": a, "b": b, "target": target}, loss, ["a", "b"], upstream)

    metadata = {
        "producer": f"make_losses.py, torch {torch.__version__}",
        "cases": json.dumps(cases, sort_keys=True),
    }
    os.makedirs(DATA_DIR, exist_ok=True)
    safetensors_io.save(OUTPUT, tensors, metadata)
    print(f"wrote {OUTPUT}: {len(cases)} cases, {len(tensors)} tensors")


if __name__ == "__main__":
    main()
