// The ODE solvers' arithmetic as single passes over memory: linear combinations of stage vectors
// (with their own backward), the dopri5 error ratio and the scaled norms of the initial step
// selection. CPU float32/float64 tensors take the raw loops; anything else (other devices) takes
// the equivalent composition of ATen ops.
#include "ode.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

namespace lq::ode {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Elements per inner block: each coefficient's pass over a block vectorizes, and the block's
// accumulator stays in L1.
constexpr int64_t kBlock = 512;
// Elements per parallel chunk (the default is one intra-op thread, which makes this one chunk).
constexpr int64_t kGrain = int64_t{1} << 15;

bool fast_dtype(at::ScalarType dtype) { return dtype == at::kFloat || dtype == at::kDouble; }

template <typename S>
void combine_kernel(S* out, const S* base, const std::vector<const S*>& vectors, const std::vector<S>& coefficients,
                    int64_t n) {
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    S acc[kBlock];
    for (int64_t start = begin; start < end; start += kBlock) {
      const int64_t len = std::min(kBlock, end - start);
      if (vectors.empty()) {
        std::fill(acc, acc + len, S(0));
      } else {
        const S* v = vectors[0] + start;
        const S c = coefficients[0];
        for (int64_t i = 0; i < len; ++i) acc[i] = v[i] * c;
      }
      for (size_t j = 1; j < vectors.size(); ++j) {
        const S* v = vectors[j] + start;
        const S c = coefficients[j];
        for (int64_t i = 0; i < len; ++i) acc[i] += v[i] * c;
      }
      S* o = out + start;
      if (base != nullptr) {
        const S* b = base + start;
        for (int64_t i = 0; i < len; ++i) o[i] = b[i] + acc[i];
      } else {
        std::copy(acc, acc + len, o);
      }
    }
  });
}

at::Tensor combine_forward(const at::Tensor& base, const std::vector<at::Tensor>& vectors,
                           const std::vector<double>& coefficients) {
  at::NoGradGuard no_grad;
  const at::Tensor& like = base.defined() ? base : vectors.at(0);
  auto out = at::empty(like.sizes(), like.options().requires_grad(false));
  const int64_t n = like.numel();
  std::vector<at::Tensor> inputs;
  inputs.reserve(vectors.size());
  for (const auto& v : vectors) inputs.push_back(v.contiguous());
  const at::Tensor base_in = base.defined() ? base.contiguous() : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES(like.scalar_type(), "ode_combine", [&] {
    std::vector<const scalar_t*> pointers;
    std::vector<scalar_t> cs;
    for (size_t j = 0; j < inputs.size(); ++j) {
      pointers.push_back(inputs[j].data_ptr<scalar_t>());
      cs.push_back(static_cast<scalar_t>(coefficients[j]));
    }
    combine_kernel<scalar_t>(out.data_ptr<scalar_t>(), base_in.defined() ? base_in.data_ptr<scalar_t>() : nullptr,
                             pointers, cs, n);
  });
  return out;
}

// d out / d base = 1 and d out / d v_j = c_j (rounded to the dtype, as in the forward).
struct CombineFunction : public torch::autograd::Function<CombineFunction> {
  static at::Tensor forward(AutogradContext* ctx, const c10::optional<at::Tensor>& base, at::TensorList vectors,
                            const std::vector<double>& coefficients) {
    ctx->saved_data["coefficients"] = coefficients;
    ctx->saved_data["has_base"] = base.has_value();
    return combine_forward(base.has_value() ? *base : at::Tensor(), vectors.vec(), coefficients);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto coefficients = ctx->saved_data["coefficients"].toDoubleVector();
    const bool has_base = ctx->saved_data["has_base"].toBool();
    const auto& grad = grad_outputs[0];
    variable_list grads;
    grads.reserve(coefficients.size() + 2);
    grads.push_back(has_base ? grad : at::Tensor());
    for (double c : coefficients) grads.push_back(grad.defined() ? grad * c : at::Tensor());
    grads.push_back(at::Tensor());  // the coefficients
    return grads;
  }
};

