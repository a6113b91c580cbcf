// Autograd entry points: backward, gradients, grad mode, detach.
#include "common.h"

LQ_API int lq_backward(lq_tensor t, lq_tensor grad, int32_t retain_graph) {
  LQ_STATUS({
    const auto& x = lq::ref(t);
    x.backward(grad ? *grad : at::Tensor(), retain_graph ? c10::optional<bool>(true) : c10::nullopt);
  })
}

// Writes the accumulated gradient, or null when there is none yet (not an error).
LQ_API int lq_grad(lq_tensor t, lq_tensor* out) {
  LQ_STATUS({
    const auto& g = lq::ref(t).grad();
    *out = g.defined() ? lq::wrap(g) : nullptr;
  })
}

LQ_API int lq_zero_grad(lq_tensor t) {
  LQ_STATUS({
    auto& g = lq::ref(t).mutable_grad();
    if (g.defined()) g = at::Tensor();
  })
}

LQ_API lq_tensor lq_detach(lq_tensor t) { LQ_TENSOR(lq::ref(t).detach()) }

// Grad mode is thread-local in libtorch, as it is in .NET's scope object that toggles it.
LQ_API int32_t lq_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }
LQ_API void lq_set_grad_enabled(int32_t enabled) { c10::GradMode::set_enabled(enabled != 0); }

// Inference mode (torch.inference_mode): ops skip autograd's bookkeeping entirely (no version
// counters, no view tracking, no graph), which makes each call cheaper than under no_grad. libtorch's
// guard is an RAII object that restores the previous thread-local state when destroyed; .NET keeps
// it on the heap and releases it on the same thread, innermost first (Torch.InferenceMode enforces it).
LQ_API void* lq_inference_mode_enter(int32_t enabled) {
  try {
    return new c10::InferenceMode(enabled != 0);
  } catch (const std::exception& e) {
    lq::set_last_error(e.what());
    return nullptr;
  }
}
LQ_API void lq_inference_mode_exit(void* guard) { delete static_cast<c10::InferenceMode*>(guard); }
LQ_API int32_t lq_inference_mode_enabled() { return c10::InferenceMode::is_enabled() ? 1 : 0; }
