"""Reference outputs for the language-v2 fixture irregular-sensor.model.yaml
(tests/Liquid.Models.Tests/FixtureReferenceTests.cs).

The model is written here in plain PyTorch from what the YAML says, not from Liquid's C#:

  x        = encode(readings)                      Linear(features -> hidden)
  x        = x + clock.proj(dt[..., None])         Linear(1 -> hidden) of the time per step
  states, h_n = gru(x)                             one-layer GRU, batch first
  summary  = h_n[-1]                               the final output
  penalty  = 0.0 * mean|states| + activity * mean(states^2)
  forecast = forecast_head(states)                 Linear(hidden -> features)
  logits   = classifier(summary)                   Linear(hidden -> classes)
  loss     = mse(forecast, next_readings) + 0.5 * cross_entropy(logits, label) + 1.0 * penalty

Parameter names are the generated model's state-dict keys, so the C# test loads them strictly.
For float64 and float32 the file holds, under "irregular_sensor.<f64|f32>.": weight.<key>,
forecast, logits, penalty, mse, cross_entropy, loss and grad.<key>; shared: readings, dt,
next_readings, label. Deterministic: written twice, compared byte for byte.

    /usr/bin/python3 tests/reference/make_fixtures.py
"""

import hashlib
import math
import os
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "fixtures.safetensors")
SEED = 20261204
BATCH, STEPS = 3, 7
FEATURES, HIDDEN, CLASSES, ACTIVITY = 3, 16, 4, 0.01  # the fixture's config defaults


class TimeEmbedding(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(1, dim)

    def forward(self, x, time):
        return x + self.proj(time.unsqueeze(-1))


class IrregularSensor(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Linear(FEATURES, HIDDEN)
        self.clock = TimeEmbedding(HIDDEN)
        self.gru = nn.GRU(HIDDEN, HIDDEN, batch_first=True)
        self.forecast_head = nn.Linear(HIDDEN, FEATURES)
        self.classifier = nn.Linear(HIDDEN, CLASSES)

    def forward(self, readings, dt):
        x = self.clock(self.encode(readings), dt)
        states, h_n = self.gru(x)
        summary = h_n[-1]
        penalty = 0.0 * states.abs().mean() + ACTIVITY * states.square().mean()
        return self.forecast_head(states), self.classifier(summary), penalty


def build():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    model = IrregularSensor()
    weights = {}
    for name, parameter in model.named_parameters():
        noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float64)
        weights[name] = 0.1 * noise if name.endswith("bias") else noise / math.sqrt(parameter.shape[-1])
    readings = torch.randn(BATCH, STEPS, FEATURES, generator=generator, dtype=torch.float64)
    dt = torch.rand(BATCH, STEPS, generator=generator, dtype=torch.float64) * 2  # irregular gaps
    next_readings = torch.randn(BATCH, STEPS, FEATURES, generator=generator, dtype=torch.float64)
    label = torch.randint(0, CLASSES, (BATCH,), generator=generator, dtype=torch.int64)

    tensors = {"irregular_sensor.readings": readings, "irregular_sensor.dt": dt,
               "irregular_sensor.next_readings": next_readings, "irregular_sensor.label": label}
    for suffix, dtype in (("f64", torch.float64), ("f32", torch.float32)):
        net = IrregularSensor().to(dtype)
        net.load_state_dict({k: v.to(dtype) for k, v in weights.items()}, strict=True)
        forecast, logits, penalty = net(readings.to(dtype), dt.to(dtype))
        mse = F.mse_loss(forecast, next_readings.to(dtype))
        cross_entropy = F.cross_entropy(logits, label)
        loss = mse + 0.5 * cross_entropy + 1.0 * penalty
        loss.backward()
        prefix = f"irregular_sensor.{suffix}."
        for name, parameter in net.named_parameters():
            tensors[prefix + "weight." + name] = weights[name].to(dtype)
            tensors[prefix + "grad." + name] = parameter.grad.detach().clone()
        for name, value in (("forecast", forecast), ("logits", logits), ("penalty", penalty),
                            ("mse", mse), ("cross_entropy", cross_entropy), ("loss", loss)):
            tensors[prefix + name] = value.detach().clone()
    metadata = {"producer": "tests/reference/make_fixtures.py", "torch": torch.__version__}
    return tensors, metadata


def sha256(path):
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def main():
    os.makedirs(DATA_DIR, exist_ok=True)
    tensors, metadata = build()
    a, b = tensors["irregular_sensor.f64.loss"], tensors["irregular_sensor.f32.loss"].double()
    assert abs(a - b) / abs(a) < 1e-5, "float32 and float64 runs disagree"
    safetensors_io.save(OUTPUT, tensors, metadata)
    with tempfile.TemporaryDirectory() as scratch:
        again = os.path.join(scratch, "again.safetensors")
        safetensors_io.save(again, *build())
        assert sha256(again) == sha256(OUTPUT), "two runs gave different bytes"
    print(f"wrote {OUTPUT} ({os.path.getsize(OUTPUT)} bytes, sha256 {sha256(OUTPUT)})")


if __name__ == "__main__":
    main()
