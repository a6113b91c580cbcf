// Tensor lifetime, metadata, conversion between dtypes and devices, copies in and out of memory.
#include "common.h"

LQ_API void lq_tensor_free(lq_tensor t) {
  if (t == nullptr) return;
  delete t;
  lq::live_tensors().fetch_sub(1, std::memory_order_relaxed);
}

LQ_API lq_tensor lq_tensor_alias(lq_tensor t) { LQ_TENSOR(lq::ref(t)) }

LQ_API int64_t lq_tensor_dim(lq_tensor t) {
  try {
    return lq::ref(t).dim();
  }
  LQ_CATCH(-1)
}

LQ_API int lq_tensor_shape(lq_tensor t, int64_t* out, int64_t capacity) {
  LQ_STATUS({
    const auto& x = lq::ref(t);
    if (capacity < x.dim()) throw std::invalid_argument("shape buffer too small");
    for (int64_t k = 0; k < x.dim(); ++k) out[k] = x.size(k);
  })
}

LQ_API int64_t lq_tensor_numel(lq_tensor t) {
  try {
    return lq::ref(t).numel();
  }
  LQ_CATCH(-1)
}

LQ_API int32_t lq_tensor_dtype(lq_tensor t) {
  try {
    return static_cast<int32_t>(lq::ref(t).scalar_type());
  }
  LQ_CATCH(-1)
}

LQ_API int lq_tensor_device(lq_tensor t, int32_t* type, int32_t* index) {
  LQ_STATUS({
    auto d = lq::ref(t).device();
    *type = static_cast<int32_t>(d.type());
    *index = d.index();
  })
}

LQ_API int32_t lq_tensor_requires_grad(lq_tensor t) {
  try {
    return lq::ref(t).requires_grad() ? 1 : 0;
  }
  LQ_CATCH(-1)
}

LQ_API int lq_tensor_set_requires_grad(lq_tensor t, int32_t value) {
  LQ_STATUS(lq::ref(t).set_requires_grad(value != 0))
}

LQ_API int32_t lq_tensor_is_contiguous(lq_tensor t) {
  try {
    return lq::ref(t).is_contiguous() ? 1 : 0;
  }
  LQ_CATCH(-1)
}

// Copies host memory into a new tensor; the caller's buffer is not retained.
LQ_API lq_tensor lq_from_data(const void* data, const int64_t* shape, int64_t ndim, int32_t dtype,
                              int32_t device_type, int32_t device_index) {
  LQ_TENSOR(([&] {
    auto cpu = at::empty(lq::dims(shape, ndim), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
    if (cpu.numel() > 0) std::memcpy(cpu.data_ptr(), data, cpu.nbytes());
    auto device = lq::device(device_type, device_index);
    return device.is_cpu() ? cpu : cpu.to(device);
  }()))
}

// Copies the tensor's values (row-major, converted to the tensor's own dtype) into host memory.
LQ_API int lq_copy_to(lq_tensor t, void* dst, int64_t nbytes) {
  LQ_STATUS({
    auto x = lq::ref(t).detach().to(at::kCPU).contiguous();
    if (static_cast<int64_t>(x.nbytes()) != nbytes)
      throw std::invalid_argument("destination holds " + std::to_string(nbytes) + " bytes, tensor needs " +
                                  std::to_string(x.nbytes()));
    if (nbytes > 0) std::memcpy(dst, x.data_ptr(), static_cast<size_t>(nbytes));
  })
}

LQ_API int lq_item_double(lq_tensor t, double* out) { LQ_STATUS(*out = lq::ref(t).item<double>()) }

LQ_API int lq_item_int64(lq_tensor t, int64_t* out) { LQ_STATUS(*out = lq::ref(t).item<int64_t>()) }

LQ_API lq_tensor lq_to(lq_tensor t, int32_t dtype, int32_t device_type, int32_t device_index, int32_t copy) {
  LQ_TENSOR(lq::ref(t).to(
      lq::device(device_type, device_index),
      static_cast<at::ScalarType>(dtype), false, copy != 0))
}

LQ_API lq_tensor lq_clone(lq_tensor t) { LQ_TENSOR(lq::ref(t).clone()) }

LQ_API int lq_copy_(lq_tensor dst, lq_tensor src) { LQ_STATUS(lq::ref(dst).copy_(lq::ref(src))) }

LQ_API int64_t lq_list_size(lq_tensor_list list) { return list == nullptr ? 0 : static_cast<int64_t>(list->size()); }

LQ_API lq_tensor lq_list_get(lq_tensor_list list, int64_t index) {
  LQ_TENSOR(list->at(static_cast<size_t>(index)))
}

LQ_API void lq_list_free(lq_tensor_list list) { delete list; }
