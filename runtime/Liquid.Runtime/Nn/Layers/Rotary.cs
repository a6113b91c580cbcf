namespace Liquid.Runtime.Nn;

/// <summary>Options of rotary position embeddings.</summary>
/// <param name="Theta">Base of the frequencies θ^(−2i/d) (10,000 in RoFormer and Llama 2).</param>
/// <param name="Fraction">Share of each head's dimensions that rotate (GPT-NeoX uses 0.25); the rest pass through.</param>
public sealed record RopeOptions(double Theta = 10_000, double Fraction = 1.0);

/// <summary>
/// Rotary position embedding (RoFormer), rotate-half convention (GPT-NeoX, Llama in Hugging Face):
/// the first R = Fraction·headDim dimensions are split into halves x₁ = x[:R/2], x₂ = x[R/2:R], and
/// position p maps x to (x₁cos − x₂sin, x₂cos + x₁sin) with angle p·θ^(−2i/R) for pair i.
/// Equivalently x·cos + rotate_half(x)·sin with rotate_half(x) = (−x₂, x₁).
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private Tensor? _cos; // [positions, R], cached
    private Tensor? _sin;

    /// <summary>Tables for heads of width <paramref name="headDim"/>.</summary>
    public RotaryEmbedding(long headDim, RopeOptions options)
    {
        Options = options;
        RotaryDim = (long)Math.Round(headDim * options.Fraction);
        if (options.Fraction is <= 0 or > 1 || RotaryDim % 2 != 0 || RotaryDim == 0)
            throw new ArgumentException($"rotary fraction {options.Fraction} of head dim {headDim} gives {RotaryDim} rotating dims; it must be a positive even number");
        HeadDim = headDim;
    }

    /// <summary>The options.</summary>
    public RopeOptions Options { get; }

    /// <summary>Width of each head.</summary>
    public long HeadDim { get; }

    /// <summary>Number of rotating dimensions per head.</summary>
    public long RotaryDim { get; }

    /// <summary>Rotates x [B, heads, T, headDim] whose rows are positions offset … offset + T − 1.</summary>
    public Tensor Apply(Tensor x, long offset)
    {
        var length = x.Size(2);
        EnsureTables(offset + length, x);
        using var scope = TensorScope.Enter();
        var cos = _cos!.Narrow(0, offset, length);
        var sin = _sin!.Narrow(0, offset, length);
        var rotating = RotaryDim == HeadDim ? x : x.Narrow(-1, 0, RotaryDim);
        var halves = rotating.Chunk(2, -1);
        var rotatedHalf = Tensor.Cat([halves[1].Neg(), halves[0]], -1);
        var rotated = rotating.Mul(cos).Add(rotatedHalf.Mul(sin));
        var result = RotaryDim == HeadDim ? rotated : Tensor.Cat([rotated, x.Narrow(-1, RotaryDim, HeadDim - RotaryDim)], -1);
        return scope.Keep(result);
    }

    // Angles are computed in float64 and cast once, so float32 models lose no accuracy at long positions.
    private void EnsureTables(long positions, Tensor like)
    {
        if (_cos is not null && _cos.Size(0) >= positions && _cos.DType == like.DType && _cos.Device == like.Device) return;
        var capacity = Math.Max(positions, _cos is null ? 0 : 2 * _cos.Size(0));
        _cos?.Dispose();
        _sin?.Dispose();
        using var scope = TensorScope.Enter();
        // The tables outlive this call: make them ordinary tensors even when the first call runs in
        // inference mode (generation), so that training later can still save them for backward.
        using var normalTensors = Torch.InferenceMode(false);
        using var noGrad = Torch.NoGrad();
        var exponents = Tensor.Arange(0L, RotaryDim, 2L, DType.Float64).Div((double)RotaryDim);
        var inverseFrequencies = exponents.Mul(-Math.Log(Options.Theta)).Exp();
        var angles = Tensor.Arange(capacity, DType.Float64).Outer(inverseFrequencies);
        var table = Tensor.Cat([angles, angles], -1);
        _cos = scope.Detach(table.Cos().To(like.Device, like.DType));
        _sin = scope.Detach(table.Sin().To(like.Device, like.DType));
    }

    /// <summary>Frees the cached tables.</summary>
    public void Dispose()
    {
        _cos?.Dispose();
        _sin?.Dispose();
    }
}
