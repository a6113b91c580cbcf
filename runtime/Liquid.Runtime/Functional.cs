using Liquid.Runtime.Interop;
using static Liquid.Runtime.Tensor;

namespace Liquid.Runtime;

/// <summary>How a loss combines its per-element values (<c>reduction=</c> in PyTorch).</summary>
public enum Reduction
{
    /// <summary>Per-element losses (<c>"none"</c>).</summary>
    None = 0,
    /// <summary>Average (<c>"mean"</c>).</summary>
    Mean = 1,
    /// <summary>Sum (<c>"sum"</c>).</summary>
    Sum = 2,
}

/// <summary>
/// Stateless neural-network ops libtorch implements with its own autograd
/// (<c>torch.nn.functional</c>). Layers in later code compose these.
/// </summary>
public static partial class Functional
{
    private static TensorHandle Optional(Tensor? t, string op) => t is null ? TensorHandleNull : t.H(op);

    /// <summary>x·Wᵀ + b for weight [out, in] (<c>F.linear</c>).</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) =>
        Wrap(Native.lq_linear(input.H(), weight.H(), Optional(bias, nameof(Linear))));

    /// <summary>Rows of <paramref name="weight"/> at the int64 <paramref name="indices"/> (<c>F.embedding</c>).</summary>
    public static Tensor Embedding(Tensor indices, Tensor weight, long paddingIndex = -1) =>
        Wrap(Native.lq_embedding(weight.H(), indices.H(), paddingIndex));

