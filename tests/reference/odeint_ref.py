"""odeint and odeint_adjoint in plain PyTorch, with torchdiffeq 0.2.5's semantics.

Written from ../shared/design/LIQUID-SEMANTICS.md section 6.4 (no torchdiffeq code is used or
copied). It is the independent reference for the runtime's native solvers (make_ode.py writes its
results for tests/Liquid.Runtime.Tests/Ode) and the plain-PyTorch baseline of benchmarks/ode.sh.

What it computes, in brief:
- methods "euler", "midpoint", "rk4" (Kutta's 3/8 rule) on a fixed grid (t itself, or step_size
  with the last grid point moved to t[-1]; off-grid outputs interpolated linearly), and "dopri5"
  (Dormand-Prince 5(4) with torchdiffeq's embedded weights, Hairer's initial step, RMS norm,
  I-controller, quartic dense output at the requested times);
- a decreasing t is solved as -func(-t, y) over -t;
- time-like quantities of dopri5 are float64 tensors, the state and everything derived from it
  are in y0's dtype, and stage sums are torch.sum over a stacked stage axis (the summation order
  the semantics document names; pitfall 11). The dopri5 option summation="sequential" (not a
  torchdiffeq option) sums in stage order instead, as the native solver does, to separate
  summation-order effects from algorithmic differences in tests;
- the step-size control (initial step, error ratio, step factor) runs under no_grad: direct
  backpropagation differentiates the steps taken, not the choice of steps;
- odeint_adjoint: the forward solve under no_grad, the backward one reversed solve of the
  augmented system per output interval, y reset to the forward value and g_i added after each.

Import it (sys.path) from the scripts that use it; it is not a program.
"""

import math

import torch

