// odeint: the fixed-grid solvers (euler, midpoint, rk4) and dopri5, as torchdiffeq 0.2.5 computes
// them (../shared/design/LIQUID-SEMANTICS.md §6.4). Every stage combination is one `combine` pass,
// so a step builds a handful of autograd nodes besides the vector field's own.
#include "ode.h"

#include <array>
#include <cmath>
#include <limits>
#include <sstream>

namespace lq::ode {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// −f(−t, y): torchdiffeq solves a decreasing t over −t.
struct ReversedField : Field {
  explicit ReversedField(Field& base) : base(base) {}
  at::Tensor operator()(double t, const at::Tensor& y) override { return at::neg(base(-t, y)); }
  Field& base;
};

// Casts time to the state dtype before each call (torchdiffeq does it just before calling func),
// counts evaluations and checks what the field returned.
struct CountedField {
  at::Tensor operator()(double t, const at::Tensor& y) {
    ++stats.nfe;
    auto dy = field(round_to(t, dtype), y);
    TORCH_CHECK(dy.defined(), "ode: the vector field returned no tensor");
    TORCH_CHECK(dy.sizes() == y.sizes(), "ode: the vector field returned shape ", dy.sizes(), " for a state of shape ",
                y.sizes());
    TORCH_CHECK(dy.scalar_type() == y.scalar_type(), "ode: the vector field returned ", dy.scalar_type(),
                " for a ", y.scalar_type(), " state");
    TORCH_CHECK(dy.device() == y.device(), "ode: the vector field returned a tensor on ", dy.device(),
                " for a state on ", y.device());
    return dy;
  }
  Field& field;
  Stats& stats;
  at::ScalarType dtype;
};

std::string time_text(double t) {
  std::ostringstream text;
  text.precision(17);
  text << t;
  return text.str();
}

// NaN-propagating min and max, as torch.min / torch.max on tensors.
double nan_max(double a, double b) { return std::isnan(a) || std::isnan(b) ? kNaN : std::max(a, b); }
double nan_min(double a, double b) { return std::isnan(a) || std::isnan(b) ? kNaN : std::min(a, b); }
double clamp(double x, double low, double high) { return nan_min(nan_max(x, low), high); }

// ---------------------------------------------------------------------------------------------
// Fixed grid
// ---------------------------------------------------------------------------------------------

class FixedGrid {
 public:
  FixedGrid(CountedField& f, const at::Tensor& y0, at::ScalarType time_dtype, const SolveOptions& options, Stats& stats)
      : f_(f), y0_(y0), state_dtype_(y0.scalar_type()), time_dtype_(time_dtype), options_(options), stats_(stats) {}

  at::Tensor integrate(const std::vector<double>& t) {
    const auto grid = make_grid(t);
    std::vector<at::Tensor> solution{y0_};
    size_t j = 1;
    at::Tensor y = y0_;
    for (size_t g = 0; g + 1 < grid.size(); ++g) {
      const double a = grid[g], b = grid[g + 1];
      const double dt = rt(b - a);
      at::Tensor y1 = step(a, dt, b, y);
      ++stats_.accepted;
      if (options_.record_steps) stats_.steps.insert(stats_.steps.end(), {a, dt, 1.0, 0.0});
      while (j < t.size() && b >= t[j]) {
        if (t[j] == a) {
          solution.push_back(y);
        } else if (t[j] == b) {
          solution.push_back(y1);
        } else {
          // y_a + (t_j − a)/(b − a)·(y_b − y_a), the slope formed in t's dtype.
          const double slope = rt(rt(t[j] - a) / dt);
          solution.push_back(combine(y, {combine(y1, {y}, {-1.0})}, {rs(slope)}));
        }
        ++j;
      }
      y = y1;
    }
    return at::stack(solution);
  }

 private:
  double rt(double v) const { return round_to(v, time_dtype_); }
  double rs(double v) const { return round_to(v, state_dtype_); }

  std::vector<double> make_grid(const std::vector<double>& t) const {
    if (!options_.has_step_size) return t;
    const double h = rt(options_.step_size);
    const double start = t.front(), end = t.back();
    const double count = std::ceil(rt(rt(rt(end - start) / h) + 1));
    TORCH_CHECK(count <= 1e9, "ode: step_size ", options_.step_size, " makes a grid of ", count, " points");
    std::vector<double> grid(static_cast<size_t>(count));
    for (size_t k = 0; k < grid.size(); ++k) grid[k] = rt(rt(static_cast<double>(k) * h) + start);
    grid.back() = end;
    return grid;
  }

