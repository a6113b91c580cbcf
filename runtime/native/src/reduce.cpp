// Reductions, orderings and scans. `dims` may be empty to reduce over every dimension.
#include "common.h"

LQ_API lq_tensor lq_sum(lq_tensor t, const int64_t* dims, int64_t n, int32_t keepdim) {
  LQ_TENSOR(n == 0 ? lq::ref(t).sum() : lq::ref(t).sum(lq::dims(dims, n), keepdim != 0))
}
LQ_API lq_tensor lq_mean(lq_tensor t, const int64_t* dims, int64_t n, int32_t keepdim) {
  LQ_TENSOR(n == 0 ? lq::ref(t).mean() : lq::ref(t).mean(lq::dims(dims, n), keepdim != 0))
}
LQ_API lq_tensor lq_prod(lq_tensor t) { LQ_TENSOR(lq::ref(t).prod()) }
LQ_API lq_tensor lq_var(lq_tensor t, const int64_t* dims, int64_t n, int64_t correction, int32_t keepdim) {
  LQ_TENSOR(at::var(lq::ref(t), n == 0 ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(lq::dims(dims, n)),
                    c10::optional<int64_t>(correction), keepdim != 0))
}
LQ_API lq_tensor lq_std(lq_tensor t, const int64_t* dims, int64_t n, int64_t correction, int32_t keepdim) {
  LQ_TENSOR(at::std(lq::ref(t), n == 0 ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(lq::dims(dims, n)),
                    c10::optional<int64_t>(correction), keepdim != 0))
}
LQ_API lq_tensor lq_norm(lq_tensor t, double p, const int64_t* dims, int64_t n, int32_t keepdim) {
  LQ_TENSOR(n == 0 ? at::norm(lq::ref(t), p) : at::norm(lq::ref(t), p, lq::dims(dims, n), keepdim != 0))
}
LQ_API lq_tensor lq_logsumexp(lq_tensor t, const int64_t* dims, int64_t n, int32_t keepdim) {
  LQ_TENSOR(at::logsumexp(lq::ref(t), lq::dims(dims, n), keepdim != 0))
}
LQ_API lq_tensor lq_max_all(lq_tensor t) { LQ_TENSOR(lq::ref(t).max()) }
LQ_API lq_tensor lq_min_all(lq_tensor t) { LQ_TENSOR(lq::ref(t).min()) }

// Reductions along one dimension that also return indices.
LQ_API int lq_max_dim(lq_tensor t, int64_t dim, int32_t keepdim, lq_tensor* values, lq_tensor* indices) {
  LQ_STATUS({
    auto r = lq::ref(t).max(dim, keepdim != 0);
    *values = lq::wrap(std::get<0>(r));
    *indices = lq::wrap(std::get<1>(r));
  })
}
LQ_API int lq_min_dim(lq_tensor t, int64_t dim, int32_t keepdim, lq_tensor* values, lq_tensor* indices) {
  LQ_STATUS({
    auto r = lq::ref(t).min(dim, keepdim != 0);
    *values = lq::wrap(std::get<0>(r));
    *indices = lq::wrap(std::get<1>(r));
  })
}
LQ_API int lq_topk(lq_tensor t, int64_t k, int64_t dim, int32_t largest, int32_t sorted, lq_tensor* values,
                   lq_tensor* indices) {
  LQ_STATUS({
    auto r = lq::ref(t).topk(k, dim, largest != 0, sorted != 0);
    *values = lq::wrap(std::get<0>(r));
    *indices = lq::wrap(std::get<1>(r));
  })
}
LQ_API int lq_sort(lq_tensor t, int64_t dim, int32_t descending, int32_t stable, lq_tensor* values,
                   lq_tensor* indices) {
  LQ_STATUS({
    auto r = lq::ref(t).sort(c10::optional<bool>(stable != 0), dim, descending != 0);
    *values = lq::wrap(std::get<0>(r));
    *indices = lq::wrap(std::get<1>(r));
  })
}

// dim < -rank..rank-1 is libtorch's to reject; has_dim = 0 means over the flattened tensor.
LQ_API lq_tensor lq_argmax(lq_tensor t, int32_t has_dim, int64_t dim, int32_t keepdim) {
  LQ_TENSOR(lq::ref(t).argmax(has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim != 0))
}
LQ_API lq_tensor lq_argmin(lq_tensor t, int32_t has_dim, int64_t dim, int32_t keepdim) {
  LQ_TENSOR(lq::ref(t).argmin(has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim != 0))
}
LQ_API lq_tensor lq_cumsum(lq_tensor t, int64_t dim) { LQ_TENSOR(lq::ref(t).cumsum(dim)) }
LQ_API lq_tensor lq_all(lq_tensor t) { LQ_TENSOR(lq::ref(t).all()) }
LQ_API lq_tensor lq_any(lq_tensor t) { LQ_TENSOR(lq::ref(t).any()) }
LQ_API lq_tensor lq_multinomial(lq_tensor probs, int64_t samples, int32_t replacement) {
  LQ_TENSOR(at::multinomial(lq::ref(probs), samples, replacement != 0))
}
