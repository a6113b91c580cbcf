// Functional neural-network ops that libtorch already implements (with their own autograd).
#include "common.h"

namespace {

// F.linear, except that a single input row (one decoding step, [.., 1, in]) on the CPU becomes a
// matrix-vector product. libtorch 1.13 runs it as a one-row GEMM, and OpenBLAS's small-matrix GEMM
// kernels are 3-5x slower than its GEMV at that shape for layers of 512 and wider (a 512x50257
// head: ~22 ms against ~8 ms), which dominated token-by-token generation. Same values up to
// float rounding; autograd differentiates addmv/mv as usual.
at::Tensor linear_or_mv(const at::Tensor& x, const at::Tensor& weight, const c10::optional<at::Tensor>& bias) {
  const bool one_row = x.dim() >= 1 && weight.dim() == 2 && x.numel() == x.size(-1) && x.size(-1) == weight.size(1) &&
                       x.device().is_cpu() && weight.device().is_cpu() && x.scalar_type() == weight.scalar_type() &&
                       (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble) &&
                       (!bias.has_value() || (bias->dim() == 1 && bias->scalar_type() == x.scalar_type()));
  if (!one_row) return at::linear(x, weight, bias);
  auto shape = x.sizes().vec();
  shape.back() = weight.size(0);
  const auto row = x.reshape({x.size(-1)});
  return (bias.has_value() ? at::addmv(*bias, weight, row) : at::mv(weight, row)).view(shape);
}

}  // namespace

LQ_API lq_tensor lq_linear(lq_tensor x, lq_tensor weight, lq_tensor bias) {
  LQ_TENSOR(linear_or_mv(lq::ref(x), lq::ref(weight), lq::optional(bias)))
}
LQ_API lq_tensor lq_embedding(lq_tensor weight, lq_tensor indices, int64_t padding_idx) {
  LQ_TENSOR(at::embedding(lq::ref(weight), lq::ref(indices), padding_idx))
}
LQ_API lq_tensor lq_layer_norm(lq_tensor x, const int64_t* shape, int64_t ndim, lq_tensor weight, lq_tensor bias,
                               double eps) {
  LQ_TENSOR(at::layer_norm(lq::ref(x), lq::dims(shape, ndim), lq::optional(weight), lq::optional(bias), eps))
}
LQ_API lq_tensor lq_dropout(lq_tensor x, double p, int32_t train) { LQ_TENSOR(at::dropout(lq::ref(x), p, train != 0)) }
LQ_API lq_tensor lq_conv1d(lq_tensor x, lq_tensor weight, lq_tensor bias, int64_t stride, int64_t padding,
                           int64_t dilation, int64_t groups) {
  LQ_TENSOR(at::conv1d(lq::ref(x), lq::ref(weight), lq::optional(bias), stride, padding, dilation, groups))
}
LQ_API lq_tensor lq_pad(lq_tensor x, const int64_t* pads, int64_t n, double value) {
  LQ_TENSOR(at::constant_pad_nd(lq::ref(x), lq::dims(pads, n), value))
}

// Losses. reduction: 0 = none, 1 = mean, 2 = sum (at::Reduction).
LQ_API lq_tensor lq_cross_entropy(lq_tensor logits, lq_tensor target, lq_tensor weight, int64_t reduction,
                                  int64_t ignore_index, double label_smoothing) {
  LQ_TENSOR(at::cross_entropy_loss(lq::ref(logits), lq::ref(target), lq::optional(weight), reduction, ignore_index,
                                   label_smoothing))
}
LQ_API lq_tensor lq_nll_loss(lq_tensor log_probs, lq_tensor target, int64_t reduction, int64_t ignore_index) {
  LQ_TENSOR(at::nll_loss(lq::ref(log_probs), lq::ref(target), c10::nullopt, reduction, ignore_index))
}
LQ_API lq_tensor lq_mse_loss(lq_tensor x, lq_tensor target, int64_t reduction) {
  LQ_TENSOR(at::mse_loss(lq::ref(x), lq::ref(target), reduction))
}
LQ_API lq_tensor lq_smooth_l1_loss(lq_tensor x, lq_tensor target, int64_t reduction, double beta) {
  LQ_TENSOR(at::smooth_l1_loss(lq::ref(x), lq::ref(target), reduction, beta))
}

