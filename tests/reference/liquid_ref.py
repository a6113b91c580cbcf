"""Plain PyTorch implementations of ncps's liquid cells, written from the equations of
../shared/design/LIQUID-SEMANTICS.md §6 (ncps 1.0.1), not from ncps's code.

Used by make_liquid.py (reference data for the C# tests) and by benchmarks/pytorch/liquid.py
(the baseline of the speed comparison), so it follows ncps's structure: one cell step per time
step, one op per term, parameters under ncps's state-dict names:

  LTC:  rnn_cell.{gleak, vleak, cm, sigma, mu, w, erev, sensory_sigma, sensory_mu, sensory_w,
        sensory_erev, sparsity_mask, sensory_sparsity_mask, input_w, input_b, output_w, output_b},
        lstm.{input_map.weight, input_map.bias, recurrent_map.weight}
  CfC:  rnn_cell.{w_tau, A, backbone.K.weight/bias, ff1, ff2, time_a, time_b}.weight/bias,
        wired: rnn_cell.layer_L.{sparsity_mask, ff1, ff2, time_a, time_b ...}; fc.weight/bias

Two deliberate differences from ncps, both from the semantics document:
  * elapsed time is per sample, shape (B, T), broadcast over units (ncps breaks for B > 1);
  * wirings are given as fixed matrices (the tests fix them), never drawn from numpy here.

Not a program: run make_liquid.py or benchmarks/liquid.sh.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


# ---------------------------------------------------------------------------
# Wirings as fixed matrices
# ---------------------------------------------------------------------------


class Wiring:
    """Synapses as matrices indexed [source, target]: adjacency (N, N) and sensory (S, N), entries
    +1 / -1 / 0. Motor neurons are ids 0 .. output_dim-1. `layers` lists the neuron ids of each
    layer in CfC's order (inter, command, motor for an NCP; one layer of all units otherwise)."""

    def __init__(self, adjacency, sensory, output_dim, layers=None):
        self.adjacency = torch.as_tensor(adjacency, dtype=torch.int64)
        self.sensory = torch.as_tensor(sensory, dtype=torch.int64)
        self.units = self.adjacency.shape[0]
        self.inputs = self.sensory.shape[0]
        self.output_dim = output_dim
        self.layers = layers if layers is not None else [list(range(self.units))]


def random_wiring(units, inputs, output_dim, generator, density=1.0, layers=None):
    """A wiring with random polarities (P(+1) = 2/3, as FullyConnected) and, below density 1,
    random missing synapses; drawn from a torch generator so the test data is reproducible."""
    def draw(shape):
        sign = torch.where(torch.rand(shape, generator=generator) < 1 / 3, -1, 1)
        if density < 1.0:
            sign = sign * (torch.rand(shape, generator=generator) < density)
        return sign.to(torch.int64)

    return Wiring(draw((units, units)), draw((inputs, units)), output_dim, layers)


# ---------------------------------------------------------------------------
# Initialisers (torch.nn.init's definitions)
# ---------------------------------------------------------------------------


def uniform_range(shape, low, high):
    """ncps's draw: torch.rand(shape) * (high - low) + low."""
    return torch.rand(*shape) * (high - low) + low


def xavier_uniform(tensor):
    fan_out, fan_in = tensor.shape
    bound = math.sqrt(3.0) * math.sqrt(2.0 / float(fan_in + fan_out))
    with torch.no_grad():
        tensor.uniform_(-bound, bound)


# ---------------------------------------------------------------------------
# Mixed memory: ncps's LSTMCell
# ---------------------------------------------------------------------------


