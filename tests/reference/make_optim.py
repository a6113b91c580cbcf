"""Write the optimizer reference that tests/Liquid.Runtime.Tests/Nn/OptimizerTests.cs reads.

Output: tests/reference/data/optim.safetensors, all float64.

The problem is a Linear(4 -> 3) layer's parameters, `weight` [3, 4] and `bias` [3], driven by a
fixed sequence of STEPS gradients (the gradient of L_t = sum(weight * gW_t) + sum(bias * gb_t), so
any framework can reproduce it exactly with one backward pass). Each optimizer case starts from
the same initial values and records the parameters after every step.

Tensors:
  initial.weight [3, 4], initial.bias [3]       starting values (shared by every case)
  grads.weight [STEPS, 3, 4], grads.bias [STEPS, 3]
  {case}.weight [STEPS, 3, 4], {case}.bias [STEPS, 3]   parameters after steps 1..STEPS
  clip.{case}.grad.weight / .grad.bias           gradients before clip_grad_norm_
  clip.{case}.clipped.weight / .clipped.bias     gradients after it (absent when the gradient is None)
  clip.{case}.total_norm []                      the norm it returned
Metadata "cases" and "clip" hold the hyper-parameters as JSON (the C# test reads them from there,
so the two sides cannot drift apart). "adamw_scheduled" changes every group's lr before each step
to the value listed in its "lrs".

Run from anywhere with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 tests/reference/make_optim.py
"""

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402  (imported after the path is set)

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "optim.safetensors")
STEPS = 20
SEED = 20240917

