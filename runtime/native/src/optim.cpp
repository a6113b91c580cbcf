// Optimizer updates, one native call per parameter. The arithmetic follows torch.optim's
// single-tensor implementations (1.13) step for step, so trajectories match PyTorch's.
#include "common.h"

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
// to the weights). `step` is the 1-based count after this update.
LQ_API int lq_adam_step(lq_tensor param, lq_tensor grad, lq_tensor exp_avg, lq_tensor exp_avg_sq, int64_t step,
                        double lr, double beta1, double beta2, double eps, double weight_decay, int32_t decoupled) {
  LQ_STATUS({
    NoGrad guard;
    auto& p = lq::mut(param);
    at::Tensor g = lq::ref(grad);
    if (weight_decay != 0) {
      if (decoupled) {
        p.mul_(1 - lr * weight_decay);
      } else {
        g = g.add(p, weight_decay);
      }
    }
    lq::mut(exp_avg).mul_(beta1).add_(g, 1 - beta1);
    lq::mut(exp_avg_sq).mul_(beta2).addcmul_(g, g, 1 - beta2);
    const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
    const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
    const double step_size = lr / bias_correction1;
    auto denom = (lq::ref(exp_avg_sq).sqrt() / std::sqrt(bias_correction2)).add_(eps);
    p.addcdiv_(lq::ref(exp_avg), denom, -step_size);
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
