// The C ABI of the ODE solvers (lq_ode_solve) and the adjoint method.
//
// The vector field lives in managed code and is called back through a function pointer with an
// opaque context (a GCHandle on the .NET side): field(context, t, y) receives two new tensor
// handles, which it owns from then on, and returns a new handle that this side owns, or null after
// catching its own exception (a managed exception never unwinds through these frames). A null
// result becomes a CallbackError, reported as status −2 so the caller can rethrow the original
// exception. release(context) is called exactly once, when the last solve or autograd node that
// uses the field is gone; on_backward reports each adjoint backward pass's statistics.
#include "ode.h"

#include <cmath>
#include <memory>

typedef lq_tensor (*lq_ode_field_fn)(void* context, lq_tensor t, lq_tensor y);
typedef void (*lq_ode_release_fn)(void* context);
typedef void (*lq_ode_backward_fn)(void* context, int64_t nfe, int64_t accepted, int64_t rejected);

// Mirrors Liquid.Runtime.Interop.NativeOdeOptions; NaN marks an option that is not set.
struct lq_ode_options {
  double rtol, atol, first_step, min_step, max_step, safety, ifactor, dfactor, step_size;
  double adjoint_rtol, adjoint_atol, adjoint_step_size;
  int64_t max_num_steps;
  int32_t method, adjoint_method, adjoint, seminorm, record_steps, time_dtype;
};

namespace lq::ode {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Callback {
  Callback(lq_ode_field_fn field, lq_ode_release_fn release, lq_ode_backward_fn on_backward, void* context)
      : field(field), release(release), on_backward(on_backward), context(context) {}
  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  ~Callback() {
    if (release != nullptr) release(context);
  }
  lq_ode_field_fn field;
  lq_ode_release_fn release;
  lq_ode_backward_fn on_backward;
  void* context;
};

// Owns a handle until it is handed over.
struct HandleGuard {
  explicit HandleGuard(lq_tensor h) : handle(h) {}
  ~HandleGuard() { free(handle); }
  lq_tensor take() {
    auto h = handle;
    handle = nullptr;
    return h;
  }
  static void free(lq_tensor h) {
    if (h == nullptr) return;
    delete h;
    lq::live_tensors().fetch_sub(1, std::memory_order_relaxed);
  }
  lq_tensor handle;
};

struct CallbackField : Field {
  explicit CallbackField(std::shared_ptr<Callback> callback) : callback(std::move(callback)) {}

  at::Tensor operator()(double t, const at::Tensor& y) override {
    HandleGuard time(lq::wrap(at::scalar_tensor(t, y.options())));
    HandleGuard state(lq::wrap(y));
    lq_tensor result = callback->field(callback->context, time.take(), state.take());
    if (result == nullptr) throw CallbackError("ode: the vector field threw an exception");
    at::Tensor dy = std::move(*result);
    HandleGuard::free(result);
    return dy;
  }

  std::shared_ptr<Callback> callback;
};

Method method_of(int32_t value) {
  TORCH_CHECK(value >= 0 && value <= 3, "ode: unknown method ", value);
  return static_cast<Method>(value);
}

SolveOptions forward_options(const lq_ode_options& o) {
  SolveOptions s;
  s.method = method_of(o.method);
  s.rtol = o.rtol;
  s.atol = o.atol;
  s.has_first_step = !std::isnan(o.first_step);
  s.first_step = s.has_first_step ? o.first_step : 0;
  s.min_step = o.min_step;
  s.max_step = o.max_step;
  s.safety = o.safety;
  s.ifactor = o.ifactor;
  s.dfactor = o.dfactor;
  s.max_num_steps = o.max_num_steps;
  s.has_step_size = !std::isnan(o.step_size);
  s.step_size = s.has_step_size ? o.step_size : 0;
  s.record_steps = o.record_steps != 0;
  TORCH_CHECK(s.rtol >= 0 && s.atol >= 0, "ode: rtol and atol must be >= 0");
  TORCH_CHECK(!s.has_step_size || s.step_size > 0, "ode: step_size must be > 0, got ", s.step_size);
  TORCH_CHECK(!s.has_first_step || s.first_step > 0, "ode: first_step must be > 0, got ", s.first_step);
  TORCH_CHECK(s.min_step >= 0 && s.max_step >= s.min_step, "ode: need 0 <= min_step <= max_step");
  TORCH_CHECK(s.max_num_steps >= 0, "ode: max_num_steps must be >= 0");
  return s;
}

// torchdiffeq's adjoint options: the forward options with the adjoint's method and tolerances.
SolveOptions backward_options(const lq_ode_options& o) {
  SolveOptions s = forward_options(o);
  s.method = method_of(o.adjoint_method);
  s.rtol = o.adjoint_rtol;
  s.atol = o.adjoint_atol;
  s.has_step_size = !std::isnan(o.adjoint_step_size);
  s.step_size = s.has_step_size ? o.adjoint_step_size : 0;
  s.record_steps = false;
  TORCH_CHECK(s.rtol >= 0 && s.atol >= 0, "ode: adjoint rtol and atol must be >= 0");
  TORCH_CHECK(!s.has_step_size || s.step_size > 0, "ode: adjoint step_size must be > 0");
  return s;
}

// What the adjoint's backward needs besides saved tensors; lives as long as the autograd node.
struct Problem : torch::CustomClassHolder {
  std::shared_ptr<Callback> callback;
  std::vector<double> t;
  at::ScalarType time_dtype = at::kDouble;
  SolveOptions forward, backward;
  bool seminorm = false;
};

// The augmented system (y, a, a_θ) over one flat state: dy/dt = f, da/dt = −aᵀ∂f/∂y,
// da_θ/dt = −aᵀ∂f/∂θ; one evaluation is one call of f and one vector-Jacobian product.
struct AugmentedField : Field {
  AugmentedField(Field& f, std::vector<int64_t> shape, int64_t n, std::vector<at::Tensor> params)
      : f(f), shape(std::move(shape)), n(n), params(std::move(params)) {}

