// Views, reshapes, joins, splits and indexing.
#include "common.h"

LQ_API lq_tensor lq_view(lq_tensor t, const int64_t* shape, int64_t ndim) {
  LQ_TENSOR(lq::ref(t).view(lq::dims(shape, ndim)))
}
LQ_API lq_tensor lq_reshape(lq_tensor t, const int64_t* shape, int64_t ndim) {
  LQ_TENSOR(lq::ref(t).reshape(lq::dims(shape, ndim)))
}
LQ_API lq_tensor lq_permute(lq_tensor t, const int64_t* order, int64_t ndim) {
  LQ_TENSOR(lq::ref(t).permute(lq::dims(order, ndim)))
}
LQ_API lq_tensor lq_transpose(lq_tensor t, int64_t dim0, int64_t dim1) { LQ_TENSOR(lq::ref(t).transpose(dim0, dim1)) }
LQ_API lq_tensor lq_contiguous(lq_tensor t) { LQ_TENSOR(lq::ref(t).contiguous()) }
LQ_API lq_tensor lq_expand(lq_tensor t, const int64_t* shape, int64_t ndim) {
  LQ_TENSOR(lq::ref(t).expand(lq::dims(shape, ndim)))
}
LQ_API lq_tensor lq_repeat(lq_tensor t, const int64_t* repeats, int64_t ndim) {
  LQ_TENSOR(lq::ref(t).repeat(lq::dims(repeats, ndim)))
}
LQ_API lq_tensor lq_repeat_interleave(lq_tensor t, int64_t repeats, int64_t dim) {
  LQ_TENSOR(lq::ref(t).repeat_interleave(repeats, dim))
}
LQ_API lq_tensor lq_squeeze(lq_tensor t, int64_t dim) { LQ_TENSOR(lq::ref(t).squeeze(dim)) }
LQ_API lq_tensor lq_squeeze_all(lq_tensor t) { LQ_TENSOR(lq::ref(t).squeeze()) }
LQ_API lq_tensor lq_unsqueeze(lq_tensor t, int64_t dim) { LQ_TENSOR(lq::ref(t).unsqueeze(dim)) }
LQ_API lq_tensor lq_flatten(lq_tensor t, int64_t start, int64_t end) { LQ_TENSOR(lq::ref(t).flatten(start, end)) }
LQ_API lq_tensor lq_tril(lq_tensor t, int64_t diagonal) { LQ_TENSOR(lq::ref(t).tril(diagonal)) }
LQ_API lq_tensor lq_triu(lq_tensor t, int64_t diagonal) { LQ_TENSOR(lq::ref(t).triu(diagonal)) }
LQ_API lq_tensor lq_roll(lq_tensor t, int64_t shift, int64_t dim) { LQ_TENSOR(lq::ref(t).roll(shift, dim)) }
LQ_API lq_tensor lq_narrow(lq_tensor t, int64_t dim, int64_t start, int64_t length) {
  LQ_TENSOR(lq::ref(t).narrow(dim, start, length))
}
LQ_API lq_tensor lq_slice(lq_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  LQ_TENSOR(lq::ref(t).slice(dim, start, end, step))
}
LQ_API lq_tensor lq_select(lq_tensor t, int64_t dim, int64_t index) { LQ_TENSOR(lq::ref(t).select(dim, index)) }

LQ_API lq_tensor lq_cat(const lq_tensor* ts, int64_t n, int64_t dim) { LQ_TENSOR(at::cat(lq::tensors(ts, n), dim)) }
LQ_API lq_tensor lq_stack(const lq_tensor* ts, int64_t n, int64_t dim) {
  LQ_TENSOR(at::stack(lq::tensors(ts, n), dim))
}
LQ_API lq_tensor_list lq_split(lq_tensor t, int64_t size, int64_t dim) { LQ_LIST(lq::ref(t).split(size, dim)) }
LQ_API lq_tensor_list lq_split_sizes(lq_tensor t, const int64_t* sizes, int64_t n, int64_t dim) {
  LQ_LIST(lq::ref(t).split_with_sizes(lq::dims(sizes, n), dim))
}
LQ_API lq_tensor_list lq_chunk(lq_tensor t, int64_t chunks, int64_t dim) { LQ_LIST(lq::ref(t).chunk(chunks, dim)) }
LQ_API lq_tensor_list lq_unbind(lq_tensor t, int64_t dim) { LQ_LIST(lq::ref(t).unbind(dim)) }

LQ_API lq_tensor lq_index_select(lq_tensor t, int64_t dim, lq_tensor index) {
  LQ_TENSOR(lq::ref(t).index_select(dim, lq::ref(index)))
}
LQ_API lq_tensor lq_gather(lq_tensor t, int64_t dim, lq_tensor index) {
  LQ_TENSOR(lq::ref(t).gather(dim, lq::ref(index)))
}
LQ_API lq_tensor lq_scatter(lq_tensor t, int64_t dim, lq_tensor index, lq_tensor src) {
  LQ_TENSOR(lq::ref(t).scatter(dim, lq::ref(index), lq::ref(src)))
}
LQ_API lq_tensor lq_scatter_add(lq_tensor t, int64_t dim, lq_tensor index, lq_tensor src) {
  LQ_TENSOR(lq::ref(t).scatter_add(dim, lq::ref(index), lq::ref(src)))
}
LQ_API lq_tensor lq_index_add(lq_tensor t, int64_t dim, lq_tensor index, lq_tensor src, lq_scalar alpha) {
  LQ_TENSOR(lq::ref(t).index_add(dim, lq::ref(index), lq::ref(src), lq::scalar(alpha)))
}
LQ_API int lq_index_add_(lq_tensor t, int64_t dim, lq_tensor index, lq_tensor src, lq_scalar alpha) {
  LQ_STATUS(lq::ref(t).index_add_(dim, lq::ref(index), lq::ref(src), lq::scalar(alpha)))
}
LQ_API lq_tensor lq_masked_fill(lq_tensor t, lq_tensor mask, lq_scalar value) {
  LQ_TENSOR(lq::ref(t).masked_fill(lq::ref(mask), lq::scalar(value)))
}
LQ_API int lq_masked_fill_(lq_tensor t, lq_tensor mask, lq_scalar value) {
  LQ_STATUS(lq::ref(t).masked_fill_(lq::ref(mask), lq::scalar(value)))
}
LQ_API lq_tensor lq_where(lq_tensor condition, lq_tensor a, lq_tensor b) {
  LQ_TENSOR(at::where(lq::ref(condition), lq::ref(a), lq::ref(b)))
}
