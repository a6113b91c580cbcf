using Liquid.Runtime.Interop;

namespace Liquid.Runtime.Nn;

/// <summary>
/// The initialisers ncps's liquid cells use, each drawing from libtorch's generator exactly as the
/// PyTorch function named does, so a seeded build gives PyTorch's values.
/// </summary>
public static class LiquidInit
{
    /// <summary>ncps's <c>torch.rand(shape) * (high − low) + low</c> (float32, like ncps).</summary>
    public static Tensor UniformRange(ReadOnlySpan<long> shape, double low, double high)
    {
        using var scope = TensorScope.Enter();
        using var unit = Tensor.Rand(shape);
        return scope.Keep(unit.Mul(high - low).Add(low));
    }

    /// <summary>
    /// <c>nn.init.xavier_uniform_</c> of a 2-D weight [fan_out, fan_in]: U(±√3·√(2/(fan_in + fan_out))).
    /// </summary>
    public static Tensor XavierUniform(Tensor weight)
    {
        if (weight.Rank != 2) throw new ArgumentException($"xavier_uniform_ takes a 2-D tensor here, got rank {weight.Rank}", nameof(weight));
        var bound = Math.Sqrt(3.0) * Math.Sqrt(2.0 / (weight.Size(0) + weight.Size(1)));
        using (Torch.NoGrad()) weight.Uniform_(-bound, bound);
        return weight;
    }

    /// <summary>
    /// <c>nn.init.orthogonal_</c>: the Q of a QR factorisation of a Gaussian matrix, sign-corrected by
    /// R's diagonal, times <paramref name="gain"/>.
    /// </summary>
    public static Tensor Orthogonal(Tensor weight, double gain = 1)
    {
        Tensor.Check(Native.lq_init_orthogonal_(weight.H(), gain));
        return weight;
    }
}
