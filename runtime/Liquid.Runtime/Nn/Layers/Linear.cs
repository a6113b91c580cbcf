namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="Linear"/>.</summary>
/// <param name="InFeatures">Size of the input's last dimension.</param>
/// <param name="OutFeatures">Size of the output's last dimension.</param>
/// <param name="Bias">Whether to add a learned bias.</param>
/// <param name="InitStd">If set, weights start N(0, InitStd²) and the bias at zero (GPT-2's scheme) instead of PyTorch's default U(±1/√in).</param>
public sealed record LinearOptions(long InFeatures, long OutFeatures, bool Bias = true, double? InitStd = null);

/// <summary>y = x·Wᵀ + b over the last dimension (<c>torch.nn.Linear</c>). Weight [out, in].</summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer with fresh parameters.</summary>
    public Linear(LinearOptions options)
    {
        Options = options;
        Weight = RegisterParameter("weight", Tensor.Empty([options.OutFeatures, options.InFeatures]));
        if (options.InitStd is { } std) Init.Normal(Weight, 0, std);
        else Init.UniformFanIn(Weight, options.InFeatures);
        if (options.Bias)
        {
            Bias = RegisterParameter("bias", Tensor.Empty([options.OutFeatures]));
            if (options.InitStd is not null) Init.Constant(Bias, 0);
            else Init.UniformFanIn(Bias, options.InFeatures);
        }
    }

    /// <summary>The options this layer was built with.</summary>
    public LinearOptions Options { get; }

    /// <summary>[out, in].</summary>
    public Tensor Weight { get; }

    /// <summary>[out], or null without bias.</summary>
    public Tensor? Bias { get; }

    /// <summary>[..., in] → [..., out].</summary>
    public Tensor Forward(Tensor input)
    {
        ExpectShape(input.Rank >= 1 && input.Size(-1) == Options.InFeatures, $"[..., {Options.InFeatures}]", input);
        return Functional.Linear(input, Weight, Bias);
    }
}
