// Shared plumbing of the C ABI. Every exported function follows one rule: it returns a tensor
// handle (null on failure) or an int status (0 ok, -1 failure). Any C++ exception is caught here
// and its message kept per thread for lq_last_error(); nothing ever unwinds into .NET.
#pragma once
#include "pch.h"

#define LQ_API extern "C" __attribute__((visibility("default")))

// A tensor handle is an owning pointer to an at::Tensor (itself a refcounted pointer).
typedef at::Tensor* lq_tensor;
// A list handle carries the variable-length results of split/chunk/unbind.
typedef std::vector<at::Tensor>* lq_tensor_list;

// Scalars cross the boundary as a tagged value so `int_tensor + 2` stays integral as in PyTorch.
struct lq_scalar {
  double d;
  int64_t i;
  int32_t kind;  // 0 = floating, 1 = integral, 2 = bool
};

namespace lq {

void set_last_error(const std::string& message);
std::atomic<int64_t>& live_tensors();

inline lq_tensor wrap(at::Tensor t) {
  live_tensors().fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(t));
}

inline const at::Tensor& ref(lq_tensor h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return *h;
}

// For in-place ops on the handle's own tensor object (set_data, optimizer buffers).
inline at::Tensor& mut(lq_tensor h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return *h;
}

inline at::Scalar scalar(lq_scalar s) {
  switch (s.kind) {
    case 1: return at::Scalar(s.i);
    case 2: return at::Scalar(s.i != 0);
    default: return at::Scalar(s.d);
  }
}

inline at::IntArrayRef dims(const int64_t* data, int64_t n) {
  return at::IntArrayRef(data, static_cast<size_t>(n));
}

inline std::vector<at::Tensor> tensors(const lq_tensor* handles, int64_t n) {
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) out.push_back(ref(handles[k]));
  return out;
}

inline c10::optional<at::Tensor> optional(lq_tensor h) {
  return h == nullptr ? c10::optional<at::Tensor>() : c10::optional<at::Tensor>(*h);
}

inline at::Device device(int32_t type, int32_t index) {
  return at::Device(static_cast<at::DeviceType>(type), static_cast<at::DeviceIndex>(index));
}

inline at::TensorOptions options(int32_t dtype, int32_t device_type, int32_t device_index) {
  return at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)).device(device(device_type, device_index));
}

inline lq_tensor_list wrap_list(std::vector<at::Tensor> v) {
  return new std::vector<at::Tensor>(std::move(v));
}

}  // namespace lq

#define LQ_CATCH(failure)                                  \
  catch (const c10::Error& e) {                            \
    lq::set_last_error(e.what_without_backtrace());        \
    return failure;                                        \
  }                                                        \
  catch (const std::exception& e) {                        \
    lq::set_last_error(e.what());                          \
    return failure;                                        \
  }                                                        \
  catch (...) {                                            \
    lq::set_last_error("unknown native exception");        \
    return failure;                                        \
  }

// Body evaluates to an at::Tensor; the export returns its handle or null.
#define LQ_TENSOR(...)             \
  try {                            \
    return lq::wrap(__VA_ARGS__);  \
  }                                \
  LQ_CATCH(nullptr)

// Body is a statement block; the export returns 0 or -1.
#define LQ_STATUS(...) \
  try {                \
    __VA_ARGS__;       \
    return 0;          \
  }                    \
  LQ_CATCH(-1)

#define LQ_LIST(...)                    \
  try {                                 \
    return lq::wrap_list(__VA_ARGS__);  \
  }                                     \
  LQ_CATCH(nullptr)