class LstmCellRef(nn.Module):
    """z = W_in u + b_in + W_rec h; chunks [i, ig, fg, og];
    c' = c σ(fg + 1) + tanh(i) σ(ig); h' = tanh(c') σ(og)."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_map = nn.Linear(input_size, 4 * hidden_size, bias=True)
        self.recurrent_map = nn.Linear(hidden_size, 4 * hidden_size, bias=False)
        xavier_uniform(self.input_map.weight)
        with torch.no_grad():
            self.input_map.bias.uniform_(-0.1, 0.1)
        nn.init.orthogonal_(self.recurrent_map.weight)

    def forward(self, u, h, c):
        z = self.input_map(u) + self.recurrent_map(h)
        i, ig, fg, og = z.chunk(4, 1)
        c = c * torch.sigmoid(fg + 1.0) + torch.tanh(i) * torch.sigmoid(ig)
        h = torch.tanh(c) * torch.sigmoid(og)
        return h, c


# ---------------------------------------------------------------------------
# LTC
# ---------------------------------------------------------------------------


class LtcCellRef(nn.Module):
    def __init__(self, wiring, input_mapping="affine", output_mapping="affine", ode_unfolds=6, epsilon=1e-8,
                 constraints="softplus"):
        super().__init__()
        n, s, m = wiring.units, wiring.inputs, wiring.output_dim
        self.units, self.motor = n, m
        self.input_mapping, self.output_mapping = input_mapping, output_mapping
        self.unfolds, self.epsilon, self.constraints = ode_unfolds, epsilon, constraints

        def parameter(value, trainable=True):
            return nn.Parameter(value, requires_grad=trainable)

        # Allocation order fixes how the torch RNG is consumed (§6.1 table).
        self.gleak = parameter(uniform_range((n,), 0.001, 1.0))
        self.vleak = parameter(uniform_range((n,), -0.2, 0.2))
        self.cm = parameter(uniform_range((n,), 0.4, 0.6))
        self.sigma = parameter(uniform_range((n, n), 3, 8))
        self.mu = parameter(uniform_range((n, n), 0.3, 0.8))
        self.w = parameter(uniform_range((n, n), 0.001, 1.0))
        self.erev = parameter(wiring.adjacency.to(torch.float32))
        self.sensory_sigma = parameter(uniform_range((s, n), 3, 8))
        self.sensory_mu = parameter(uniform_range((s, n), 0.3, 0.8))
        self.sensory_w = parameter(uniform_range((s, n), 0.001, 1.0))
        self.sensory_erev = parameter(wiring.sensory.to(torch.float32))
        self.sparsity_mask = parameter(wiring.adjacency.abs().to(torch.float32), trainable=False)
        self.sensory_sparsity_mask = parameter(wiring.sensory.abs().to(torch.float32), trainable=False)
        if input_mapping in ("affine", "linear"):
            self.input_w = parameter(torch.ones(s))
        if input_mapping == "affine":
            self.input_b = parameter(torch.zeros(s))
        if output_mapping in ("affine", "linear"):
            self.output_w = parameter(torch.ones(m))
        if output_mapping == "affine":
            self.output_b = parameter(torch.zeros(m))

    def positive(self, x):
        return F.softplus(x) if self.constraints == "softplus" else x

    def clamp_(self):
        """ncps's apply_weight_constraints for constraints="clamp": ReLU of the four positive parameters."""
        if self.constraints == "clamp":
            with torch.no_grad():
                for p in (self.w, self.sensory_w, self.cm, self.gleak):
                    p.copy_(torch.relu(p))

    def forward(self, u, v, elapsed):
        """u (B, S), v (B, N), elapsed (B,) -> (y (B, M), v' (B, N))."""
        x = u
        if self.input_mapping in ("affine", "linear"):
            x = x * self.input_w
        if self.input_mapping == "affine":
            x = x + self.input_b
        # Sensory conductances, frozen for the whole step; sigma is a gain on (x - mu).
        g_s = self.positive(self.sensory_w) * torch.sigmoid(self.sensory_sigma * (x.unsqueeze(-1) - self.sensory_mu))
        g_s = g_s * self.sensory_sparsity_mask
        num_s = (g_s * self.sensory_erev).sum(dim=1)
        den_s = g_s.sum(dim=1)
        cm_t = self.positive(self.cm) / (elapsed.unsqueeze(-1) / self.unfolds)
        w = self.positive(self.w)
        gleak = self.positive(self.gleak)
        for _ in range(self.unfolds):
            g = w * torch.sigmoid(self.sigma * (v.unsqueeze(-1) - self.mu))
            g = g * self.sparsity_mask
            num = cm_t * v + gleak * self.vleak + ((g * self.erev).sum(dim=1) + num_s)
            den = cm_t + gleak + (g.sum(dim=1) + den_s)
            v = num / (den + self.epsilon)
        y = v[:, : self.motor] if self.motor < self.units else v
        if self.output_mapping in ("affine", "linear"):
            y = y * self.output_w
        if self.output_mapping == "affine":
            y = y + self.output_b
        return y, v


