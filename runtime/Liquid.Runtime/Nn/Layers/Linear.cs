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
        return ActivationMonitor.Observe(this, Functional.Linear(input, Weight, Bias));
    }

    /// <inheritdoc/>
    public override long FlopsPerPosition(long context) => 2 * Options.InFeatures * Options.OutFeatures;
}

/// <summary>Options of an untied <see cref="LmHead"/>.</summary>
/// <param name="InFeatures">Model width.</param>
/// <param name="Vocab">Vocabulary size: the logits' last dimension.</param>
/// <param name="Bias">Whether to add a learned bias.</param>
/// <param name="InitStd">Init N(0, std²) with a zero bias; null keeps PyTorch's default U(±1/√in).</param>
public sealed record LmHeadOptions(long InFeatures, long Vocab, bool Bias = false, double? InitStd = null);

/// <summary>
/// Vocabulary logits x·Wᵀ (+ b): with a weight of its own (a Linear, state-dict keys <c>weight</c>,
/// <c>bias</c>), or tied to a token embedding, whose [vocab, dim] weight it multiplies by and which it
/// does not own (no parameters, no keys; GPT-2's head).
/// </summary>
public sealed class LmHead : Module
{
    private readonly Embedding? _tied;
    private readonly Tensor? _weight;

    /// <summary>A head with a weight of its own.</summary>
    public LmHead(LmHeadOptions options)
    {
        InFeatures = options.InFeatures;
        Vocab = options.Vocab;
        _weight = RegisterParameter("weight", Tensor.Empty([options.Vocab, options.InFeatures]));
        if (options.InitStd is { } std) Init.Normal(_weight, 0, std);
        else Init.UniformFanIn(_weight, options.InFeatures);
        if (!options.Bias) return;
        Bias = RegisterParameter("bias", Tensor.Empty([options.Vocab]));
        if (options.InitStd is not null) Init.Constant(Bias, 0);
        else Init.UniformFanIn(Bias, options.InFeatures);
    }

    /// <summary>A head tied to <paramref name="embedding"/>: it reuses the embedding's weight.</summary>
    public LmHead(Embedding embedding)
    {
        _tied = embedding;
        InFeatures = embedding.Options.Dim;
        Vocab = embedding.Options.Count;
    }

    /// <summary>Model width.</summary>
    public long InFeatures { get; }

    /// <summary>Vocabulary size.</summary>
    public long Vocab { get; }

    /// <summary>Whether the weight is the embedding's.</summary>
    public bool IsTied => _tied is not null;

    /// <summary>[vocab, in]: the head's own weight or the tied embedding's.</summary>
    public Tensor Weight => _tied?.Weight ?? _weight!;

    /// <summary>[vocab], or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>[..., in] → [..., vocab].</summary>
    public Tensor Forward(Tensor input)
    {
        ExpectShape(input.Rank >= 1 && input.Size(-1) == InFeatures, $"[..., {InFeatures}]", input);
        return ActivationMonitor.Observe(this, Functional.Linear(input, Weight, Bias));
    }

    /// <inheritdoc/>
    public override long FlopsPerPosition(long context) => 2 * InFeatures * Vocab;
}