  // The new state y_b = y_a + Δ over [a, b], dt = b − a (LIQUID-SEMANTICS.md §6.4, "Step").
  at::Tensor step(double a, double dt, double b, const at::Tensor& y) {
    const double d = rs(dt);
    switch (options_.method) {
      case Method::Euler: {
        auto f0 = f_(a, y);
        return combine(y, {f0}, {d});
      }
      case Method::Midpoint: {
        const double half = rt(0.5 * dt);
        auto f0 = f_(a, y);
        auto y_mid = combine(y, {f0}, {rs(half)});
        auto f1 = f_(rt(a + half), y_mid);
        return combine(y, {f1}, {d});
      }
      case Method::Rk4: {  // Kutta's 3/8 rule
        const double third = rs(d * rs(1.0 / 3.0));
        auto k1 = f_(a, y);
        auto k2 = f_(rt(a + rt(dt * rt(1.0 / 3.0))), combine(y, {k1}, {third}));
        auto k3 = f_(rt(a + rt(dt * rt(2.0 / 3.0))), combine(y, {k1, k2}, {-third, d}));
        auto k4 = f_(b, combine(y, {k1, k2, k3}, {d, -d, d}));
        const double eighth = rs(d * 0.125), three_eighths = rs(3 * d * 0.125);
        return combine(y, {k1, k2, k3, k4}, {eighth, three_eighths, three_eighths, eighth});
      }
      default:
        TORCH_CHECK(false, "ode: not a fixed-grid method");
    }
  }

