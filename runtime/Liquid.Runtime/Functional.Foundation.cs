using Liquid.Runtime.Interop;
using static Liquid.Runtime.Tensor;

namespace Liquid.Runtime;

public static partial class Functional
{
    /// <summary>
    /// Causal sliding-window attention that computes only the band of scores the window allows, with
    /// its own backward (a C++ <c>torch::autograd::Function</c>): for <paramref name="query"/>
    /// [B, H, T, D] and <paramref name="key"/> [B, KV, S, D], <paramref name="value"/> [B, KV, S, Dv]
    /// with KV dividing H and S ≥ T, query i is the position S − T + i (the last T of the keys; earlier
    /// ones are a cache) and attends to the keys j with position − W &lt; j ≤ position;
    /// query head h reads key/value head h / (H/KV). Returns softmax(scale·q·kᵀ)·v, [B, H, T, Dv].
    /// Equal to the masked dense composition (<c>softmax(masked_fill(q @ kᵀ·scale)) @ v</c>) to rounding.
    /// </summary>
    /// <param name="query">Queries [B, H, T, D].</param>
    /// <param name="key">Keys [B, KV, S, D].</param>
    /// <param name="value">Values [B, KV, S, Dv].</param>
    /// <param name="scale">Factor on the scores (1/√D usually).</param>
    /// <param name="window">W ≥ 1; 0 means every earlier key (plain causal attention).</param>
    /// <param name="block">Query rows per tile; 0 picks 64. A tunable of speed only, not of the result.</param>
    /// <remarks>
    /// Memory: the forward keeps only each tile's probabilities, about T·(block + W) per head, never a
    /// T×S matrix; without gradients (no-grad or inference mode) nothing is kept. See
    /// <c>runtime/native/src/window_attention.cpp</c> for the blocked formulation.
    /// </remarks>
    public static Tensor WindowAttention(Tensor query, Tensor key, Tensor value, double scale, long window, long block = 0) =>
        Wrap(Native.lq_window_attention(query.H(), key.H(), value.H(), scale, window, block));
}