class LtcRef(nn.Module):
    """ncps.torch.LTC, batch first: cell first (its parameters), then the mixed-memory LSTM."""

    def __init__(self, wiring, return_sequences=True, mixed_memory=False, **cell_options):
        super().__init__()
        self.rnn_cell = LtcCellRef(wiring, **cell_options)
        self.return_sequences, self.mixed = return_sequences, mixed_memory
        if mixed_memory:
            self.lstm = LstmCellRef(wiring.inputs, wiring.units)

    def forward(self, x, elapsed=None, h=None, c=None):
        batch, steps, _ = x.shape
        n = self.rnn_cell.units
        if h is None:
            h = x.new_zeros(batch, n)
        if self.mixed and c is None:
            c = x.new_zeros(batch, n)
        if elapsed is None:
            elapsed = x.new_ones(batch, steps)
        outputs = []
        for t in range(steps):
            u = x[:, t]
            if self.mixed:
                h, c = self.lstm(u, h, c)
            y, h = self.rnn_cell(u, h, elapsed[:, t])
            outputs.append(y)
        out = torch.stack(outputs, dim=1) if self.return_sequences else outputs[-1]
        return out, h, c


# ---------------------------------------------------------------------------
# CfC
# ---------------------------------------------------------------------------


class LecunTanh(nn.Module):
    def forward(self, x):
        return 1.7159 * torch.tanh(0.666 * x)


