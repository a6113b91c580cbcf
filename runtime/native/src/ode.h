// ODE solvers with torchdiffeq 0.2.5's semantics (../shared/design/LIQUID-SEMANTICS.md §6.4):
// euler, midpoint, rk4 (Kutta's 3/8 rule) on a fixed grid and dopri5 with torchdiffeq's tableau,
// direct backpropagation through the steps and the adjoint method. The solver's own arithmetic
// (stage combinations, error norm, step control, dense output) runs here; only the vector field
// is evaluated by the caller, through Field.
#pragma once
#include "common.h"

#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace lq::ode {

enum class Method : int32_t { Euler = 0, Midpoint = 1, Rk4 = 2, Dopri5 = 3 };

// What one solve uses (the C ABI's lq_ode_options, validated).
struct SolveOptions {
  Method method = Method::Dopri5;
  double rtol = 1e-7, atol = 1e-9;
  double first_step = 0;  // used when has_first_step
  bool has_first_step = false;
  double min_step = 0, max_step = INFINITY;
  double safety = 0.9, ifactor = 10, dfactor = 0.2;
  int64_t max_num_steps = 2147483647;
  double step_size = 0;  // fixed-grid step, used when has_step_size
  bool has_step_size = false;
  bool record_steps = false;
};

// The vector field: dy/dt at (t, y). t is a value of the state's dtype (already rounded to it).
struct Field {
  virtual ~Field() = default;
  virtual at::Tensor operator()(double t, const at::Tensor& y) = 0;
};

// The error norm: the largest RMS over components of the flattened state, each given as
// (offset, size). No components means the whole state (torchdiffeq's default RMS norm).
struct Norm {
  std::vector<std::pair<int64_t, int64_t>> components;
};

struct Stats {
  int64_t nfe = 0, accepted = 0, rejected = 0;
  // (t0, dt, accepted, error ratio) per attempted step when SolveOptions::record_steps.
  std::vector<double> steps;
};

// The solver gave up: max_num_steps exceeded, step size underflow, non-finite state.
struct SolverError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The vector field failed in the caller's code (a managed exception, kept on the managed side).
struct CallbackError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// odeint: the solution at every time in t (strictly monotone; a decreasing t is solved as
// −f(−t, y) over −t), stacked as [len(t), *y0.shape], with result[0] = y0. Fixed-grid time
// arithmetic is done in time_dtype (t's own dtype); dopri5 keeps time in float64. Builds the
// autograd graph when grad mode is on (the step-size control itself is not differentiated).
at::Tensor odeint(Field& field, const at::Tensor& y0, const std::vector<double>& t, at::ScalarType time_dtype,
                  const SolveOptions& options, const Norm& norm, Stats& stats);

// out = base + Σ_j coefficients[j]·vectors[j] in one pass (base may be undefined), with each
// coefficient first rounded to the state dtype and the terms summed in order; differentiable.
at::Tensor combine(const at::Tensor& base, const std::vector<at::Tensor>& vectors, const std::vector<double>& coefficients);

// The dopri5 error ratio ‖err / (atol + rtol·max(|y0|, |y1|))‖ with err = Σ_j e[j]·ks[j] (each e[j]
// rounded to the state dtype), computed in one pass; y1_finite reports whether y1 is all finite.
// The result is a value of the state dtype. Not differentiated.
double error_ratio(const std::vector<at::Tensor>& ks, const std::vector<double>& e, const at::Tensor& y0,
                   const at::Tensor& y1, double rtol, double atol, const Norm& norm, bool& y1_finite);

// ‖(a − b) / (atol + |y0|·rtol)‖ (b may be undefined), for the initial step selection; a value of
// the state dtype. Not differentiated.
double scaled_norm(const at::Tensor& a, const at::Tensor& b, const at::Tensor& y0, double rtol, double atol,
                   const Norm& norm);

bool all_finite(const at::Tensor& x);

// Rounds a double to the nearest value of dtype (float32 or float64).
inline double round_to(double value, at::ScalarType dtype) {
  return dtype == at::kFloat ? static_cast<double>(static_cast<float>(value)) : value;
}

}  // namespace lq::ode
