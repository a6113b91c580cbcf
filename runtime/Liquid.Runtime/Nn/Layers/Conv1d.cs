namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="Conv1d"/>.</summary>
/// <param name="InChannels">Channels of the input [B, C_in, L].</param>
/// <param name="OutChannels">Channels of the output.</param>
/// <param name="Kernel">Kernel width.</param>
/// <param name="Stride">Step between output positions.</param>
/// <param name="Padding">Zeros added on both sides (non-causal only).</param>
/// <param name="Dilation">Spacing between kernel taps.</param>
/// <param name="Groups">Channel groups (in and out must be divisible).</param>
/// <param name="Bias">Whether to add a learned bias.</param>
/// <param name="Causal">Pads (kernel − 1)·dilation on the left only, so output t sees inputs ≤ t and length is kept (stride 1).</param>
/// <param name="ChannelsLast">Input and output are [B, L, C] (a model's stream) instead of PyTorch's [B, C, L].</param>
public sealed record Conv1dOptions(long InChannels, long OutChannels, long Kernel, long Stride = 1, long Padding = 0,
    long Dilation = 1, long Groups = 1, bool Bias = true, bool Causal = false, bool ChannelsLast = false);

/// <summary>1-D convolution over [B, C, L] (<c>torch.nn.Conv1d</c>), optionally causal. Weight [out, in/groups, k].</summary>
public sealed class Conv1d : Module
{
    /// <summary>Creates the layer with PyTorch's default initialization.</summary>
    public Conv1d(Conv1dOptions options)
    {
        if (options.InChannels % options.Groups != 0 || options.OutChannels % options.Groups != 0)
            throw new ArgumentException($"groups {options.Groups} must divide in ({options.InChannels}) and out ({options.OutChannels}) channels");
        if (options.Causal && options.Padding != 0)
            throw new ArgumentException("a causal convolution computes its own padding; leave Padding at 0");
        Options = options;
        var fanIn = options.InChannels / options.Groups * options.Kernel;
        Weight = RegisterParameter("weight", Init.UniformFanIn(Tensor.Empty([options.OutChannels, options.InChannels / options.Groups, options.Kernel]), fanIn));
        if (options.Bias) Bias = RegisterParameter("bias", Init.UniformFanIn(Tensor.Empty([options.OutChannels]), fanIn));
    }

    /// <summary>The options this layer was built with.</summary>
    public Conv1dOptions Options { get; }

    /// <summary>[out, in/groups, kernel].</summary>
    public Tensor Weight { get; }

    /// <summary>[out], or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>[B, in, L] → [B, out, L'] (with <see cref="Conv1dOptions.ChannelsLast"/>, [B, L, in] → [B, L', out]).</summary>
    public Tensor Forward(Tensor input)
    {
        if (!Options.ChannelsLast) return ActivationMonitor.Observe(this, Convolve(input));
        ExpectShape(input.Rank == 3 && input.Size(2) == Options.InChannels, $"[B, L, {Options.InChannels}]", input);
        using var scope = TensorScope.Enter();
        return scope.Keep(ActivationMonitor.Observe(this, Convolve(input.Transpose(1, 2)).Transpose(1, 2)));
    }

    private Tensor Convolve(Tensor input)
    {
        ExpectShape(input.Rank == 3 && input.Size(1) == Options.InChannels, $"[B, {Options.InChannels}, L]", input);
        if (!Options.Causal)
            return Functional.Conv1d(input, Weight, Bias, Options.Stride, Options.Padding, Options.Dilation, Options.Groups);
        using var padded = Functional.Pad(input, [(Options.Kernel - 1) * Options.Dilation, 0]);
        return Functional.Conv1d(padded, Weight, Bias, Options.Stride, 0, Options.Dilation, Options.Groups);
    }

    /// <inheritdoc/>
    public override long FlopsPerPosition(long context) => 2 * Options.OutChannels * Options.InChannels / Options.Groups * Options.Kernel;
}
