// Factory functions. Shapes arrive as (pointer, length); dtype and device as libtorch's enum values.
#include "common.h"

#define LQ_OPTS lq::options(dtype, device_type, device_index)
#define LQ_OPT_PARAMS int32_t dtype, int32_t device_type, int32_t device_index

LQ_API lq_tensor lq_empty(const int64_t* shape, int64_t ndim, LQ_OPT_PARAMS) {
  LQ_TENSOR(at::empty(lq::dims(shape, ndim), LQ_OPTS))
}

LQ_API lq_tensor lq_zeros(const int64_t* shape, int64_t ndim, LQ_OPT_PARAMS) {
  LQ_TENSOR(at::zeros(lq::dims(shape, ndim), LQ_OPTS))
}

LQ_API lq_tensor lq_ones(const int64_t* shape, int64_t ndim, LQ_OPT_PARAMS) {
  LQ_TENSOR(at::ones(lq::dims(shape, ndim), LQ_OPTS))
}

LQ_API lq_tensor lq_full(const int64_t* shape, int64_t ndim, lq_scalar value, LQ_OPT_PARAMS) {
  LQ_TENSOR(at::full(lq::dims(shape, ndim), lq::scalar(value), LQ_OPTS))
}

LQ_API lq_tensor lq_arange(lq_scalar start, lq_scalar end, lq_scalar step, LQ_OPT_PARAMS) {
  LQ_TENSOR(at::arange(lq::scalar(start), lq::scalar(end), lq::scalar(step), LQ_OPTS))
}

LQ_API lq_tensor lq_linspace(double start, double end, int64_t steps, LQ_OPT_PARAMS) {
  LQ_TENSOR(at::linspace(start, end, steps, LQ_OPTS))
}

LQ_API lq_tensor lq_eye(int64_t n, int64_t m, LQ_OPT_PARAMS) { LQ_TENSOR(at::eye(n, m, LQ_OPTS)) }

LQ_API lq_tensor lq_rand(const int64_t* shape, int64_t ndim, LQ_OPT_PARAMS) {
  LQ_TENSOR(at::rand(lq::dims(shape, ndim), LQ_OPTS))
}

LQ_API lq_tensor lq_randn(const int64_t* shape, int64_t ndim, LQ_OPT_PARAMS) {
  LQ_TENSOR(at::randn(lq::dims(shape, ndim), LQ_OPTS))
}

LQ_API lq_tensor lq_randint(int64_t low, int64_t high, const int64_t* shape, int64_t ndim, LQ_OPT_PARAMS) {
  LQ_TENSOR(at::randint(low, high, lq::dims(shape, ndim), LQ_OPTS))
}

LQ_API lq_tensor lq_zeros_like(lq_tensor t) { LQ_TENSOR(at::zeros_like(lq::ref(t))) }
LQ_API lq_tensor lq_ones_like(lq_tensor t) { LQ_TENSOR(at::ones_like(lq::ref(t))) }
LQ_API lq_tensor lq_randn_like(lq_tensor t) { LQ_TENSOR(at::randn_like(lq::ref(t))) }

// In-place initializers used by layer constructors (PyTorch's nn.init).
LQ_API int lq_uniform_(lq_tensor t, double low, double high) { LQ_STATUS(lq::ref(t).uniform_(low, high)) }
LQ_API int lq_normal_(lq_tensor t, double mean, double std) { LQ_STATUS(lq::ref(t).normal_(mean, std)) }
LQ_API int lq_fill_(lq_tensor t, lq_scalar value) { LQ_STATUS(lq::ref(t).fill_(lq::scalar(value))) }
LQ_API int lq_zero_(lq_tensor t) { LQ_STATUS(lq::ref(t).zero_()) }
LQ_API int lq_bernoulli_(lq_tensor t, double p) { LQ_STATUS(lq::ref(t).bernoulli_(p)) }
