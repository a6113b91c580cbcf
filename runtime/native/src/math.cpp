// Pointwise arithmetic, comparisons and activations.
#include "common.h"

#define LQ_UNARY(name, expr) \
  LQ_API lq_tensor lq_##name(lq_tensor t) { LQ_TENSOR(expr(lq::ref(t))) }

// Tensor-tensor, tensor-scalar and in-place forms of one binary op.
#define LQ_BINARY(name, fn)                                                                    \
  LQ_API lq_tensor lq_##name(lq_tensor a, lq_tensor b) { LQ_TENSOR(at::fn(lq::ref(a), lq::ref(b))) } \
  LQ_API lq_tensor lq_##name##_scalar(lq_tensor a, lq_scalar b) { LQ_TENSOR(at::fn(lq::ref(a), lq::scalar(b))) }

#define LQ_BINARY_INPLACE(name, method)                                                                    \
  LQ_API int lq_##name##_(lq_tensor a, lq_tensor b) { LQ_STATUS(lq::ref(a).method(lq::ref(b))) }             \
  LQ_API int lq_##name##_scalar_(lq_tensor a, lq_scalar b) { LQ_STATUS(lq::ref(a).method(lq::scalar(b))) }

LQ_BINARY(add, add)
LQ_BINARY(sub, sub)
LQ_BINARY(mul, mul)
LQ_BINARY(div, div)
LQ_BINARY(pow, pow)
LQ_BINARY(remainder, remainder)
LQ_BINARY(floor_divide, floor_divide)
LQ_BINARY(eq, eq)
LQ_BINARY(ne, ne)
LQ_BINARY(lt, lt)
LQ_BINARY(le, le)
LQ_BINARY(gt, gt)
LQ_BINARY(ge, ge)
LQ_BINARY_INPLACE(add, add_)
LQ_BINARY_INPLACE(sub, sub_)
LQ_BINARY_INPLACE(mul, mul_)
LQ_BINARY_INPLACE(div, div_)

LQ_API lq_tensor lq_rsub_scalar(lq_tensor a, lq_scalar b) { LQ_TENSOR(at::rsub(lq::ref(a), lq::scalar(b))) }
LQ_API lq_tensor lq_scalar_div(lq_scalar a, lq_tensor b) { LQ_TENSOR(at::reciprocal(lq::ref(b)) * lq::scalar(a)) }
LQ_API lq_tensor lq_scalar_pow(lq_scalar a, lq_tensor b) { LQ_TENSOR(at::pow(lq::scalar(a), lq::ref(b))) }
LQ_API lq_tensor lq_maximum(lq_tensor a, lq_tensor b) { LQ_TENSOR(at::maximum(lq::ref(a), lq::ref(b))) }
LQ_API lq_tensor lq_minimum(lq_tensor a, lq_tensor b) { LQ_TENSOR(at::minimum(lq::ref(a), lq::ref(b))) }
LQ_API lq_tensor lq_logical_and(lq_tensor a, lq_tensor b) { LQ_TENSOR(at::logical_and(lq::ref(a), lq::ref(b))) }
LQ_API lq_tensor lq_logical_or(lq_tensor a, lq_tensor b) { LQ_TENSOR(at::logical_or(lq::ref(a), lq::ref(b))) }
LQ_API lq_tensor lq_logical_xor(lq_tensor a, lq_tensor b) { LQ_TENSOR(at::logical_xor(lq::ref(a), lq::ref(b))) }

