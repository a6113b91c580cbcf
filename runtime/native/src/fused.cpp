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