ACTIVATIONS = {"lecun_tanh": LecunTanh, "silu": nn.SiLU, "relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


class CfcCellRef(nn.Module):
    def __init__(self, input_size, hidden_size, mode="default", activation="lecun_tanh", backbone_units=128,
                 backbone_layers=1, backbone_dropout=0.0, sparsity_mask=None):
        super().__init__()
        if mode not in ("default", "no_gate", "pure"):
            raise ValueError(mode)
        self.mode, self.layers = mode, backbone_layers
        # The mask, given as (I + N, N), is stored transposed like ff1's weight (N, I + N).
        self.sparsity_mask = None if sparsity_mask is None else nn.Parameter(
            torch.as_tensor(sparsity_mask, dtype=torch.float32).abs().t().contiguous(), requires_grad=False)
        if backbone_layers > 0:
            modules = [nn.Linear(input_size + hidden_size, backbone_units), ACTIVATIONS[activation]()]
            for _ in range(1, backbone_layers):
                modules += [nn.Linear(backbone_units, backbone_units), ACTIVATIONS[activation]()]
                if backbone_dropout > 0:
                    modules.append(nn.Dropout(backbone_dropout))
            self.backbone = nn.Sequential(*modules)
        width = backbone_units if backbone_layers > 0 else input_size + hidden_size
        self.ff1 = nn.Linear(width, hidden_size)
        if mode == "pure":
            self.w_tau = nn.Parameter(torch.zeros(1, hidden_size))
            self.A = nn.Parameter(torch.ones(1, hidden_size))
        else:
            self.ff2 = nn.Linear(width, hidden_size)
            self.time_a = nn.Linear(width, hidden_size)
            self.time_b = nn.Linear(width, hidden_size)
        # Pitfall 3: every trainable 2-D parameter, in parameters() order (own ones first).
        for p in self.parameters():
            if p.dim() == 2 and p.requires_grad:
                xavier_uniform(p)

    def head(self, linear, z):
        weight = linear.weight if self.sparsity_mask is None else linear.weight * self.sparsity_mask
        return F.linear(z, weight, linear.bias)

    def forward(self, u, h, ts):
        """u (B, I), h (B, N), ts (B, 1) -> h' (B, N)."""
        z = torch.cat([u, h], dim=1)
        if self.layers > 0:
            z = self.backbone(z)
        a1 = self.head(self.ff1, z)
        if self.mode == "pure":
            return -self.A * torch.exp(-ts * (torch.abs(self.w_tau) + torch.abs(a1))) * a1 + self.A
        f1 = torch.tanh(a1)
        f2 = torch.tanh(self.head(self.ff2, z))
        g = torch.sigmoid(self.time_a(z) * ts + self.time_b(z))
        if self.mode == "no_gate":
            return f1 + g * f2
        return f1 * (1.0 - g) + g * f2


class WiredCfcCellRef(nn.Module):
    """One CfcCellRef per wiring layer, without backbone; state [layer 0 | layer 1 | ...]."""

    def __init__(self, wiring, mode="default"):
        super().__init__()
        self.sizes = [len(layer) for layer in wiring.layers]
        inputs = wiring.inputs
        for index, neurons in enumerate(wiring.layers):
            if index == 0:
                block = wiring.sensory[:, neurons]
            else:
                block = wiring.adjacency[wiring.layers[index - 1]][:, neurons]
            mask = torch.cat([block, torch.ones(len(neurons), len(neurons), dtype=torch.int64)], dim=0)
            cell = CfcCellRef(inputs, len(neurons), mode, backbone_layers=0, sparsity_mask=mask)
            self.add_module(f"layer_{index}", cell)
            inputs = len(neurons)

    def forward(self, u, h, ts):
        states = torch.split(h, self.sizes, dim=1)
        new = []
        x = u
        for index in range(len(self.sizes)):
            x = getattr(self, f"layer_{index}")(x, states[index], ts)
            new.append(x)
        return x, torch.cat(new, dim=1)


class CfcRef(nn.Module):
    """ncps.torch.CfC, batch first: cell, then the mixed-memory LSTM, then fc (identity without proj)."""

    def __init__(self, input_size, units=None, wiring=None, proj_size=None, return_sequences=True,
                 mixed_memory=False, mode="default", activation="lecun_tanh", backbone_units=128, backbone_layers=1,
                 backbone_dropout=0.0):
        super().__init__()
        if wiring is not None:
            self.rnn_cell = WiredCfcCellRef(wiring, mode)
            self.state_size, output_size = wiring.units, len(wiring.layers[-1])
        else:
            self.rnn_cell = CfcCellRef(input_size, units, mode, activation, backbone_units, backbone_layers,
                                       backbone_dropout)
            self.state_size = output_size = units
        self.wired, self.return_sequences, self.mixed = wiring is not None, return_sequences, mixed_memory
        if mixed_memory:
            self.lstm = LstmCellRef(input_size, self.state_size)
        self.fc = nn.Linear(output_size, proj_size) if proj_size is not None else None

    def forward(self, x, elapsed=None, h=None, c=None):
        batch, steps, _ = x.shape
        if h is None:
            h = x.new_zeros(batch, self.state_size)
        if self.mixed and c is None:
            c = x.new_zeros(batch, self.state_size)
        if elapsed is None:
            elapsed = x.new_ones(batch, steps)
        outputs = []
        for t in range(steps):
            u = x[:, t]
            if self.mixed:
                h, c = self.lstm(u, h, c)
            ts = elapsed[:, t].unsqueeze(-1)
            if self.wired:
                y, h = self.rnn_cell(u, h, ts)
            else:
                h = self.rnn_cell(u, h, ts)
                y = h
            outputs.append(self.fc(y) if self.fc is not None else y)
        out = torch.stack(outputs, dim=1) if self.return_sequences else outputs[-1]
        return out, h, c