// a + alpha * b * c and a + alpha * b / c: the building blocks of in-place optimizer updates.
LQ_API int lq_addcmul_(lq_tensor a, lq_tensor b, lq_tensor c, lq_scalar alpha) {
  LQ_STATUS(lq::ref(a).addcmul_(lq::ref(b), lq::ref(c), lq::scalar(alpha)))
}
LQ_API int lq_addcdiv_(lq_tensor a, lq_tensor b, lq_tensor c, lq_scalar alpha) {
  LQ_STATUS(lq::ref(a).addcdiv_(lq::ref(b), lq::ref(c), lq::scalar(alpha)))
}
LQ_API int lq_add_scaled_(lq_tensor a, lq_tensor b, lq_scalar alpha) {
  LQ_STATUS(lq::ref(a).add_(lq::ref(b), lq::scalar(alpha)))
}
LQ_API int lq_lerp_(lq_tensor a, lq_tensor end, lq_scalar weight) {
  LQ_STATUS(lq::ref(a).lerp_(lq::ref(end), lq::scalar(weight)))
}

LQ_UNARY(neg, at::neg)
LQ_UNARY(abs, at::abs)
LQ_UNARY(sign, at::sign)
LQ_UNARY(exp, at::exp)
LQ_UNARY(expm1, at::expm1)
LQ_UNARY(log, at::log)
LQ_UNARY(log1p, at::log1p)
LQ_UNARY(sqrt, at::sqrt)
LQ_UNARY(rsqrt, at::rsqrt)
LQ_UNARY(square, at::square)
LQ_UNARY(reciprocal, at::reciprocal)
LQ_UNARY(sin, at::sin)
LQ_UNARY(cos, at::cos)
LQ_UNARY(erf, at::erf)
LQ_UNARY(floor, at::floor)
LQ_UNARY(ceil, at::ceil)
LQ_UNARY(round, at::round)
LQ_UNARY(tanh, at::tanh)
LQ_UNARY(sigmoid, at::sigmoid)
LQ_UNARY(relu, at::relu)
LQ_UNARY(silu, at::silu)
LQ_UNARY(logical_not, at::logical_not)
LQ_UNARY(isnan, at::isnan)
LQ_UNARY(isinf, at::isinf)
LQ_UNARY(isfinite, at::isfinite)

LQ_API lq_tensor lq_gelu(lq_tensor t, int32_t tanh_approximation) {
  LQ_TENSOR(at::gelu(lq::ref(t), tanh_approximation ? "tanh" : "none"))
}
LQ_API lq_tensor lq_softplus(lq_tensor t, double beta, double threshold) {
  LQ_TENSOR(at::softplus(lq::ref(t), beta, threshold))
}
LQ_API lq_tensor lq_leaky_relu(lq_tensor t, double slope) { LQ_TENSOR(at::leaky_relu(lq::ref(t), slope)) }

// Either bound may be absent (has_min/has_max = 0), as in torch.clamp(x, min=None, max=...). Bounds
// are tagged scalars so integer tensors clamped by integers stay integral.
LQ_API lq_tensor lq_clamp(lq_tensor t, int32_t has_min, lq_scalar min, int32_t has_max, lq_scalar max) {
  LQ_TENSOR(at::clamp(lq::ref(t), has_min ? c10::optional<at::Scalar>(lq::scalar(min)) : c10::nullopt,
                      has_max ? c10::optional<at::Scalar>(lq::scalar(max)) : c10::nullopt))
}

LQ_API lq_tensor lq_softmax(lq_tensor t, int64_t dim) { LQ_TENSOR(at::softmax(lq::ref(t), dim)) }
LQ_API lq_tensor lq_log_softmax(lq_tensor t, int64_t dim) { LQ_TENSOR(at::log_softmax(lq::ref(t), dim)) }

LQ_API int32_t lq_allclose(lq_tensor a, lq_tensor b, double rtol, double atol) {
  try {
    return at::allclose(lq::ref(a), lq::ref(b), rtol, atol) ? 1 : 0;
  }
  LQ_CATCH(-1)
}
LQ_API int32_t lq_equal(lq_tensor a, lq_tensor b) {
  try {
    return at::equal(lq::ref(a), lq::ref(b)) ? 1 : 0;
  }
  LQ_CATCH(-1)
}
