using System.Runtime.InteropServices;

namespace Liquid.Runtime.Interop;

internal static partial class Native
{
    // math.cpp
    [LibraryImport(Library)] public static partial nint lq_add(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_add_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_sub(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_sub_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_mul(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_mul_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_div(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_div_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_pow(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_pow_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_remainder(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_remainder_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_floor_divide(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_floor_divide_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_eq(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_eq_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_ne(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_ne_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_lt(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_lt_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_le(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_le_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_gt(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_gt_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_ge(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_ge_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial int lq_add_(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial int lq_add_scalar_(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial int lq_sub_(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial int lq_sub_scalar_(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial int lq_mul_(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial int lq_mul_scalar_(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial int lq_div_(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial int lq_div_scalar_(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_rsub_scalar(TensorHandle a, NativeScalar b);
    [LibraryImport(Library)] public static partial nint lq_scalar_div(NativeScalar a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_scalar_pow(NativeScalar a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_maximum(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_minimum(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_logical_and(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_logical_or(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_logical_xor(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial int lq_addcmul_(TensorHandle a, TensorHandle b, TensorHandle c, NativeScalar alpha);
    [LibraryImport(Library)] public static partial int lq_addcdiv_(TensorHandle a, TensorHandle b, TensorHandle c, NativeScalar alpha);
    [LibraryImport(Library)] public static partial int lq_add_scaled_(TensorHandle a, TensorHandle b, NativeScalar alpha);
    [LibraryImport(Library)] public static partial int lq_lerp_(TensorHandle a, TensorHandle end, NativeScalar weight);
    [LibraryImport(Library)] public static partial nint lq_neg(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_abs(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_sign(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_exp(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_expm1(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_log(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_log1p(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_sqrt(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_rsqrt(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_square(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_reciprocal(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_sin(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_cos(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_erf(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_floor(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_ceil(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_round(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_tanh(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_sigmoid(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_relu(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_silu(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_logical_not(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_isnan(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_isinf(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_isfinite(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_gelu(TensorHandle t, int tanhApproximation);
    [LibraryImport(Library)] public static partial nint lq_softplus(TensorHandle t, double beta, double threshold);
    [LibraryImport(Library)] public static partial nint lq_leaky_relu(TensorHandle t, double slope);
    [LibraryImport(Library)] public static partial nint lq_clamp(TensorHandle t, int hasMin, NativeScalar min, int hasMax, NativeScalar max);
    [LibraryImport(Library)] public static partial nint lq_softmax(TensorHandle t, long dim);
    [LibraryImport(Library)] public static partial nint lq_log_softmax(TensorHandle t, long dim);
    [LibraryImport(Library)] public static partial int lq_allclose(TensorHandle a, TensorHandle b, double rtol, double atol);
    [LibraryImport(Library)] public static partial int lq_equal(TensorHandle a, TensorHandle b);

    // reduce.cpp
    [LibraryImport(Library)] public static partial nint lq_sum(TensorHandle t, ReadOnlySpan<long> dims, long n, int keepdim);
    [LibraryImport(Library)] public static partial nint lq_mean(TensorHandle t, ReadOnlySpan<long> dims, long n, int keepdim);
    [LibraryImport(Library)] public static partial nint lq_prod(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_var(TensorHandle t, ReadOnlySpan<long> dims, long n, long correction, int keepdim);
    [LibraryImport(Library)] public static partial nint lq_std(TensorHandle t, ReadOnlySpan<long> dims, long n, long correction, int keepdim);
    [LibraryImport(Library)] public static partial nint lq_norm(TensorHandle t, double p, ReadOnlySpan<long> dims, long n, int keepdim);
    [LibraryImport(Library)] public static partial nint lq_logsumexp(TensorHandle t, ReadOnlySpan<long> dims, long n, int keepdim);
    [LibraryImport(Library)] public static partial nint lq_max_all(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_min_all(TensorHandle t);
    [LibraryImport(Library)] public static partial int lq_max_dim(TensorHandle t, long dim, int keepdim, out nint values, out nint indices);
    [LibraryImport(Library)] public static partial int lq_min_dim(TensorHandle t, long dim, int keepdim, out nint values, out nint indices);
    [LibraryImport(Library)] public static partial int lq_topk(TensorHandle t, long k, long dim, int largest, int sorted, out nint values, out nint indices);
    [LibraryImport(Library)] public static partial int lq_sort(TensorHandle t, long dim, int descending, int stable, out nint values, out nint indices);
    [LibraryImport(Library)] public static partial nint lq_argmax(TensorHandle t, int hasDim, long dim, int keepdim);
    [LibraryImport(Library)] public static partial nint lq_argmin(TensorHandle t, int hasDim, long dim, int keepdim);
    [LibraryImport(Library)] public static partial nint lq_cumsum(TensorHandle t, long dim);
    [LibraryImport(Library)] public static partial nint lq_all(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_any(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_multinomial(TensorHandle probs, long samples, int replacement);

    // linalg.cpp
    [LibraryImport(Library)] public static partial nint lq_matmul(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_mm(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_bmm(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_baddbmm(TensorHandle input, TensorHandle a, TensorHandle b, double beta, double alpha);
    [LibraryImport(Library)] public static partial nint lq_outer(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] public static partial nint lq_fft_rfft(TensorHandle t, long n, long dim, int norm);
    [LibraryImport(Library)] public static partial nint lq_fft_irfft(TensorHandle t, long n, long dim, int norm);
    [LibraryImport(Library)] public static partial nint lq_fft_fft(TensorHandle t, long n, long dim, int norm);
    [LibraryImport(Library)] public static partial nint lq_fft_ifft(TensorHandle t, long n, long dim, int norm);
    [LibraryImport(Library)] public static partial nint lq_real(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_imag(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_complex(TensorHandle real, TensorHandle imag);
    [LibraryImport(Library)] public static partial nint lq_view_as_real(TensorHandle t);

    // nn.cpp
    [LibraryImport(Library)] public static partial nint lq_linear(TensorHandle x, TensorHandle weight, TensorHandle bias);
    [LibraryImport(Library)] public static partial nint lq_embedding(TensorHandle weight, TensorHandle indices, long paddingIdx);
    [LibraryImport(Library)] public static partial nint lq_layer_norm(TensorHandle x, ReadOnlySpan<long> shape, long ndim, TensorHandle weight, TensorHandle bias, double eps);
    [LibraryImport(Library)] public static partial nint lq_dropout(TensorHandle x, double p, int train);
    [LibraryImport(Library)] public static partial nint lq_conv1d(TensorHandle x, TensorHandle weight, TensorHandle bias, long stride, long padding, long dilation, long groups);
    [LibraryImport(Library)] public static partial nint lq_pad(TensorHandle x, ReadOnlySpan<long> pads, long n, double value);
    [LibraryImport(Library)] public static partial nint lq_cross_entropy(TensorHandle logits, TensorHandle target, TensorHandle weight, long reduction, long ignoreIndex, double labelSmoothing);
    [LibraryImport(Library)] public static partial nint lq_nll_loss(TensorHandle logProbs, TensorHandle target, long reduction, long ignoreIndex);
    [LibraryImport(Library)] public static partial nint lq_mse_loss(TensorHandle x, TensorHandle target, long reduction);
    [LibraryImport(Library)] public static partial nint lq_smooth_l1_loss(TensorHandle x, TensorHandle target, long reduction, double beta);
    [LibraryImport(Library)] public static partial int lq_sdpa(TensorHandle q, TensorHandle k, TensorHandle v, TensorHandle mask, double dropout, int needWeights, int causal, out nint output, out nint weights);
    [LibraryImport(Library)] public static partial int lq_lstm(TensorHandle x, TensorHandle h0, TensorHandle c0, ReadOnlySpan<nint> parameters, long count, int hasBiases, long layers, double dropout, int train, int bidirectional, int batchFirst, out nint output, out nint h, out nint c);
    [LibraryImport(Library)] public static partial int lq_gru(TensorHandle x, TensorHandle h0, ReadOnlySpan<nint> parameters, long count, int hasBiases, long layers, double dropout, int train, int bidirectional, int batchFirst, out nint output, out nint h);
    [LibraryImport(Library)] public static partial int lq_rnn_tanh(TensorHandle x, TensorHandle h0, ReadOnlySpan<nint> parameters, long count, int hasBiases, long layers, double dropout, int train, int bidirectional, int batchFirst, out nint output, out nint h);

    // fused.cpp
    [LibraryImport(Library)] public static partial nint lq_fused_swiglu(TensorHandle gate, TensorHandle up);

    // autograd.cpp
    [LibraryImport(Library)] public static partial int lq_backward(TensorHandle t, TensorHandle grad, int retainGraph);
    [LibraryImport(Library)] public static partial int lq_grad(TensorHandle t, out nint gradient);
    [LibraryImport(Library)] public static partial int lq_zero_grad(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_detach(TensorHandle t);
    [LibraryImport(Library)] public static partial int lq_grad_enabled();
    [LibraryImport(Library)] public static partial void lq_set_grad_enabled(int enabled);
}
