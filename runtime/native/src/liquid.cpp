// Liquid time-constant cells (ncps's LTC and CfC, ../shared/design/LIQUID-SEMANTICS.md §6):
// initialisers the layers need and, further down, the fused sequence kernels with their own
// backward passes.
#include "common.h"

// torch.nn.init.orthogonal_: a (rows, cols) Gaussian matrix (transposed when rows < cols) is
// factored Q·R, Q's columns get the signs of R's diagonal (so Q is Haar-distributed, Mezzadri 2007)
// and Q, transposed back, is copied into the tensor. Draws the same normals as PyTorch does.
LQ_API int lq_init_orthogonal_(lq_tensor tensor, double gain) {
  LQ_STATUS(([&] {
    auto& t = lq::mut(tensor);
    TORCH_CHECK(t.dim() >= 2, "orthogonal_: the tensor needs at least 2 dimensions, got ", t.dim());
    if (t.numel() == 0) return;
    at::NoGradGuard no_grad;
    const int64_t rows = t.size(0), cols = t.numel() / rows;
    auto flat = at::empty({rows, cols}, t.options()).normal_(0, 1);
    if (rows < cols) flat = flat.t();
    auto qr = at::linalg_qr(flat);
    auto q = std::get<0>(qr);
    q = q * at::diagonal(std::get<1>(qr), 0).sign();
    if (rows < cols) q = q.t();
    t.view_as(q).copy_(q);
    t.mul_(gain);
  }()))
}