at::Tensor combine_composed(const at::Tensor& base, const std::vector<at::Tensor>& vectors,
                            const std::vector<double>& coefficients) {
  if (vectors.empty()) return base.clone();
  at::Tensor acc = vectors[0] * coefficients[0];
  for (size_t j = 1; j < vectors.size(); ++j) acc = acc + vectors[j] * coefficients[j];
  return base.defined() ? base + acc : acc;
}

std::vector<std::pair<int64_t, int64_t>> components_of(const Norm& norm, int64_t n) {
  if (norm.components.empty()) return {{0, n}};
  for (const auto& [offset, size] : norm.components)
    TORCH_CHECK(offset >= 0 && size >= 0 && offset + size <= n, "ode: norm component [", offset, ", ",
                offset + size, ") outside a state of ", n, " elements");
  return norm.components;
}

// The largest sqrt(sum/size) over components, rounded to S (the norm is a value of the state dtype).
template <typename S>
double largest_rms(const std::vector<double>& sums, const std::vector<std::pair<int64_t, int64_t>>& components) {
  double best = 0;
  bool any = false;
  for (size_t c = 0; c < components.size(); ++c) {
    if (components[c].second == 0) continue;
    const double rms = static_cast<double>(static_cast<S>(std::sqrt(sums[c] / static_cast<double>(components[c].second))));
    if (std::isnan(rms)) return rms;
    best = any ? std::max(best, rms) : rms;
    any = true;
  }
  return best;
}

template <typename S>
double error_ratio_kernel(const std::vector<const S*>& ks, const std::vector<S>& e, const S* y0, const S* y1,
                          S rtol, S atol, const std::vector<std::pair<int64_t, int64_t>>& components, bool& y1_finite) {
  std::vector<double> sums(components.size(), 0.0);
  bool finite = true;
  S err[kBlock];
  for (size_t c = 0; c < components.size(); ++c) {
    const auto [offset, size] = components[c];
    double sum = 0;
    for (int64_t start = offset; start < offset + size; start += kBlock) {
      const int64_t len = std::min(kBlock, offset + size - start);
      std::fill(err, err + len, S(0));
      for (size_t j = 0; j < ks.size(); ++j) {
        const S* k = ks[j] + start;
        const S w = e[j];
        if (j == 0) {
          for (int64_t i = 0; i < len; ++i) err[i] = k[i] * w;
        } else {
          for (int64_t i = 0; i < len; ++i) err[i] += k[i] * w;
        }
      }
      for (int64_t i = 0; i < len; ++i) {
        const S a = y0[start + i], b = y1[start + i];
        finite = finite && std::isfinite(b);
        const S tolerance = atol + rtol * std::max(std::abs(a), std::abs(b));
        const S q = err[i] / tolerance;
        sum += static_cast<double>(q * q);
      }
    }
    sums[c] = sum;
  }
  y1_finite = finite;
  return largest_rms<S>(sums, components);
}

template <typename S>
double scaled_norm_kernel(const S* a, const S* b, const S* y0, S rtol, S atol,
                          const std::vector<std::pair<int64_t, int64_t>>& components) {
  std::vector<double> sums(components.size(), 0.0);
  for (size_t c = 0; c < components.size(); ++c) {
    const auto [offset, size] = components[c];
    double sum = 0;
    for (int64_t i = offset; i < offset + size; ++i) {
      const S scale = atol + std::abs(y0[i]) * rtol;
      const S q = (b != nullptr ? a[i] - b[i] : a[i]) / scale;
      sum += static_cast<double>(q * q);
    }
    sums[c] = sum;
  }
  return largest_rms<S>(sums, components);
}

// torch's composition, for devices the raw loops do not cover.
double composed_norm(const at::Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& components) {
  auto flat = x.reshape(-1);
  double best = 0;
  bool any = false;
  for (const auto& [offset, size] : components) {
    if (size == 0) continue;
    const double rms = flat.narrow(0, offset, size).abs().pow(2).mean().sqrt().item<double>();
    if (std::isnan(rms)) return rms;
    best = any ? std::max(best, rms) : rms;
    any = true;
  }
  return best;
}

