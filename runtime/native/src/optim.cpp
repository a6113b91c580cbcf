// Optimizer updates, one native call per parameter. The arithmetic follows torch.optim's
// single-tensor implementations (1.13) step for step, so trajectories match PyTorch's.
#include "common.h"

#include <ATen/Parallel.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// All updates are in place on leaves and must not be recorded by autograd (torch.no_grad()).
using NoGrad = at::NoGradGuard;

// SGD with optional momentum (buffer may be empty on the first step; it is created then),
// dampening, Nesterov and L2 weight decay.
LQ_API int lq_sgd_step(lq_tensor param, lq_tensor grad, lq_tensor momentum_buffer, int32_t has_buffer, double lr,
                       double momentum, double dampening, double weight_decay, int32_t nesterov) {
  LQ_STATUS({
    NoGrad guard;
    auto& p = lq::mut(param);
    at::Tensor d_p = lq::ref(grad);
    if (weight_decay != 0) d_p = d_p.add(p, weight_decay);
    if (momentum != 0) {
      auto& buf = lq::mut(momentum_buffer);
      if (!has_buffer) {
        buf.copy_(d_p);
      } else {
        buf.mul_(momentum).add_(d_p, 1 - dampening);
      }
      d_p = nesterov ? d_p.add(buf, momentum) : buf;
    }
    p.add_(d_p, -lr);
  })
}

// Adam (decoupled = 0, L2 decay folded into the gradient) or AdamW (decoupled = 1, decay applied
// to the weights). `step` is the parameter's step counter (a one-element tensor, torch.optim's
// state["step"]): it is incremented here and the bias corrections use the new count.
//
// For contiguous CPU float32/float64 tensors the update is one fused pass over memory (reading p, g,
// m, v once and writing p, m, v once) instead of torch.optim's nine tensor ops, which read and write
// every buffer several times and allocate two temporaries; other tensors (CUDA, strided, mixed
// dtypes) take the op-by-op path. Both compute, per element and in the parameter's dtype,
//   p ← p·(1 − lr·wd)                          (decoupled)      g ← g + wd·p   (L2)
//   m ← β₁·m + (1 − β₁)·g      v ← β₂·v + (1 − β₂)·g·g
//   p ← p − (lr / bc₁)·m / (√v / √bc₂ + ε)
// (runtime tests compare the two paths and both against torch.optim's trajectories).
namespace {

struct AdamScalars {
  double decay;     // 1 − lr·wd when decoupled, else 1
  double l2;        // wd when not decoupled, else 0
  double beta1, one_minus_beta1, beta2, one_minus_beta2;
  double bias_correction2_sqrt, eps, neg_step_size;
};

template <typename T>
void adam_scalar(T* p, const T* g, T* m, T* v, int64_t begin, int64_t end, const AdamScalars& c) {
  const T decay = static_cast<T>(c.decay), l2 = static_cast<T>(c.l2);
  const T b1 = static_cast<T>(c.beta1), omb1 = static_cast<T>(c.one_minus_beta1);
  const T b2 = static_cast<T>(c.beta2), omb2 = static_cast<T>(c.one_minus_beta2);
  const T bc2s = static_cast<T>(c.bias_correction2_sqrt), eps = static_cast<T>(c.eps);
  const T neg_step = static_cast<T>(c.neg_step_size);
  for (int64_t k = begin; k < end; ++k) {
    T param = p[k] * decay;
    const T grad = g[k] + l2 * param;
    const T avg = m[k] * b1 + omb1 * grad;
    const T avg_sq = v[k] * b2 + omb2 * grad * grad;
    m[k] = avg;
    v[k] = avg_sq;
    p[k] = param + neg_step * avg / (std::sqrt(avg_sq) / bc2s + eps);
  }
}

#if defined(__SSE2__)
// float32 four lanes at a time (SSE2 is part of x86-64, so no CPU dispatch is needed); same
// arithmetic as adam_scalar.
void adam_float(float* p, const float* g, float* m, float* v, int64_t begin, int64_t end, const AdamScalars& c) {
  const __m128 decay = _mm_set1_ps(static_cast<float>(c.decay)), l2 = _mm_set1_ps(static_cast<float>(c.l2));
  const __m128 b1 = _mm_set1_ps(static_cast<float>(c.beta1)), omb1 = _mm_set1_ps(static_cast<float>(c.one_minus_beta1));
  const __m128 b2 = _mm_set1_ps(static_cast<float>(c.beta2)), omb2 = _mm_set1_ps(static_cast<float>(c.one_minus_beta2));
  const __m128 bc2s = _mm_set1_ps(static_cast<float>(c.bias_correction2_sqrt)), eps = _mm_set1_ps(static_cast<float>(c.eps));
  const __m128 neg_step = _mm_set1_ps(static_cast<float>(c.neg_step_size));
  int64_t k = begin;
  for (; k + 4 <= end; k += 4) {
    const __m128 param = _mm_mul_ps(_mm_loadu_ps(p + k), decay);
    const __m128 grad = _mm_add_ps(_mm_loadu_ps(g + k), _mm_mul_ps(l2, param));
    const __m128 avg = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + k), b1), _mm_mul_ps(omb1, grad));
    const __m128 avg_sq = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + k), b2), _mm_mul_ps(_mm_mul_ps(omb2, grad), grad));
    _mm_storeu_ps(m + k, avg);
    _mm_storeu_ps(v + k, avg_sq);
    const __m128 denom = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(avg_sq), bc2s), eps);
    _mm_storeu_ps(p + k, _mm_add_ps(param, _mm_div_ps(_mm_mul_ps(neg_step, avg), denom)));
  }
  adam_scalar(p, g, m, v, k, end, c);
}
#else
void adam_float(float* p, const float* g, float* m, float* v, int64_t begin, int64_t end, const AdamScalars& c) {
  adam_scalar(p, g, m, v, begin, end, c);
}
#endif