  CountedField& f_;
  at::Tensor y0_;
  at::ScalarType state_dtype_, time_dtype_;
  const SolveOptions& options_;
  Stats& stats_;
};

// ---------------------------------------------------------------------------------------------
// dopri5
// ---------------------------------------------------------------------------------------------

// Dormand–Prince 5(4) with torchdiffeq's tableau; its embedded weights are not Hairer's (pitfall 7).
constexpr std::array<double, 6> kAlpha{1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0};
constexpr double kBeta[6][6] = {
    {1.0 / 5},
    {3.0 / 40, 9.0 / 40},
    {44.0 / 45, -56.0 / 15, 32.0 / 9},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
    {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
};
constexpr std::array<double, 7> kB{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0};
constexpr std::array<double, 7> kBHat{1951.0 / 21600, 0,           22642.0 / 50085, 451.0 / 720,
                                      -12231.0 / 42400, 649.0 / 6300, 1.0 / 60};
constexpr std::array<double, 7> kCMid{6025192743.0 / 30085553152 / 2,     0,
                                      51252292925.0 / 65400821598 / 2,    -2691868925.0 / 45128329728 / 2,
                                      187940372067.0 / 1594534317056 / 2, -1776094331.0 / 19743644256 / 2,
                                      11237099.0 / 235043384 / 2};

class Dopri5 {
 public:
  Dopri5(CountedField& f, const at::Tensor& y0, const SolveOptions& options, const Norm& norm, Stats& stats)
      : f_(f), y0_(y0), dtype_(y0.scalar_type()), options_(options), norm_(norm), stats_(stats) {}

  at::Tensor integrate(const std::vector<double>& t) {
    std::vector<at::Tensor> solution{y0_};
    double current = t[0];
    at::Tensor y = y0_;
    at::Tensor f0 = f_(current, y);
    double dt = options_.has_first_step ? options_.first_step : initial_step(current, f0);
    bool y_finite = all_finite(y);
    for (size_t i = 1; i < t.size(); ++i) {
      int64_t steps = 0;
      while (t[i] > current) {
        if (steps >= options_.max_num_steps) {
          throw SolverError("dopri5: max_num_steps exceeded (" + std::to_string(steps) + " steps between t = " +
                            time_text(sign_ * t[i - 1]) + " and t = " + time_text(sign_ * t[i]) +
                            " without reaching it; last step size " + time_text(dt) + ")");
        }
        dt = attempt(current, y, f0, dt, y_finite);
        ++steps;
      }
      solution.push_back(dense(t[i]));
    }
    return at::stack(solution);
  }

  // −1 when the solve runs over −t (messages then name the caller's times).
  void set_sign(double sign) { sign_ = sign; }

 private:
  double rs(double v) const { return round_to(v, dtype_); }

  // Hairer, Nørsett & Wanner I, §II.4 with order − 1 = 4, in the state dtype; not differentiated.
  double initial_step(double t0, const at::Tensor& f0) {
    at::NoGradGuard no_grad;
    const double d0 = scaled_norm(y0_, at::Tensor(), y0_, options_.rtol, options_.atol, norm_);
    const double d1 = scaled_norm(f0, at::Tensor(), y0_, options_.rtol, options_.atol, norm_);
    const double small = rs(1e-5);
    double h0 = (d0 < small || d1 < small) ? rs(1e-6) : rs(rs(rs(0.01) * d0) / d1);
    h0 = std::abs(h0);
    auto f1 = f_(rs(rs(t0) + h0), combine(y0_, {f0}, {h0}));
    const double d2 = std::abs(rs(scaled_norm(f1, f0, y0_, options_.rtol, options_.atol, norm_) / h0));
    const double tiny = rs(1e-15);
    double h1;
    if (d1 <= tiny && d2 <= tiny) {
      h1 = nan_max(rs(1e-6), rs(h0 * rs(1e-3)));
    } else {
      h1 = rs(std::pow(rs(0.01 / nan_max(d1, d2)), rs(1.0 / 5.0)));
    }
    h1 = std::abs(h1);
    return nan_min(rs(100 * h0), h1);
  }

  // One attempted step from (t, y, f0); on acceptance moves the state and keeps the step for
  // dense output. Returns the next step size.
  double attempt(double& t, at::Tensor& y, at::Tensor& f0, double dt, bool& y_finite) {
    dt = clamp(dt, options_.min_step, options_.max_step);
    if (!std::isfinite(dt)) dt = options_.min_step;
    if (!y_finite) {
      throw SolverError("dopri5: non-finite values in the state at t = " + time_text(sign_ * t));
    }
    if (!(t + dt > t)) {
      std::string why = std::isnan(last_ratio_)
                            ? "; the error estimate was not finite (the vector field returned NaN or infinity)"
                            : "";
      throw SolverError("dopri5: step size underflow (dt = " + time_text(dt) + ") at t = " + time_text(sign_ * t) + why);
    }
    const double t1 = t + dt;
    const double ts0 = rs(t), dts = rs(dt), ts1 = rs(t1);
    std::vector<at::Tensor> k{f0};
    k.reserve(7);
    at::Tensor yi;
    for (size_t i = 0; i < kAlpha.size(); ++i) {
      // The stages at c = 1 run just before t1, in case the field jumps there.
      const double ti = kAlpha[i] == 1.0 ? next_down(ts1) : rs(ts0 + rs(rs(kAlpha[i]) * dts));
      std::vector<at::Tensor> vectors;
      std::vector<double> coefficients;
      for (size_t j = 0; j <= i; ++j) {
        if (kBeta[i][j] == 0) continue;
        vectors.push_back(k[j]);
        coefficients.push_back(rs(rs(kBeta[i][j]) * dts));
      }
      yi = combine(y, vectors, coefficients);
      k.push_back(f_(ti, yi));
    }
    std::vector<double> e(7);
    for (size_t j = 0; j < 7; ++j) e[j] = rs(rs(kB[j] - kBHat[j]) * dts);
    bool y1_finite = true;
    const double ratio = error_ratio(k, e, y, yi, options_.rtol, options_.atol, norm_, y1_finite);
    last_ratio_ = ratio;
    bool accept = ratio <= 1;
    if (dt > options_.max_step) accept = false;
    if (dt <= options_.min_step) accept = true;
    if (options_.record_steps) stats_.steps.insert(stats_.steps.end(), {t, dt, accept ? 1.0 : 0.0, ratio});
    if (accept) {
      ++stats_.accepted;
      last_ = Step{t, t1, dt, y, yi, k};
      t = t1;
      y = yi;
      f0 = k[6];
      y_finite = y1_finite;
    } else {
      ++stats_.rejected;
    }
    return clamp(next_step(dt, ratio), options_.min_step, options_.max_step);
  }

  // The I-controller with exponent 1/5 and no special rule after a rejection (pitfall 10: an
  // accepted step never shrinks).
  double next_step(double dt, double ratio) const {
    if (ratio == 0) return dt * options_.ifactor;
    const double dfactor = ratio < 1 ? 1.0 : options_.dfactor;
    const double factor = nan_min(options_.ifactor, nan_max(options_.safety / std::pow(ratio, 1.0 / 5.0), dfactor));
    return dt * factor;
  }

  double next_down(double t) const {
    if (dtype_ == at::kFloat) {
      return static_cast<double>(std::nextafter(static_cast<float>(t), -std::numeric_limits<float>::infinity()));
    }
    return std::nextafter(t, -std::numeric_limits<double>::infinity());
  }

  // The quartic through y0, y_mid and y1 with end slopes dt·f0 and dt·f1, evaluated at t as one
  // combination of (y0, y1, k1 … k7): P(x) = y0 + dt·f0·x + C·x² + D·x³ + E·x⁴.
  at::Tensor dense(double t) {
    TORCH_CHECK(last_.k.size() == 7, "dopri5: no accepted step to interpolate");
    const double x = rs((t - last_.t0) / (last_.t1 - last_.t0));
    if (x == 1.0) return last_.y1;
    const double x2 = x * x, x3 = x2 * x, x4 = x3 * x;
    const double dts = rs(last_.dt);
    const double w_y0 = 1 - 11 * x2 + 18 * x3 - 8 * x4;
    const double w_y1 = -5 * x2 + 14 * x3 - 8 * x4;
    const double w_mid = 16 * x2 - 32 * x3 + 16 * x4;
    const double w_f0 = x - 4 * x2 + 5 * x3 - 2 * x4;
    const double w_f1 = x2 - 3 * x3 + 2 * x4;
    // y_mid = y0 + Σ_j k_j·(c_mid_j·dt)
    std::vector<at::Tensor> vectors{last_.y0, last_.y1};
    std::vector<double> coefficients{w_y0 + w_mid, w_y1};
    for (size_t j = 0; j < 7; ++j) {
      double w = w_mid * rs(rs(kCMid[j]) * dts);
      if (j == 0) w += w_f0 * dts;
      if (j == 6) w += w_f1 * dts;
      if (w == 0) continue;
      vectors.push_back(last_.k[j]);
      coefficients.push_back(w);
    }
    return combine(at::Tensor(), vectors, coefficients);
  }

  struct Step {
    double t0 = 0, t1 = 0, dt = 0;
    at::Tensor y0, y1;
    std::vector<at::Tensor> k;
  };

  CountedField& f_;
  at::Tensor y0_;
  at::ScalarType dtype_;
  const SolveOptions& options_;
  const Norm& norm_;
  Stats& stats_;
  Step last_;
  double last_ratio_ = 0;
  double sign_ = 1;
};

}  // namespace

at::Tensor odeint(Field& field, const at::Tensor& y0, const std::vector<double>& t, at::ScalarType time_dtype,
                  const SolveOptions& options, const Norm& norm, Stats& stats) {
  TORCH_CHECK(y0.defined(), "ode: y0 is undefined");
  TORCH_CHECK(y0.scalar_type() == at::kFloat || y0.scalar_type() == at::kDouble,
              "ode: the state must be float32 or float64, got ", y0.scalar_type());
  TORCH_CHECK(time_dtype == at::kFloat || time_dtype == at::kDouble, "ode: t must be float32 or float64, got ",
              time_dtype);
  TORCH_CHECK(!t.empty(), "ode: t is empty");
  for (double v : t) TORCH_CHECK(std::isfinite(v), "ode: t holds a non-finite value (", v, ")");
  const bool reversed = t.size() > 1 && t[0] > t[1];
  std::vector<double> times = t;
  if (reversed) {
    for (auto& v : times) v = -v;
  }
  for (size_t i = 1; i < times.size(); ++i) {
    TORCH_CHECK(times[i] > times[i - 1], "ode: t must be strictly monotone, but t[", i - 1, "] = ", t[i - 1],
                " and t[", i, "] = ", t[i]);
  }
  ReversedField reversed_field(field);
  CountedField counted{reversed ? static_cast<Field&>(reversed_field) : field, stats, y0.scalar_type()};
  if (options.method == Method::Dopri5) {
    Dopri5 solver(counted, y0, options, norm, stats);
    if (reversed) solver.set_sign(-1);
    return solver.integrate(times);
  }
  FixedGrid solver(counted, y0, time_dtype, options, stats);
  return solver.integrate(times);
}

}  // namespace lq::ode
