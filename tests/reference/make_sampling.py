"""Write the reference outputs of the sampling logits processors (tests/Liquid.Harness.Tests/Generation).

The processors are Hugging Face transformers' definitions, written out by hand here
(Debian has torch but not transformers):

  repetition penalty (CTRL, Keskar et al. 2019; RepetitionPenaltyLogitsProcessor):
      for every id in the history, s -> s * theta if s < 0 else s / theta. Gathered
      from the unmodified scores and scattered back, so an id that occurs several
      times is penalized once.
  temperature (TemperatureLogitsWarper): s -> s / t, t > 0.
  top-k (TopKLogitsWarper): k = min(k, V); every score below the k-th largest
      becomes -inf, so ties at the boundary are kept.
  top-p (TopPLogitsWarper): sort ascending (stable: equal scores keep index
      order), cumulative softmax; drop the tokens whose cumulative mass is
      <= 1 - p, except the last (largest) one. Equivalently: keep the smallest
      prefix of the descending order whose mass reaches p.
  pipeline: Hugging Face's order, repetition penalty, temperature, top-k, top-p,
      then softmax.

Output: tests/reference/data/sampling.safetensors with
  input.<name>             float32 logits, [V] or [B, V]
  history.<name>           int64 ids, [S] or [B, S]
  <case>.expected          float32 processed scores (same shape as the input)
  pipeline.probs           float32 softmax of the pipeline's scores
and the metadata "cases", a JSON list of {name, processor, parameter, input,
history} so a reader can see what each case is.

Run from anywhere with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 tests/reference/make_sampling.py
"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402  (imported after the path is set)

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "sampling.safetensors")
INF = float("inf")


# --- Hugging Face's processor definitions, by hand ------------------------------------------

def repetition_penalty(scores, history, theta):
    squeeze = scores.dim() == 1
    if squeeze:
        scores, history = scores.unsqueeze(0), history.unsqueeze(0)
    seen = torch.gather(scores, 1, history)
    seen = torch.where(seen < 0, seen * theta, seen / theta)
    result = scores.scatter(1, history, seen)
    return result.squeeze(0) if squeeze else result


def temperature(scores, t):
    if not t > 0:
        raise ValueError("temperature must be > 0")
    return scores / t


def top_k(scores, k):
    k = min(k, scores.size(-1))
    kth_largest = torch.topk(scores, k, dim=-1)[0][..., -1:]
    return scores.masked_fill(scores < kth_largest, -INF)


def top_p(scores, p):
    sorted_scores, order = torch.sort(scores, dim=-1, descending=False, stable=True)
    cumulative = sorted_scores.softmax(dim=-1).cumsum(dim=-1)
    drop_sorted = cumulative <= (1 - p)
    drop_sorted[..., -1:] = False  # always keep the most likely token
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return scores.masked_fill(drop, -INF)


# --- Independent checks of the definitions above --------------------------------------------

def repetition_penalty_by_loop(scores, history, theta):
    """The same penalty element by element over distinct ids (used to check the tensor form)."""
    result = scores.clone()
    rows = [(result, history)] if scores.dim() == 1 else list(zip(result, history))
    for row, ids in rows:
        original = row.clone()
        for token in sorted(set(ids.tolist())):
            value = original[token]
            row[token] = value * theta if value < 0 else value / theta
    return result


def top_p_by_descending_prefix(scores, p):
    """Keep the shortest descending prefix whose mass is >= p (checks top_p on exact-mass rows)."""
    result = torch.full_like(scores, -INF)
    rows = [(result, scores)] if scores.dim() == 1 else list(zip(result, scores))
    for out_row, row in rows:
        probabilities = row.double().softmax(-1)
        # Descending order; among equal scores the higher index first, matching the stable ascending sort reversed.
        order = sorted(range(row.numel()), key=lambda i: (-row[i].item(), -i))
        mass = 0.0
        for i in order:
            out_row[i] = row[i]
            mass += probabilities[i].item()
            if mass >= p - 1e-12:
                break
    return result


# --- Cases ------------------------------------------------------------------------------------

def make_inputs():
    generator = torch.Generator().manual_seed(20240907)
    inputs = {
        # Three-way tie for the largest score (ids 2, 3, 8); negatives, a zero and positives.
        "v1": torch.tensor([1.5, -0.5, 2.0, 2.0, -3.0, 0.0, 0.75, -1.25, 2.0, 0.25], dtype=torch.float32),
        "b4": torch.stack([
            (2 * torch.randn(10, generator=generator, dtype=torch.float64)).to(torch.float32),
            # Four equal scores, the rest impossible: probabilities exactly 1/4, so p = 0.5 and 0.75 hit the mass exactly.
            torch.tensor([-INF, 1.0, -INF, 1.0, 1.0, -INF, -INF, 1.0, -INF, -INF], dtype=torch.float32),
            torch.tensor([-2.5, 3.0, 0.5, -0.25, 1.0, 1.0, -4.0, 2.0, 0.0, 1.0], dtype=torch.float32),
            torch.zeros(10, dtype=torch.float32),
        ]),
    }
    histories = {
        # Ids 2 and 4 repeated; 4 has a negative score, 5 a zero one, 9 a positive one.
        "v1": torch.tensor([2, 4, 2, 9, 4, 4, 5], dtype=torch.int64),
        "b4": torch.tensor([
            [0, 0, 3, 7, 7, 7],
            [1, 2, 2, 1, 1, 1],
            [0, 1, 0, 6, 8, 1],
            [5, 5, 5, 5, 5, 5],
        ], dtype=torch.int64),
    }
    return inputs, histories


CASES = [
    # name, processor, parameter, input, history
    ("repetition_1.3_v1", "repetition_penalty", 1.3, "v1", "v1"),
    ("repetition_0.8_v1", "repetition_penalty", 0.8, "v1", "v1"),
    ("repetition_1.3_b4", "repetition_penalty", 1.3, "b4", "b4"),
    ("temperature_0.7_v1", "temperature", 0.7, "v1", None),
    ("temperature_2_b4", "temperature", 2.0, "b4", None),
    ("top_k_1_v1", "top_k", 1, "v1", None),
    ("top_k_2_v1", "top_k", 2, "v1", None),
    ("top_k_4_v1", "top_k", 4, "v1", None),
    ("top_k_3_b4", "top_k", 3, "b4", None),
    ("top_k_50_b4", "top_k", 50, "b4", None),
    ("top_p_0.9_v1", "top_p", 0.9, "v1", None),
    ("top_p_0.9_b4", "top_p", 0.9, "b4", None),
    ("top_p_0.75_b4", "top_p", 0.75, "b4", None),
    ("top_p_0.5_b4", "top_p", 0.5, "b4", None),
    ("top_p_0.01_b4", "top_p", 0.01, "b4", None),
    ("top_p_1_b4", "top_p", 1.0, "b4", None),
]

PIPELINE = {"repetition_penalty": 1.2, "temperature": 0.7, "top_k": 5, "top_p": 0.8, "input": "b4", "history": "b4"}


def apply(processor, parameter, scores, history):
    if processor == "repetition_penalty":
        return repetition_penalty(scores, history, parameter)
    if processor == "temperature":
        return temperature(scores, parameter)
    if processor == "top_k":
        return top_k(scores, parameter)
    if processor == "top_p":
        return top_p(scores, parameter)
    raise ValueError(processor)


def main():
    inputs, histories = make_inputs()
    tensors = {f"input.{name}": value for name, value in inputs.items()}
    tensors.update({f"history.{name}": value for name, value in histories.items()})
    described = []
    for name, processor, parameter, input_name, history_name in CASES:
        scores = inputs[input_name]
        history = histories[history_name] if history_name else None
        expected = apply(processor, parameter, scores, history)
        if processor == "repetition_penalty":
            assert torch.equal(expected, repetition_penalty_by_loop(scores, history, parameter)), name
        if processor == "top_p":
            assert torch.equal(expected.isinf(), top_p_by_descending_prefix(scores, parameter).isinf()), name
        tensors[f"{name}.expected"] = expected
        described.append({"name": name, "processor": processor, "parameter": parameter,
                          "input": input_name, "history": history_name})

    # The exact-mass row keeps exactly the prefix that reaches p: 2 tokens for 0.5, 3 for 0.75.
    assert torch.isfinite(tensors["top_p_0.5_b4.expected"][1]).sum().item() == 2
    assert torch.isfinite(tensors["top_p_0.75_b4.expected"][1]).sum().item() == 3
    # Ties at the top-k boundary are kept: k = 2 keeps the three tied maxima.
    assert torch.isfinite(tensors["top_k_2_v1.expected"]).sum().item() == 3

    scores = inputs[PIPELINE["input"]]
    scores = repetition_penalty(scores, histories[PIPELINE["history"]], PIPELINE["repetition_penalty"])
    scores = temperature(scores, PIPELINE["temperature"])
    scores = top_k(scores, PIPELINE["top_k"])
    scores = top_p(scores, PIPELINE["top_p"])
    tensors["pipeline.expected"] = scores
    tensors["pipeline.probs"] = scores.softmax(-1)

    metadata = {
        "producer": "tests/reference/make_sampling.py",
        "torch": torch.__version__,
        "cases": json.dumps(described, sort_keys=True, separators=(",", ":")),
        "pipeline": json.dumps(PIPELINE, sort_keys=True, separators=(",", ":")),
    }
    os.makedirs(DATA_DIR, exist_ok=True)
    safetensors_io.save(OUTPUT, tensors, metadata)
    print(f"wrote {OUTPUT}: {len(tensors)} tensors, {len(CASES)} cases")


if __name__ == "__main__":
    main()
