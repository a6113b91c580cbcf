namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="Attention"/>.</summary>
/// <param name="Dim">Model width; input and output are [B, T, Dim].</param>
/// <param name="Heads">Query heads; head width is Dim / Heads.</param>
/// <param name="KvHeads">Key/value heads for grouped-query attention (must divide Heads); null means Heads (multi-head).</param>
/// <param name="Causal">Query i sees only keys at positions ≤ i.</param>
/// <param name="Window">Sliding window W (causal only): query i sees keys i−W+1 … i.</param>
/// <param name="Rope">Rotary position embedding on queries and keys; null for none.</param>
/// <param name="Bias">Biases on the projections.</param>
/// <param name="Dropout">Dropout on the attention weights and on the output while training.</param>
/// <param name="InitStd">Projection init N(0, std²) with zero biases; null keeps PyTorch's default.</param>
/// <param name="ProjInitStd">Init std of the output projection; defaults to InitStd.</param>
public sealed record AttentionOptions(long Dim, long Heads, long? KvHeads = null, bool Causal = true, long? Window = null,
    RopeOptions? Rope = null, bool Bias = true, double Dropout = 0, double? InitStd = null, double? ProjInitStd = null)
{
    /// <summary>Key/value heads actually used.</summary>
    public long KeyValueHeads => KvHeads ?? Heads;

    /// <summary>Width of one head.</summary>
    public long HeadDim => Dim / Heads;

    /// <summary>Throws <see cref="ArgumentException"/> describing the first inconsistent option.</summary>
    public void Validate()
    {
        if (Heads < 1 || Dim % Heads != 0) throw new ArgumentException($"attention: dim {Dim} is not divisible by heads {Heads}");
        if (KeyValueHeads < 1 || Heads % KeyValueHeads != 0) throw new ArgumentException($"attention: kv_heads {KeyValueHeads} does not divide heads {Heads}");
        if (Window is { } w && w < 1) throw new ArgumentException($"attention: window {w} must be at least 1");
        if (Window is not null && !Causal) throw new ArgumentException("attention: a sliding window needs causal attention (query i sees keys i−W+1 … i)");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"attention: dropout {Dropout} must be in [0, 1)");
    }
}

/// <summary>
/// Multi-head self-attention with grouped-query heads, causal and sliding-window masks, rotary
/// positions and a KV cache (<c>torch.nn.MultiheadAttention</c>'s role; Llama/Mistral attention).
/// </summary>
/// <remarks>
/// <para>Parameters: <c>qkv</c> (one fused projection to [q | k | v], widths Heads·D, KvHeads·D, KvHeads·D)
/// and <c>proj</c> (output projection).</para>
/// <para>Grouped queries: query head h uses key/value head h / (Heads/KvHeads). The G = Heads/KvHeads query
/// heads of a group are stacked along the sequence axis and multiplied with their group's keys in one
/// batched matmul, so K and V are never repeated in memory.</para>
/// <para>Masks are aligned bottom-right: with S cached keys and T new queries, query i sits at absolute
/// position S − T + i and sees keys j ≤ S − T + i (and, with a window, j &gt; S − T + i − W).</para>
/// </remarks>
public sealed partial class Attention : Module
{
    private readonly Linear _qkv;
    private readonly Linear _proj;
    private readonly RotaryEmbedding? _rope;

    /// <summary>Creates the layer; throws if the options are inconsistent.</summary>
    public Attention(AttentionOptions options)
    {
        options.Validate();
        Options = options;
        // The rotary tables validate their own options: build them before any parameter is allocated.
        if (options.Rope is not null) _rope = new RotaryEmbedding(options.HeadDim, options.Rope);
        var width = (options.Heads + 2 * options.KeyValueHeads) * options.HeadDim;
        _qkv = RegisterModule("qkv", new Linear(new LinearOptions(options.Dim, width, options.Bias, options.InitStd)));
        _proj = RegisterModule("proj", new Linear(new LinearOptions(options.Heads * options.HeadDim, options.Dim, options.Bias, options.ProjInitStd ?? options.InitStd)));
    }

    /// <summary>The options this layer was built with.</summary>
    public AttentionOptions Options { get; }

    /// <summary>
    /// [B, T, Dim] → [B, T, Dim]. With a <paramref name="cache"/>, the new keys and values are appended
    /// and the queries attend over everything cached (incremental decoding).
    /// </summary>
    public Tensor Forward(Tensor input, KvCache? cache = null)
    {
        ExpectShape(input.Rank == 3 && input.Size(-1) == Options.Dim, $"[B, T, {Options.Dim}]", input);
        long batch = input.Size(0), steps = input.Size(1);
        long heads = Options.Heads, kvHeads = Options.KeyValueHeads, headDim = Options.HeadDim, group = heads / kvHeads;
        var offset = cache?.Length ?? 0;

        using var scope = TensorScope.Enter();
        var parts = _qkv.Forward(input).Split([heads * headDim, kvHeads * headDim, kvHeads * headDim], -1);
        var q = parts[0].View(batch, steps, heads, headDim).Transpose(1, 2);
        var k = parts[1].View(batch, steps, kvHeads, headDim).Transpose(1, 2);
        var v = parts[2].View(batch, steps, kvHeads, headDim).Transpose(1, 2);
        if (_rope is not null)
        {
            q = _rope.Apply(q, offset);
            k = _rope.Apply(k, offset);
        }
        if (cache is not null) (k, v) = cache.Append(k, v);
        var keys = k.Size(2);

        // [B, KvHeads, G·T, D]: the queries of one group share their keys.
        var queries = q.Mul(1.0 / Math.Sqrt(headDim)).Reshape(batch, kvHeads, group * steps, headDim);
        var scores = queries.MatMul(k.Transpose(-2, -1)).View(batch, kvHeads, group, steps, keys);
        if (Options.Causal) scores = scores.MaskedFill(BlockedPositions(steps, keys, input.Device), double.NegativeInfinity);
        var weights = scores.Softmax(-1);
        if (Training && Options.Dropout > 0) weights = Functional.Dropout(weights, Options.Dropout, training: true);
        var context = weights.View(batch, kvHeads, group * steps, keys).MatMul(v)
            .View(batch, heads, steps, headDim).Transpose(1, 2).Reshape(batch, steps, heads * headDim);
        var output = _proj.Forward(context);
        if (Training && Options.Dropout > 0) output = Functional.Dropout(output, Options.Dropout, training: true);
        return scope.Keep(output);
    }

    /// <summary>True where query i (at position keys − steps + i) must not see key j.</summary>
    private Tensor BlockedPositions(long steps, long keys, Device device)
    {
        using var scope = TensorScope.Enter();
        var queryPositions = Tensor.Arange(keys - steps, keys, 1L, DType.Int64, device).Unsqueeze(1);
        var keyPositions = Tensor.Arange(0L, keys, 1L, DType.Int64, device).Unsqueeze(0);
        var blocked = keyPositions.Gt(queryPositions);
        if (Options.Window is { } window) blocked = blocked.LogicalOr(keyPositions.Le(queryPositions.Sub(window)));
        return scope.Keep(blocked);
    }

    /// <inheritdoc/>
    protected override void DisposeCore() => _rope?.Dispose();
}