bool fusable(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v) {
  const auto dtype = p.scalar_type();
  if (dtype != at::kFloat && dtype != at::kDouble) return false;
  for (const at::Tensor* t : {&p, &g, &m, &v}) {
    if (!t->device().is_cpu() || t->scalar_type() != dtype || !t->is_contiguous() || t->sizes() != p.sizes() ||
        t->is_conj() || t->is_neg())
      return false;
  }
  // The state buffers are written in place: they must not share memory with the parameter or gradient.
  return m.data_ptr() != p.data_ptr() && v.data_ptr() != p.data_ptr() && m.data_ptr() != v.data_ptr() &&
         m.data_ptr() != g.data_ptr() && v.data_ptr() != g.data_ptr();
}

// Adds one to the step counter and returns the new count (torch.optim keeps it as a tensor).
double increment_step(at::Tensor& step) {
  if (step.device().is_cpu() && step.numel() == 1 && step.scalar_type() == at::kLong && step.is_contiguous()) {
    auto count = ++*step.data_ptr<int64_t>();
    step.unsafeGetTensorImpl()->bump_version();
    return static_cast<double>(count);
  }
  step.add_(1);
  return step.item<double>();
}

}  // namespace

LQ_API int lq_adam_step(lq_tensor param, lq_tensor grad, lq_tensor exp_avg, lq_tensor exp_avg_sq, lq_tensor step,
                        double lr, double beta1, double beta2, double eps, double weight_decay, int32_t decoupled,
                        int32_t allow_fused) {
  LQ_STATUS({
    NoGrad guard;
    auto& p = lq::mut(param);
    const at::Tensor& g0 = lq::ref(grad);
    auto& m = lq::mut(exp_avg);
    auto& v = lq::mut(exp_avg_sq);
    const double count = increment_step(lq::mut(step));
    const double bias_correction1 = 1 - std::pow(beta1, count);
    const double bias_correction2 = 1 - std::pow(beta2, count);
    const double step_size = lr / bias_correction1;

    if (allow_fused && fusable(p, g0, m, v)) {
      const AdamScalars c{decoupled && weight_decay != 0 ? 1 - lr * weight_decay : 1.0,
                          !decoupled ? weight_decay : 0.0,
                          beta1, 1 - beta1, beta2, 1 - beta2,
                          std::sqrt(bias_correction2), eps, -step_size};
      // Grain: enough elements per task that thread start-up never dominates.
      constexpr int64_t grain = 1 << 15;
      if (p.scalar_type() == at::kFloat) {
        float *pp = p.data_ptr<float>(), *pm = m.data_ptr<float>(), *pv = v.data_ptr<float>();
        const float* pg = g0.data_ptr<float>();
        at::parallel_for(0, p.numel(), grain, [&](int64_t begin, int64_t end) { adam_float(pp, pg, pm, pv, begin, end, c); });
      } else {
        double *pp = p.data_ptr<double>(), *pm = m.data_ptr<double>(), *pv = v.data_ptr<double>();
        const double* pg = g0.data_ptr<double>();
        at::parallel_for(0, p.numel(), grain, [&](int64_t begin, int64_t end) { adam_scalar(pp, pg, pm, pv, begin, end, c); });
      }
      // Written through raw pointers: bump the version counters as in-place ops would, so autograd
      // still detects a parameter modified after being saved for backward.
      for (at::Tensor* t : {&p, &m, &v}) t->unsafeGetTensorImpl()->bump_version();
      return 0;
    }

    at::Tensor g = g0;
    if (weight_decay != 0) {
      if (decoupled) {
        p.mul_(1 - lr * weight_decay);
      } else {
        g = g.add(p, weight_decay);
      }
    }
    m.mul_(beta1).add_(g, 1 - beta1);
    v.mul_(beta2).addcmul_(g, g, 1 - beta2);
    auto denom = (v.sqrt() / std::sqrt(bias_correction2)).add_(eps);
    p.addcdiv_(m, denom, -step_size);
  })
}

// Scales all gradients so their global p-norm is at most max_norm (torch.nn.utils.clip_grad_norm_);
// writes the norm before clipping. Parameters without a gradient are skipped.
LQ_API int lq_clip_grad_norm(const lq_tensor* params, int64_t n, double max_norm, double norm_type, double* total) {
  LQ_STATUS({
    NoGrad guard;
    std::vector<at::Tensor> grads;
    for (int64_t k = 0; k < n; ++k) {
      const auto& g = lq::ref(params[k]).grad();
      if (g.defined()) grads.push_back(g);
    }
    if (grads.empty()) {
      *total = 0;
      return 0;
    }
    at::Tensor total_norm;
    if (std::isinf(norm_type)) {
      std::vector<at::Tensor> maxima;
      for (const auto& g : grads) maxima.push_back(g.abs().max());
      total_norm = at::stack(maxima).max();
    } else {
      std::vector<at::Tensor> norms;
      for (const auto& g : grads) norms.push_back(at::norm(g, norm_type));
      total_norm = at::norm(at::stack(norms), norm_type);
    }
    auto clip = at::clamp(max_norm / (total_norm + 1e-6), c10::nullopt, 1.0);
    for (auto& g : grads) g.mul_(clip.to(g.device()));
    *total = total_norm.item<double>();
  })
}

// Replaces a tensor's data in place, keeping its identity (what PyTorch's `param.data = x` does),
// so modules can change dtype or device without rebinding their fields.
LQ_API int lq_set_data(lq_tensor t, lq_tensor data) { LQ_STATUS(lq::mut(t).set_data(lq::ref(data))) }