// libtorch 1.13's attention: softmax(QKᵀ/√E + mask)V, optionally causal (top-left aligned). Returns the
// output and, when asked, the attention weights.
LQ_API int lq_sdpa(lq_tensor q, lq_tensor k, lq_tensor v, lq_tensor mask, double dropout, int32_t need_weights,
                   int32_t causal, lq_tensor* output, lq_tensor* weights) {
  LQ_STATUS({
    auto r = at::_scaled_dot_product_attention(lq::ref(q), lq::ref(k), lq::ref(v), lq::optional(mask), dropout,
                                               need_weights != 0, causal != 0);
    *output = lq::wrap(std::get<0>(r));
    *weights = need_weights ? lq::wrap(std::get<1>(r)) : nullptr;
  })
}

// Fused recurrent layers. `params` lists, per layer and direction, w_ih, w_hh[, b_ih, b_hh] as in
// torch.nn.LSTM._flat_weights. Outputs: sequence output, final h (and c for LSTM).
LQ_API int lq_lstm(lq_tensor x, lq_tensor h0, lq_tensor c0, const lq_tensor* params, int64_t nparams,
                   int32_t has_biases, int64_t layers, double dropout, int32_t train, int32_t bidirectional,
                   int32_t batch_first, lq_tensor* output, lq_tensor* h, lq_tensor* c) {
  LQ_STATUS({
    std::vector<at::Tensor> hx{lq::ref(h0), lq::ref(c0)};
    auto r = at::lstm(lq::ref(x), hx, lq::tensors(params, nparams), has_biases != 0, layers, dropout, train != 0,
                      bidirectional != 0, batch_first != 0);
    *output = lq::wrap(std::get<0>(r));
    *h = lq::wrap(std::get<1>(r));
    *c = lq::wrap(std::get<2>(r));
  })
}

LQ_API int lq_gru(lq_tensor x, lq_tensor h0, const lq_tensor* params, int64_t nparams, int32_t has_biases,
                  int64_t layers, double dropout, int32_t train, int32_t bidirectional, int32_t batch_first,
                  lq_tensor* output, lq_tensor* h) {
  LQ_STATUS({
    auto r = at::gru(lq::ref(x), lq::ref(h0), lq::tensors(params, nparams), has_biases != 0, layers, dropout,
                     train != 0, bidirectional != 0, batch_first != 0);
    *output = lq::wrap(std::get<0>(r));
    *h = lq::wrap(std::get<1>(r));
  })
}

LQ_API int lq_rnn_tanh(lq_tensor x, lq_tensor h0, const lq_tensor* params, int64_t nparams, int32_t has_biases,
                       int64_t layers, double dropout, int32_t train, int32_t bidirectional, int32_t batch_first,
                       lq_tensor* output, lq_tensor* h) {
  LQ_STATUS({
    auto r = at::rnn_tanh(lq::ref(x), lq::ref(h0), lq::tensors(params, nparams), has_biases != 0, layers, dropout,
                          train != 0, bidirectional != 0, batch_first != 0);
    *output = lq::wrap(std::get<0>(r));
    *h = lq::wrap(std::get<1>(r));
  })
}

LQ_API lq_tensor lq_cosine_embedding_loss(lq_tensor a, lq_tensor b, lq_tensor target, double margin,
                                          int64_t reduction) {
  LQ_TENSOR(at::cosine_embedding_loss(lq::ref(a), lq::ref(b), lq::ref(target), margin, reduction))
}
LQ_API lq_tensor lq_cosine_similarity(lq_tensor a, lq_tensor b, int64_t dim, double eps) {
  LQ_TENSOR(at::cosine_similarity(lq::ref(a), lq::ref(b), dim, eps))
}
