namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="LayerNorm"/>.</summary>
public sealed record LayerNormOptions(long Dim, double Eps = 1e-5, bool Affine = true, bool Bias = true);

/// <summary>(x − mean)/√(var + eps)·γ + β over the last dimension (<c>torch.nn.LayerNorm</c>).</summary>
public sealed class LayerNorm : Module
{
    /// <summary>Creates the layer with γ = 1 and β = 0.</summary>
    public LayerNorm(LayerNormOptions options)
    {
        Options = options;
        if (options.Affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([options.Dim]));
            if (options.Bias) Bias = RegisterParameter("bias", Tensor.Zeros([options.Dim]));
        }
    }

    /// <summary>The options this layer was built with.</summary>
    public LayerNormOptions Options { get; }

    /// <summary>γ [dim], or null without affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>β [dim], or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>[..., dim] → [..., dim].</summary>
    public Tensor Forward(Tensor input)
    {
        ExpectShape(input.Rank >= 1 && input.Size(-1) == Options.Dim, $"[..., {Options.Dim}]", input);
        return Functional.LayerNorm(input, [Options.Dim], Weight, Bias, Options.Eps);
    }
}

/// <summary>Options of <see cref="RmsNorm"/>. Eps 1e-6 as in Llama.</summary>
public sealed record RmsNormOptions(long Dim, double Eps = 1e-6);

/// <summary>x/√(mean(x²) + eps)·γ over the last dimension (<c>torch.nn.RMSNorm</c>, Llama's norm).</summary>
public sealed class RmsNorm : Module
{
    /// <summary>Creates the layer with γ = 1.</summary>
    public RmsNorm(RmsNormOptions options)
    {
        Options = options;
        Weight = RegisterParameter("weight", Tensor.Ones([options.Dim]));
    }

    /// <summary>The options this layer was built with.</summary>
    public RmsNormOptions Options { get; }

    /// <summary>γ [dim].</summary>
    public Tensor Weight { get; }

    /// <summary>[..., dim] → [..., dim].</summary>
    public Tensor Forward(Tensor input)
    {
        ExpectShape(input.Rank >= 1 && input.Size(-1) == Options.Dim, $"[..., {Options.Dim}]", input);
        using var scope = TensorScope.Enter();
        var inverseRms = input.Square().Mean(-1, keepDim: true).Add(Options.Eps).Rsqrt();
        return scope.Keep(input.Mul(inverseRms).Mul(Weight));
    }
}