bool raw_path(const at::Tensor& x) { return x.device().is_cpu() && fast_dtype(x.scalar_type()); }

}  // namespace

at::Tensor combine(const at::Tensor& base, const std::vector<at::Tensor>& vectors, const std::vector<double>& coefficients) {
  TORCH_CHECK(vectors.size() == coefficients.size(), "ode: ", vectors.size(), " vectors but ", coefficients.size(),
              " coefficients");
  TORCH_CHECK(base.defined() || !vectors.empty(), "ode: nothing to combine");
  const at::Tensor& like = base.defined() ? base : vectors[0];
  bool raw = raw_path(like);
  bool needs_grad = at::GradMode::is_enabled() && base.defined() && base.requires_grad();
  for (const auto& v : vectors) {
    TORCH_CHECK(v.sizes() == like.sizes(), "ode: combining a tensor of shape ", v.sizes(), " with one of shape ",
                like.sizes());
    TORCH_CHECK(v.scalar_type() == like.scalar_type(), "ode: combining ", v.scalar_type(), " with ", like.scalar_type());
    raw = raw && v.device() == like.device();
    needs_grad = needs_grad || (at::GradMode::is_enabled() && v.requires_grad());
  }
  if (!raw) return combine_composed(base, vectors, coefficients);
  if (!needs_grad) return combine_forward(base, vectors, coefficients);
  return CombineFunction::apply(base.defined() ? c10::optional<at::Tensor>(base) : c10::nullopt, at::TensorList(vectors),
                                coefficients);
}

double error_ratio(const std::vector<at::Tensor>& ks, const std::vector<double>& e, const at::Tensor& y0,
                   const at::Tensor& y1, double rtol, double atol, const Norm& norm, bool& y1_finite) {
  at::NoGradGuard no_grad;
  const auto components = components_of(norm, y0.numel());
  if (!raw_path(y0)) {
    auto err = combine_composed(at::Tensor(), ks, e);
    auto tolerance = atol + rtol * at::max(y0.abs(), y1.abs());
    y1_finite = at::isfinite(y1).all().item<bool>();
    return composed_norm(err / tolerance, components);
  }
  std::vector<at::Tensor> kc;
  for (const auto& k : ks) kc.push_back(k.contiguous());
  auto a = y0.contiguous(), b = y1.contiguous();
  double ratio = 0;
  AT_DISPATCH_FLOATING_TYPES(y0.scalar_type(), "ode_error_ratio", [&] {
    std::vector<const scalar_t*> pointers;
    std::vector<scalar_t> weights;
    for (size_t j = 0; j < kc.size(); ++j) {
      pointers.push_back(kc[j].data_ptr<scalar_t>());
      weights.push_back(static_cast<scalar_t>(e[j]));
    }
    ratio = error_ratio_kernel<scalar_t>(pointers, weights, a.data_ptr<scalar_t>(), b.data_ptr<scalar_t>(),
                                         static_cast<scalar_t>(rtol), static_cast<scalar_t>(atol), components, y1_finite);
  });
  return ratio;
}

double scaled_norm(const at::Tensor& a, const at::Tensor& b, const at::Tensor& y0, double rtol, double atol,
                   const Norm& norm) {
  at::NoGradGuard no_grad;
  const auto components = components_of(norm, y0.numel());
  if (!raw_path(y0)) {
    auto scale = atol + y0.abs() * rtol;
    return composed_norm((b.defined() ? a - b : a) / scale, components);
  }
  auto ac = a.contiguous(), y0c = y0.contiguous();
  auto bc = b.defined() ? b.contiguous() : at::Tensor();
  double value = 0;
  AT_DISPATCH_FLOATING_TYPES(y0.scalar_type(), "ode_scaled_norm", [&] {
    value = scaled_norm_kernel<scalar_t>(ac.data_ptr<scalar_t>(), bc.defined() ? bc.data_ptr<scalar_t>() : nullptr,
                                         y0c.data_ptr<scalar_t>(), static_cast<scalar_t>(rtol),
                                         static_cast<scalar_t>(atol), components);
  });
  return value;
}

bool all_finite(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  return at::isfinite(x).all().item<bool>();
}

}  // namespace lq::ode