  at::Tensor operator()(double t, const at::Tensor& z) override {
    auto y = z.narrow(0, 0, n).view(shape).detach().requires_grad_(true);
    auto a = z.narrow(0, n, n).view(shape);
    at::Tensor fy;
    variable_list grads;
    {
      at::AutoGradMode enable_grad(true);
      fy = f(t, y);
      if (fy.requires_grad()) {
        variable_list inputs{y};
        inputs.insert(inputs.end(), params.begin(), params.end());
        grads = torch::autograd::grad({fy}, inputs, {at::neg(a)}, /*retain_graph=*/false, /*create_graph=*/false,
                                      /*allow_unused=*/true);
      }
    }
    std::vector<at::Tensor> pieces;
    pieces.reserve(params.size() + 2);
    pieces.push_back(fy.detach().reshape(-1));
    for (size_t k = 0; k <= params.size(); ++k) {
      const at::Tensor& like = k == 0 ? static_cast<const at::Tensor&>(y) : params[k - 1];
      if (k < grads.size() && grads[k].defined()) {
        pieces.push_back(grads[k].reshape(-1).to(z.scalar_type()));
      } else {
        pieces.push_back(at::zeros({like.numel()}, z.options()));
      }
    }
    return at::cat(pieces);
  }

  Field& f;
  std::vector<int64_t> shape;
  int64_t n;
  std::vector<at::Tensor> params;
};

// odeint_adjoint: the forward solve without a graph; backward integrates the augmented system from
// each t_i back to t_{i−1} (its own odeint, initial step selection included), then resets y to the
// forward y(t_{i−1}) and adds g_{i−1} to a.
struct AdjointFunction : public torch::autograd::Function<AdjointFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& y0, at::TensorList params,
                            const c10::intrusive_ptr<Problem>& problem, Stats* stats) {
    CallbackField f(problem->callback);
    auto ys = odeint(f, y0, problem->t, problem->time_dtype, problem->forward, Norm{}, *stats);
    ctx->saved_data["problem"] = c10::IValue::make_capsule(problem);
    variable_list saved{ys};
    saved.insert(saved.end(), params.begin(), params.end());
    ctx->save_for_backward(saved);
    return ys;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto* problem = static_cast<Problem*>(ctx->saved_data["problem"].toCapsule().get());
    auto saved = ctx->get_saved_variables();
    const at::Tensor ys = saved[0];
    std::vector<at::Tensor> params(saved.begin() + 1, saved.end());
    at::NoGradGuard no_grad;
    at::Tensor g = grad_outputs[0].defined() ? grad_outputs[0] : at::zeros_like(ys);
    const int64_t steps = ys.size(0);
    const int64_t n = ys[0].numel();
    const auto shape = ys[0].sizes().vec();

    Norm norm{{{0, n}, {n, n}}};
    int64_t offset = 2 * n;
    for (const auto& p : params) {
      if (!problem->seminorm) norm.components.push_back({offset, p.numel()});
      offset += p.numel();
    }
    CallbackField f(problem->callback);
    AugmentedField augmented(f, shape, n, params);
    Stats stats;
    at::Tensor z = at::cat({ys[steps - 1].reshape(-1), g[steps - 1].reshape(-1).to(ys.scalar_type()),
                            at::zeros({offset - 2 * n}, ys.options())});
    for (int64_t i = steps - 1; i >= 1; --i) {
      const std::vector<double> span{problem->t[i], problem->t[i - 1]};
      auto zs = odeint(augmented, z, span, problem->time_dtype, problem->backward, norm, stats);
      z = zs[1].clone();
      z.narrow(0, 0, n).copy_(ys[i - 1].reshape(-1));
      z.narrow(0, n, n).add_(g[i - 1].reshape(-1).to(z.scalar_type()));
    }
    if (problem->callback->on_backward != nullptr) {
      problem->callback->on_backward(problem->callback->context, stats.nfe, stats.accepted, stats.rejected);
    }
    variable_list grads;
    grads.push_back(z.narrow(0, n, n).view(shape));
    offset = 2 * n;
    for (const auto& p : params) {
      grads.push_back(z.narrow(0, offset, p.numel()).view(p.sizes()).to(p.scalar_type()));
      offset += p.numel();
    }
    grads.push_back(at::Tensor());  // problem
    grads.push_back(at::Tensor());  // stats
    return grads;
  }
};