    /// <summary>Normalizes over the trailing dimensions given by <paramref name="normalizedShape"/> (<c>F.layer_norm</c>).</summary>
    public static Tensor LayerNorm(Tensor input, ReadOnlySpan<long> normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        Wrap(Native.lq_layer_norm(input.H(), normalizedShape, normalizedShape.Length, Optional(weight, nameof(LayerNorm)), Optional(bias, nameof(LayerNorm)), eps));

    /// <summary>Zeroes elements with probability p and scales the rest by 1/(1−p) when training (<c>F.dropout</c>).</summary>
    public static Tensor Dropout(Tensor input, double p, bool training) => Wrap(Native.lq_dropout(input.H(), p, training ? 1 : 0));

    /// <summary>1-D convolution of [B, C_in, L] by weight [C_out, C_in/groups, K] (<c>F.conv1d</c>).</summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long dilation = 1, long groups = 1) =>
        Wrap(Native.lq_conv1d(input.H(), weight.H(), Optional(bias, nameof(Conv1d)), stride, padding, dilation, groups));

    /// <summary>Constant padding; <paramref name="pads"/> lists (before, after) pairs from the last dimension backwards (<c>F.pad</c>).</summary>
    public static Tensor Pad(Tensor input, ReadOnlySpan<long> pads, double value = 0) => Wrap(Native.lq_pad(input.H(), pads, pads.Length, value));

    /// <summary>
    /// Cross-entropy of logits [N, C] (or [N, C, d…]) against class indices (<c>F.cross_entropy</c>);
    /// targets equal to <paramref name="ignoreIndex"/> count for nothing.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean, long ignoreIndex = -100, double labelSmoothing = 0, Tensor? classWeights = null) =>
        Wrap(Native.lq_cross_entropy(logits.H(), target.H(), Optional(classWeights, nameof(CrossEntropy)), (long)reduction, ignoreIndex, labelSmoothing));

    /// <summary>Negative log-likelihood of log-probabilities (<c>F.nll_loss</c>).</summary>
    public static Tensor NllLoss(Tensor logProbabilities, Tensor target, Reduction reduction = Reduction.Mean, long ignoreIndex = -100) =>
        Wrap(Native.lq_nll_loss(logProbabilities.H(), target.H(), (long)reduction, ignoreIndex));

    /// <summary>Squared error (<c>F.mse_loss</c>).</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Wrap(Native.lq_mse_loss(input.H(), target.H(), (long)reduction));

    /// <summary>Huber-like loss: quadratic below <paramref name="beta"/>, linear above (<c>F.smooth_l1_loss</c>).</summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1) =>
        Wrap(Native.lq_smooth_l1_loss(input.H(), target.H(), (long)reduction, beta));

    /// <summary>
    /// softmax(Q·Kᵀ/√E + mask)·V over [.., L, E] inputs, libtorch 1.13's
    /// <c>torch._scaled_dot_product_attention</c>. Its causal mask is aligned top-left (query i sees
    /// keys 0…i), so with fewer queries than keys (KV cache) pass an explicit mask instead.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? mask = null, double dropout = 0, bool causal = false)
    {
        Check(Native.lq_sdpa(query.H(), key.H(), value.H(), Optional(mask, nameof(ScaledDotProductAttention)), dropout, 0, causal ? 1 : 0, out var output, out _));
        return Wrap(output);
    }

    /// <summary>As <see cref="ScaledDotProductAttention"/>, also returning the attention weights.</summary>
    public static (Tensor Output, Tensor Weights) ScaledDotProductAttentionWithWeights(Tensor query, Tensor key, Tensor value, Tensor? mask = null, double dropout = 0, bool causal = false)
    {
        Check(Native.lq_sdpa(query.H(), key.H(), value.H(), Optional(mask, nameof(ScaledDotProductAttentionWithWeights)), dropout, 1, causal ? 1 : 0, out var output, out var weights));
        return (Wrap(output), Wrap(weights));
    }

    /// <summary>
    /// libtorch's fused multi-layer LSTM (<c>torch.nn.LSTM</c>'s kernel). <paramref name="weights"/> lists,
    /// per layer, W_ih [4H, in], W_hh [4H, H] and, with biases, b_ih and b_hh (gate order i, f, g, o);
    /// h0 and c0 are [layers·directions, B, H].
    /// </summary>
    public static (Tensor Output, Tensor H, Tensor C) Lstm(Tensor input, Tensor h0, Tensor c0, ReadOnlySpan<Tensor> weights, bool hasBiases, long layers,
        double dropout = 0, bool training = false, bool bidirectional = false, bool batchFirst = true)
    {
        using var handles = new HandleArray(weights, nameof(Lstm));
        Check(Native.lq_lstm(input.H(), h0.H(), c0.H(), handles.Handles, weights.Length, hasBiases ? 1 : 0, layers, dropout, training ? 1 : 0,
            bidirectional ? 1 : 0, batchFirst ? 1 : 0, out var output, out var h, out var c));
        return (Wrap(output), Wrap(h), Wrap(c));
    }

    /// <summary>libtorch's fused multi-layer GRU (<c>torch.nn.GRU</c>'s kernel; gate order r, z, n).</summary>
    public static (Tensor Output, Tensor H) Gru(Tensor input, Tensor h0, ReadOnlySpan<Tensor> weights, bool hasBiases, long layers,
        double dropout = 0, bool training = false, bool bidirectional = false, bool batchFirst = true)
    {
        using var handles = new HandleArray(weights, nameof(Gru));
        Check(Native.lq_gru(input.H(), h0.H(), handles.Handles, weights.Length, hasBiases ? 1 : 0, layers, dropout, training ? 1 : 0,
            bidirectional ? 1 : 0, batchFirst ? 1 : 0, out var output, out var h));
        return (Wrap(output), Wrap(h));
    }

    /// <summary>libtorch's fused multi-layer Elman RNN with tanh (<c>torch.nn.RNN</c>'s kernel).</summary>
    public static (Tensor Output, Tensor H) RnnTanh(Tensor input, Tensor h0, ReadOnlySpan<Tensor> weights, bool hasBiases, long layers,
        double dropout = 0, bool training = false, bool bidirectional = false, bool batchFirst = true)
    {
        using var handles = new HandleArray(weights, nameof(RnnTanh));
        Check(Native.lq_rnn_tanh(input.H(), h0.H(), handles.Handles, weights.Length, hasBiases ? 1 : 0, layers, dropout, training ? 1 : 0,
            bidirectional ? 1 : 0, batchFirst ? 1 : 0, out var output, out var h));
        return (Wrap(output), Wrap(h));
    }

    /// <summary>
    /// silu(gate)·up with a hand-written backward (a C++ <c>torch::autograd::Function</c>, the pattern
    /// later fused kernels follow). Same values and gradients as the unfused composition.
    /// </summary>
    public static Tensor SwiGlu(Tensor gate, Tensor up) => Wrap(Native.lq_fused_swiglu(gate.H(), up.H()));

    /// <summary>
    /// Attention of one query per head against a sequence of keys, as in one decoding step:
    /// softmax(scale·q·kᵀ)·v for <paramref name="query"/> [B, H, 1, D] and <paramref name="key"/>,
    /// <paramref name="value"/> [B, KV, S, D], where KV divides H and query head h reads key/value head
    /// h / (H/KV) (grouped queries). A <paramref name="window"/> W &gt; 0 keeps only the last W keys.
    /// Returns [B, H, 1, D].
    /// </summary>
    /// <remarks>
    /// Without gradients (<see cref="Torch.NoGrad"/>, <see cref="Torch.InferenceMode"/>) on CPU float
    /// tensors it is one fused pass per head, several times faster than the composition at decoding
    /// sizes; otherwise it runs the differentiable composition (matmul, softmax, matmul).
    /// </remarks>
    public static Tensor SingleQueryAttention(Tensor query, Tensor key, Tensor value, double scale, long window = 0) =>
        Wrap(Native.lq_single_query_attention(query.H(), key.H(), value.H(), scale, window));
}