# name -> (kind, options). "groups" (AdamW) lists per-group lr and weight decay: group 0 holds the
# matrix, group 1 the bias (what ParameterGroups.DecayAndNoDecay builds for a Linear layer).
CASES = {
    "sgd_plain": {"kind": "sgd", "lr": 0.1},
    "sgd_momentum": {"kind": "sgd", "lr": 0.05, "momentum": 0.9},
    "sgd_nesterov": {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
    "sgd_weight_decay": {"kind": "sgd", "lr": 0.1, "weight_decay": 0.05},
    "sgd_momentum_dampening_decay": {"kind": "sgd", "lr": 0.05, "momentum": 0.8, "dampening": 0.25, "weight_decay": 0.02},
    "adam_plain": {"kind": "adam", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0},
    "adam_weight_decay": {"kind": "adam", "lr": 0.02, "betas": [0.85, 0.99], "eps": 1e-6, "weight_decay": 0.1},
    "adamw_groups": {"kind": "adamw", "lr": 0.01, "betas": [0.9, 0.95], "eps": 1e-8, "weight_decay": 0.1},
    "adamw_scheduled": {
        "kind": "adamw",
        "lr": 0.01,
        "betas": [0.9, 0.95],
        "eps": 1e-8,
        "weight_decay": 0.3,
        "lrs": [0.01 * (1 + math.cos(math.pi * t / STEPS)) / 2 + 1e-4 for t in range(STEPS)],
    },
}

# clip_grad_norm_ cases: gradient scale (to land above or below max_norm), max_norm, norm type.
CLIP = {
    "l2_above": {"scale": 3.0, "max_norm": 1.0, "norm_type": 2.0},
    "l2_below": {"scale": 0.05, "max_norm": 1.0, "norm_type": 2.0},
    "inf_above": {"scale": 3.0, "max_norm": 0.5, "norm_type": "inf"},
    "inf_below": {"scale": 0.05, "max_norm": 0.5, "norm_type": "inf"},
    "l1_above": {"scale": 1.0, "max_norm": 2.0, "norm_type": 1.0},
    "l2_bias_without_grad": {"scale": 2.0, "max_norm": 1.5, "norm_type": 2.0, "bias_grad": False},
}


def make_optimizer(case, weight, bias):
    kind = case["kind"]
    if kind == "sgd":
        return torch.optim.SGD(
            [weight, bias],
            lr=case["lr"],
            momentum=case.get("momentum", 0.0),
            dampening=case.get("dampening", 0.0),
            weight_decay=case.get("weight_decay", 0.0),
            nesterov=case.get("nesterov", False),
            foreach=False,
        )
    if kind == "adam":
        return torch.optim.Adam(
            [weight, bias], lr=case["lr"], betas=tuple(case["betas"]), eps=case["eps"],
            weight_decay=case["weight_decay"], foreach=False,
        )
    if kind == "adamw":
        groups = [
            {"params": [weight], "weight_decay": case["weight_decay"]},
            {"params": [bias], "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=case["lr"], betas=tuple(case["betas"]), eps=case["eps"], foreach=False)
    raise ValueError(kind)


def main():
    torch.set_default_dtype(torch.float64)
    generator = torch.Generator().manual_seed(SEED)
    initial_weight = torch.randn(3, 4, generator=generator, dtype=torch.float64)
    initial_bias = torch.randn(3, generator=generator, dtype=torch.float64)
    # Gradients of varying size, so Adam's moment estimates see more than one scale.
    scales = torch.linspace(0.2, 2.0, STEPS, dtype=torch.float64)
    grads_weight = torch.randn(STEPS, 3, 4, generator=generator, dtype=torch.float64) * scales.view(STEPS, 1, 1)
    grads_bias = torch.randn(STEPS, 3, generator=generator, dtype=torch.float64) * scales.view(STEPS, 1)

    tensors = {
        "initial.weight": initial_weight,
        "initial.bias": initial_bias,
        "grads.weight": grads_weight,
        "grads.bias": grads_bias,
    }

    for name, case in CASES.items():
        weight = initial_weight.clone().requires_grad_(True)
        bias = initial_bias.clone().requires_grad_(True)
        optimizer = make_optimizer(case, weight, bias)
        weights, biases = [], []
        for t in range(STEPS):
            if "lrs" in case:
                for group in optimizer.param_groups:
                    group["lr"] = case["lrs"][t]
            optimizer.zero_grad(set_to_none=True)
            loss = (weight * grads_weight[t]).sum() + (bias * grads_bias[t]).sum()
            loss.backward()
            assert torch.equal(weight.grad, grads_weight[t]) and torch.equal(bias.grad, grads_bias[t])
            optimizer.step()
            weights.append(weight.detach().clone())
            biases.append(bias.detach().clone())
        tensors[f"{name}.weight"] = torch.stack(weights)
        tensors[f"{name}.bias"] = torch.stack(biases)

    for name, case in CLIP.items():
        weight = initial_weight.clone().requires_grad_(True)
        bias = initial_bias.clone().requires_grad_(True)
        grad_weight = torch.randn(3, 4, generator=generator, dtype=torch.float64) * case["scale"]
        grad_bias = torch.randn(3, generator=generator, dtype=torch.float64) * case["scale"]
        weight.grad = grad_weight.clone()
        tensors[f"clip.{name}.grad.weight"] = grad_weight
        tensors[f"clip.{name}.grad.bias"] = grad_bias
        if case.get("bias_grad", True):
            bias.grad = grad_bias.clone()
        norm_type = math.inf if case["norm_type"] == "inf" else case["norm_type"]
        total = torch.nn.utils.clip_grad_norm_([weight, bias], case["max_norm"], norm_type=norm_type)
        tensors[f"clip.{name}.total_norm"] = total.detach().clone()
        tensors[f"clip.{name}.clipped.weight"] = weight.grad.clone()
        if bias.grad is not None:
            tensors[f"clip.{name}.clipped.bias"] = bias.grad.clone()
        above = total.item() > case["max_norm"]
        assert above == (case["scale"] > 0.5), f"clip case {name}: norm {total.item()} vs max {case['max_norm']}"

    metadata = {
        "producer": f"make_optim.py, torch {torch.__version__}",
        "steps": str(STEPS),
        "cases": json.dumps(CASES, sort_keys=True),
        "clip": json.dumps(CLIP, sort_keys=True),
    }
    os.makedirs(DATA_DIR, exist_ok=True)
    safetensors_io.save(OUTPUT, tensors, metadata)
    print(f"wrote {OUTPUT}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