void write_outputs(const at::Tensor& ys, const Stats& stats, lq_tensor* solution, int64_t* counts, lq_tensor* steps) {
  HandleGuard out(lq::wrap(ys));
  HandleGuard record(nullptr);
  if (steps != nullptr) {
    auto table = at::tensor(stats.steps, at::TensorOptions().dtype(at::kDouble)).view({-1, 4});
    record.handle = lq::wrap(table);
  }
  counts[0] = stats.nfe;
  counts[1] = stats.accepted;
  counts[2] = stats.rejected;
  *solution = out.take();
  if (steps != nullptr) *steps = record.take();
}

}  // namespace
}  // namespace lq::ode

// Solves dy/dt = field(t, y) from y0 at t[0] and writes the solution at every t[i] ([nt, *y0.shape])
// with the counts [nfe, accepted, rejected] and, if steps is not null, the attempted steps as a
// float64 [n, 4] table (t0, dt, accepted, error ratio) in the solver's time (negated for a
// decreasing t). With options->adjoint, params are the tensors the adjoint differentiates
// (torchdiffeq's adjoint_params). Status: 0 ok; −1 a libtorch error; −2 the field threw (the
// managed side holds the exception); −3 the solver gave up (max_num_steps, step size underflow,
// non-finite state). The context is released in every case, at once or when the graph goes.
LQ_API int lq_ode_solve(lq_ode_field_fn field, lq_ode_release_fn release, lq_ode_backward_fn on_backward, void* context,
                        lq_tensor y0, const double* t, int64_t nt, const lq_ode_options* options,
                        const lq_tensor* params, int64_t nparams, lq_tensor* solution, int64_t* counts,
                        lq_tensor* steps) {
  using namespace lq::ode;
  std::shared_ptr<Callback> callback;
  try {
    callback = std::make_shared<Callback>(field, release, on_backward, context);
  } catch (...) {
    if (release != nullptr) release(context);
    lq::set_last_error("ode: out of memory");
    return -1;
  }
  try {
    TORCH_CHECK(field != nullptr && options != nullptr && solution != nullptr && counts != nullptr,
                "ode: null argument");
    TORCH_CHECK(nt >= 1 && t != nullptr, "ode: t must hold at least one time");
    const auto& state = lq::ref(y0);
    std::vector<double> times(t, t + nt);
    const auto time_dtype = static_cast<at::ScalarType>(options->time_dtype);
    Stats stats;
    at::Tensor ys;
    if (options->adjoint == 0) {
      CallbackField f(callback);
      callback.reset();  // the field holds the only reference now
      const SolveOptions solve = forward_options(*options);
      ys = odeint(f, state, times, time_dtype, solve, Norm{}, stats);
    } else {
      auto problem = c10::make_intrusive<Problem>();
      problem->callback = std::move(callback);
      problem->t = times;
      problem->time_dtype = time_dtype;
      problem->forward = forward_options(*options);
      problem->backward = backward_options(*options);
      problem->seminorm = options->seminorm != 0;
      auto tensors = lq::tensors(params, nparams);
      ys = AdjointFunction::apply(state, at::TensorList(tensors), problem, &stats);
    }
    write_outputs(ys, stats, solution, counts, steps);
    return 0;
  } catch (const CallbackError& e) {
    lq::set_last_error(e.what());
    return -2;
  } catch (const SolverError& e) {
    lq::set_last_error(e.what());
    return -3;
  }
  LQ_CATCH(-1)
}