# Dormand-Prince 5(4), torchdiffeq's tableau (LIQUID-SEMANTICS.md 6.4, pitfall 7).
DOPRI5_C = [1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0]  # stages 2..7
DOPRI5_A = [
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
DOPRI5_B = [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0]
DOPRI5_B_EMBEDDED = [1951 / 21600, 0.0, 22642 / 50085, 451 / 720, -12231 / 42400, 649 / 6300, 1 / 60]
DOPRI5_C_MID = [
    6025192743 / 30085553152 / 2,
    0.0,
    51252292925 / 65400821598 / 2,
    -2691868925 / 45128329728 / 2,
    187940372067 / 1594534317056 / 2,
    -1776094331 / 19743644256 / 2,
    11237099 / 235043384 / 2,
]


class MaxStepsExceeded(RuntimeError):
    """More than max_num_steps steps (accepted or rejected) between two output times."""


class SolverFailure(RuntimeError):
    """Step-size underflow or a non-finite state."""


class Stats:
    """What one solve did: NFE, accepted and rejected steps, and every attempted step.

    steps holds (t0, dt, accepted, error_ratio) per attempted dopri5 step, in the solver's own time
    (negated for a decreasing t), and (t0, dt, True, 0.0) per fixed-grid step.
    """

    def __init__(self):
        self.nfe = 0
        self.accepted = 0
        self.rejected = 0
        self.steps = []


def rms_norm(x):
    """sqrt(mean(x^2)) over all elements, in x's dtype."""
    return x.abs().pow(2).mean().sqrt()


def mixed_norm(sizes, counted=None):
    """The norm of a flattened tuple state: the largest RMS over its components, given by size.

    counted[i] False leaves component i out (the adjoint's seminorm drops the parameter part).
    """
    counted = counted if counted is not None else [True] * len(sizes)

    def norm(x):
        values = []
        offset = 0
        for size, use in zip(sizes, counted):
            if use and size > 0:
                values.append(rms_norm(x[offset : offset + size]))
            offset += size
        return torch.stack(values).max()

    return norm


def _stage_sum(ks, coefficients, dt):
    """sum_j k_j * (coefficient_j * dt), by torch.sum over a stacked stage axis."""
    return torch.stack([k * (c * dt) for k, c in zip(ks, coefficients)], dim=-1).sum(dim=-1)


def _stage_sum_sequential(ks, coefficients, dt):
    """The same sum taken in stage order (zero coefficients skipped), as the native solver adds."""
    total = None
    for k, c in zip(ks, coefficients):
        if c == 0:
            continue
        term = k * (c * dt)
        total = term if total is None else total + term
    return total


def _nextafter_down(t):
    return torch.nextafter(t, t.new_tensor(-math.inf))


class _CountingFunc:
    def __init__(self, func, stats):
        self.func = func
        self.stats = stats

    def __call__(self, t, y):
        self.stats.nfe += 1
        return self.func(t.to(y.dtype), y)  # time is cast to the state dtype before each call


class _Dopri5:
    def __init__(self, func, y0, rtol, atol, norm, stats, first_step=None, min_step=0.0, max_step=math.inf,
                 safety=0.9, ifactor=10.0, dfactor=0.2, max_num_steps=2**31 - 1, summation="stacked"):
        self.func = func
        self.stage_sum = {"stacked": _stage_sum, "sequential": _stage_sum_sequential}[summation]
        self.y0 = y0
        self.rtol = rtol
        self.atol = atol
        self.norm = norm
        self.stats = stats
        self.first_step = first_step
        self.time_dtype = torch.promote_types(torch.float64, y0.dtype)
        self.min_step = torch.tensor(min_step, dtype=self.time_dtype)
        self.max_step = torch.tensor(max_step, dtype=self.time_dtype)
        self.safety = torch.tensor(safety, dtype=self.time_dtype)
        self.ifactor = torch.tensor(ifactor, dtype=self.time_dtype)
        self.dfactor = torch.tensor(dfactor, dtype=self.time_dtype)
        self.max_num_steps = max_num_steps
        # The tableau is cast to the state dtype once; the error weights b - b_hat are formed in
        # float64 first.
        cast = lambda values: [torch.tensor(v, dtype=torch.float64).to(y0.dtype) for v in values]  # noqa: E731
        self.c = cast(DOPRI5_C)
        self.a = [cast(row) for row in DOPRI5_A]
        self.error = cast([b - e for b, e in zip(DOPRI5_B, DOPRI5_B_EMBEDDED)])
        self.c_mid = cast(DOPRI5_C_MID)

    @torch.no_grad()
    def _initial_step(self, t0, f0):
        """Hairer, Norsett & Wanner I, II.4, with order - 1 = 4 (so the exponent is 1/5)."""
        y0 = self.y0
        t0 = t0.to(y0.dtype)
        scale = self.atol + torch.abs(y0) * self.rtol
        d0 = self.norm(y0 / scale).abs()
        d1 = self.norm(f0 / scale).abs()
        if d0 < 1e-5 or d1 < 1e-5:
            h0 = torch.tensor(1e-6, dtype=y0.dtype)
        else:
            h0 = 0.01 * d0 / d1
        h0 = h0.abs()
        f1 = self.func(t0 + h0, y0 + h0 * f0)
        d2 = torch.abs(self.norm((f1 - f0) / scale) / h0)
        if d1 <= 1e-15 and d2 <= 1e-15:
            h1 = torch.max(torch.tensor(1e-6, dtype=y0.dtype), h0 * 1e-3)
        else:
            h1 = (0.01 / max(d1, d2)) ** (1.0 / 5.0)
        h1 = h1.abs()
        return torch.min(100 * h0, h1).to(self.time_dtype)

    @torch.no_grad()
    def _error_ratio(self, error, y0, y1):
        tolerance = self.atol + self.rtol * torch.max(y0.abs(), y1.abs())
        return self.norm(error / tolerance).abs()

    @torch.no_grad()
    def _next_step(self, dt, ratio):
        if ratio == 0:
            return dt * self.ifactor
        dfactor = torch.ones((), dtype=dt.dtype) if ratio < 1 else self.dfactor
        ratio = ratio.type_as(dt)
        exponent = torch.tensor(5, dtype=dt.dtype).reciprocal()
        factor = torch.min(self.ifactor, torch.max(self.safety / ratio**exponent, dfactor))
        return dt * factor

    def _step(self, t0, y0, f0, dt):
        """One attempted step; returns (accepted, y1, f1, ks, dt_next)."""
        dt = dt.clamp(self.min_step, self.max_step)
        if not torch.isfinite(dt):
            dt = self.min_step.clone()
        if not t0 + dt > t0:
            raise SolverFailure(f"underflow in dt {dt.item()}")
        if not torch.isfinite(y0).all():
            raise SolverFailure("non-finite values in state `y`")
        t1 = t0 + dt
        ts0, dts, ts1 = t0.to(y0.dtype), dt.to(y0.dtype), t1.to(y0.dtype)
        ks = [f0]
        yi = y0
        for alpha, row in zip(self.c, self.a):
            if alpha == 1.0:
                ti = _nextafter_down(ts1)  # just before t1, in case f jumps there
            else:
                ti = ts0 + alpha * dts
            yi = y0 + self.stage_sum(ks, row, dts)
            ks.append(self.func(ti, yi))
        y1, f1 = yi, ks[-1]
        error = self.stage_sum(ks, self.error, dts)
        ratio = self._error_ratio(error, y0, y1)
        accepted = bool(ratio <= 1)
        if dt > self.max_step:
            accepted = False
        if dt <= self.min_step:
            accepted = True
        dt_next = self._next_step(dt, ratio).clamp(self.min_step, self.max_step)
        self.stats.steps.append((t0.item(), dt.item(), accepted, ratio.item()))
        if accepted:
            self.stats.accepted += 1
        else:
            self.stats.rejected += 1
        return accepted, t1, y1, f1, ks, dt, dt_next

    def _dense(self, t0, t1, y0, y1, ks, dt, t):
        """The quartic through y0, y_mid and y1 with end slopes dt*f0 and dt*f1, at t."""
        dts = dt.to(y0.dtype)
        f0, f1 = ks[0], ks[-1]
        y_mid = y0 + self.stage_sum(ks, self.c_mid, dts)
        e = 2 * dts * (f1 - f0) - 8 * (y1 + y0) + 16 * y_mid
        d = dts * (5 * f0 - 3 * f1) + 18 * y0 + 14 * y1 - 32 * y_mid
        c = dts * (f1 - 4 * f0) - 11 * y0 - 5 * y1 + 16 * y_mid
        coefficients = [y0, dts * f0, c, d, e]
        x = ((t - t0) / (t1 - t0)).to(y0.dtype)
        total = coefficients[0] + x * coefficients[1]
        power = x
        for coefficient in coefficients[2:]:
            power = power * x
            total = total + power * coefficient
        return total

    def integrate(self, t):
        t = t.to(self.time_dtype)
        solution = [self.y0]
        t0 = t[0]
        f0 = self.func(t0, self.y0)
        dt = torch.tensor(self.first_step, dtype=self.time_dtype) if self.first_step is not None else self._initial_step(t0, f0)
        y0 = self.y0
        last = None  # the last accepted step: (t0, t1, y0, y1, ks, dt)
        current = t0
        for i in range(1, len(t)):
            steps = 0
            while t[i] > current:
                if steps >= self.max_num_steps:
                    raise MaxStepsExceeded(f"max_num_steps exceeded ({steps}>={self.max_num_steps})")
                accepted, t1, y1, f1, ks, used, dt = self._step(current, y0, f0, dt)
                steps += 1
                if accepted:
                    last = (current, t1, y0, y1, ks, used)
                    current, y0, f0 = t1, y1, f1
            solution.append(self._dense(*last, t[i]))
        return torch.stack(solution)


def _grid(t, step_size):
    if step_size is None:
        return t
    start, end = t[0], t[-1]
    count = torch.ceil((end - start) / step_size + 1).item()
    grid = torch.arange(0, count, dtype=t.dtype) * step_size + start
    grid[-1] = t[-1]
    return grid


def _fixed_step(method, func, t0, dt, t1, y0):
    if method == "euler":
        return dt * func(t0, y0)
    if method == "midpoint":
        half = 0.5 * dt
        f0 = func(t0, y0)
        return dt * func(t0 + half, y0 + f0 * half)
    if method == "rk4":  # Kutta's 3/8 rule (pitfall 8)
        k1 = func(t0, y0)
        k2 = func(t0 + dt * (1 / 3), y0 + dt * k1 * (1 / 3))
        k3 = func(t0 + dt * (2 / 3), y0 + dt * (k2 - k1 * (1 / 3)))
        k4 = func(t1, y0 + dt * (k1 - k2 + k3))
        return (k1 + 3 * (k2 + k3) + k4) * dt * 0.125
    raise ValueError(f"unknown method {method!r}")


def _integrate_fixed(method, func, y0, t, step_size, stats):
    grid = _grid(t, step_size)
    solution = [y0]
    j = 1
    for t0, t1 in zip(grid[:-1], grid[1:]):
        dt = t1 - t0
        y1 = y0 + _fixed_step(method, func, t0, dt, t1, y0)
        stats.accepted += 1
        stats.steps.append((t0.item(), dt.item(), True, 0.0))
        while j < len(t) and t1 >= t[j]:
            if t[j] == t0:
                solution.append(y0)
            elif t[j] == t1:
                solution.append(y1)
            else:
                slope = (t[j] - t0) / (t1 - t0)
                solution.append(y0 + slope * (y1 - y0))
            j += 1
        y0 = y1
    return torch.stack(solution)


def odeint(func, y0, t, *, rtol=1e-7, atol=1e-9, method="dopri5", options=None, stats=None):
    """torchdiffeq's odeint: the solution at every t, shape (len(t), *y0.shape)."""
    options = dict(options or {})
    stats = stats if stats is not None else Stats()
    if t.dim() != 1:
        raise ValueError("t must be one-dimensional")
    if len(t) > 1 and t[0] > t[1]:
        t = -t
        forward_func = func
        func = lambda tt, yy: -forward_func(-tt, yy)  # noqa: E731
    if (t[1:] <= t[:-1]).any():
        raise ValueError("t must be strictly monotone")
    counted = _CountingFunc(func, stats)
    if method == "dopri5":
        norm = options.pop("norm", rms_norm)
        solver = _Dopri5(counted, y0, rtol, atol, norm, stats, **options)
        return solver.integrate(t)
    options.pop("norm", None)
    step_size = options.pop("step_size", None)
    if options:
        raise ValueError(f"unknown options {sorted(options)}")
    return _integrate_fixed(method, counted, y0, t, step_size, stats)


class _Adjoint(torch.autograd.Function):
    @staticmethod
    def forward(ctx, settings, y0, t, *params):
        func, rtol, atol, method, options, adjoint = settings
        with torch.no_grad():
            ys = odeint(func, y0, t, rtol=rtol, atol=atol, method=method, options=options, stats=adjoint["forward_stats"])
        ctx.settings = settings
        ctx.save_for_backward(t, ys, *params)
        return ys

    @staticmethod
    def backward(ctx, grad_ys):
        func, rtol, atol, method, options, adjoint = ctx.settings
        t, ys, *params = ctx.saved_tensors
        shape = ys.shape[1:]
        n = ys[0].numel()
        sizes = [p.numel() for p in params]
        norm = mixed_norm([n, n] + sizes, [True, True] + [not adjoint["seminorm"]] * len(sizes))

        def augmented(tt, z):
            y = z[:n].view(shape)
            a = z[n : 2 * n].view(shape)
            with torch.enable_grad():
                y = y.detach().requires_grad_(True)
                fy = func(tt.detach(), y)
                vjps = torch.autograd.grad(fy, (y,) + tuple(params), -a, allow_unused=True)
            vjps = [torch.zeros_like(x) if v is None else v for v, x in zip(vjps, (y,) + tuple(params))]
            return torch.cat([fy.detach().reshape(-1)] + [v.reshape(-1) for v in vjps])

        adjoint_options = dict(options or {})
        adjoint_options["norm"] = norm
        z = torch.cat([ys[-1].reshape(-1), grad_ys[-1].reshape(-1)] + [torch.zeros(s, dtype=ys.dtype) for s in sizes])
        stats = adjoint["backward_stats"]
        for i in range(len(t) - 1, 0, -1):
            zs = odeint(augmented, z, torch.stack([t[i], t[i - 1]]), rtol=adjoint["rtol"], atol=adjoint["atol"],
                        method=method, options=adjoint_options, stats=stats)
            z = zs[1].clone()
            z[:n] = ys[i - 1].reshape(-1)  # y restarts from the forward solution
            z[n : 2 * n] += grad_ys[i - 1].reshape(-1)
        grad_y0 = z[n : 2 * n].view(shape)
        grads, offset = [], 2 * n
        for p in params:
            grads.append(z[offset : offset + p.numel()].view(p.shape))
            offset += p.numel()
        return (None, grad_y0, None, *grads)


def odeint_adjoint(func, y0, t, params, *, rtol=1e-7, atol=1e-9, method="dopri5", options=None,
                   adjoint_rtol=None, adjoint_atol=None, seminorm=False, forward_stats=None, backward_stats=None):
    """torchdiffeq's odeint_adjoint with adjoint_params=params and adjoint_method=method."""
    adjoint = {
        "rtol": rtol if adjoint_rtol is None else adjoint_rtol,
        "atol": atol if adjoint_atol is None else adjoint_atol,
        "seminorm": seminorm,
        "forward_stats": forward_stats if forward_stats is not None else Stats(),
        "backward_stats": backward_stats if backward_stats is not None else Stats(),
    }
    settings = (func, rtol, atol, method, options, adjoint)
    return _Adjoint.apply(settings, y0, t, *params)
