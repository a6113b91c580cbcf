// Fused ops with hand-written backward passes.
//
// Pattern (see runtime/native/README.md): a struct deriving torch::autograd::Function<Self> with
//   static at::Tensor forward(AutogradContext*, inputs...)   -- runs with grad mode off; save what
//                                                              backward needs with save_for_backward
//   static variable_list backward(AutogradContext*, variable_list grad_outputs)
//                                                           -- one gradient per forward input
// and an exported C function that calls Self::apply(...) inside LQ_TENSOR. Every fused op is tested
// against the unfused composition on random inputs, forward and backward, and by finite differences.
#include "common.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// SwiGLU gate: silu(gate) * up, the hidden activation of Llama-style MLPs. Fusing it saves the two
// intermediates (silu(gate) and the product) that the unfused graph keeps for backward.
struct SwiGluFunction : public torch::autograd::Function<SwiGluFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& gate, const at::Tensor& up) {
    TORCH_CHECK(gate.sizes() == up.sizes(), "swiglu: gate ", gate.sizes(), " and up ", up.sizes(),
                " must have the same shape");
    ctx->save_for_backward({gate, up});
    return at::silu(gate) * up;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto& gate = saved[0];
    const auto& up = saved[1];
    const auto& grad = grad_outputs[0];
    auto sig = at::sigmoid(gate);
    auto silu = gate * sig;
    // d silu(x)/dx = σ(x)·(1 + x·(1 − σ(x)))
    auto dsilu = sig * (1 + gate * (1 - sig));
    return {grad * up * dsilu, grad * silu};
  }
};

}  // namespace

LQ_API lq_tensor lq_fused_swiglu(lq_tensor gate, lq_tensor up) {
  LQ_TENSOR(SwiGluFunction::apply(lq::ref(gate), lq::ref(up)))
}

// Attention of one new query per head against cached keys (a decoding step): q [B, H, 1, D],
// k and v [B, KV, S, D] with KV dividing H (query head h reads key/value head h / (H/KV)); with a
// window W > 0 only the last W keys are seen. Returns softmax(scale·q·kᵀ)·v as [B, H, 1, D].
//
// Without autograd (no_grad or inference mode) on contiguous-in-D CPU float tensors this is one
// pass per head over its keys and values: libtorch would run it as a scalar multiply, two batched
// GEMMs of one row each and a softmax, and its one-row GEMMs cost more than the arithmetic at
// these sizes. Otherwise (gradients needed, other devices or dtypes) it runs that composition, so
// the function is always differentiable. Tests compare the two paths and the layer's full pass.
namespace {

template <typename T>
void single_query_kernel(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, at::Tensor& out, double scale,
                         int64_t window) {
  const int64_t batch = q.size(0), heads = q.size(1), dim = q.size(3);
  const int64_t kv_heads = k.size(1), keys = k.size(2), group = heads / kv_heads;
  const int64_t first = window > 0 ? std::max<int64_t>(0, keys - window) : 0;
  const T* qp = q.data_ptr<T>();
  const T* kp = k.data_ptr<T>();
  const T* vp = v.data_ptr<T>();
  T* op = out.data_ptr<T>();
  const auto qs = q.strides(), ks = k.strides(), vs = v.strides();
  at::parallel_for(0, batch * heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> scores(static_cast<size_t>(keys - first));
    std::vector<T> acc(static_cast<size_t>(dim));
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / heads, h = bh % heads, g = h / group;
      const T* qrow = qp + b * qs[0] + h * qs[1];
      const T* kbase = kp + b * ks[0] + g * ks[1];
      const T* vbase = vp + b * vs[0] + g * vs[1];
      T best = -std::numeric_limits<T>::infinity();
      for (int64_t j = first; j < keys; ++j) {
        const T* krow = kbase + j * ks[2];
        T dot = 0;
        for (int64_t d = 0; d < dim; ++d) dot += qrow[d] * krow[d];
        const T s = dot * static_cast<T>(scale);
        scores[j - first] = s;
        best = std::max(best, s);
      }
      T total = 0;
      std::fill(acc.begin(), acc.end(), T(0));
      for (int64_t j = first; j < keys; ++j) {
        const T e = std::exp(scores[j - first] - best);
        total += e;
        const T* vrow = vbase + j * vs[2];
        for (int64_t d = 0; d < dim; ++d) acc[d] += e * vrow[d];
      }
      T* orow = op + bh * dim;  // out is contiguous [B, H, 1, D]
      for (int64_t d = 0; d < dim; ++d) orow[d] = acc[d] / total;
    }
  });
}

at::Tensor single_query_composed(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                                 int64_t window) {
  const int64_t batch = q.size(0), heads = q.size(1), dim = q.size(3);
  const int64_t kv_heads = k.size(1), keys = k.size(2), group = heads / kv_heads;
  // [B, KV, G, D]·[B, KV, D, S]: the G query heads of a group share their keys.
  auto scores = at::matmul(q.reshape({batch, kv_heads, group, dim}) * scale, k.transpose(-2, -1));
  if (window > 0 && keys > window) {
    auto hidden = at::arange(keys, q.options().dtype(at::kLong)).lt(keys - window);
    scores = scores.masked_fill(hidden, -std::numeric_limits<double>::infinity());
  }
  return at::matmul(at::softmax(scores, -1), v).view({batch, heads, 1, dim});
}

}  // namespace

LQ_API lq_tensor lq_single_query_attention(lq_tensor query, lq_tensor key, lq_tensor value, double scale,
                                           int64_t window) {
  LQ_TENSOR(([&] {
    const auto& q = lq::ref(query);
    const auto& k = lq::ref(key);
    const auto& v = lq::ref(value);
    TORCH_CHECK(q.dim() == 4 && q.size(2) == 1, "single_query_attention: query must be [B, H, 1, D], got ", q.sizes());
    TORCH_CHECK(k.dim() == 4 && k.sizes() == v.sizes() && k.size(0) == q.size(0) && k.size(3) == q.size(3),
                "single_query_attention: keys and values must be [B, KV, S, D] matching query ", q.sizes(), ", got ",
                k.sizes(), " and ", v.sizes());
    TORCH_CHECK(k.size(1) > 0 && q.size(1) % k.size(1) == 0, "single_query_attention: ", k.size(1),
                " key/value heads do not divide ", q.size(1), " query heads");
    TORCH_CHECK(k.size(2) > 0, "single_query_attention: no keys");
    TORCH_CHECK(window >= 0, "single_query_attention: window must be >= 0 (0 = none), got ", window);
    const auto dtype = q.scalar_type();
    const bool needs_grad = at::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
    const bool fast = !needs_grad && (dtype == at::kFloat || dtype == at::kDouble) && k.scalar_type() == dtype &&
                      v.scalar_type() == dtype && q.device().is_cpu() && k.device().is_cpu() && v.device().is_cpu() &&
                      q.stride(3) == 1 && k.stride(3) == 1 && v.stride(3) == 1 && !q.is_conj() && !k.is_conj() &&
                      !v.is_conj() && !q.is_neg() && !k.is_neg() && !v.is_neg();
    if (!fast) return single_query_composed(q, k, v, scale, window);
    auto out = at::empty({q.size(0), q.size(1), 1, q.size(3)}, q.options());
    if (dtype == at::kFloat) {
      single_query_kernel<float>(q, k, v, out, scale, window);
    } else {
      single_query_kernel<double>(q, k, v, out, scale, window);
    }
    return out;
  }()))
}
