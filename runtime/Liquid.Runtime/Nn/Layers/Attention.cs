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
    /// [B, T, Dim] → [B, T, Dim]; with the context's carried state, this layer's KV cache lives there and
    /// successive calls decode incrementally.
    /// </summary>
    public Tensor Forward(Tensor input, ForwardContext? context) => Forward(input, CacheOf(context));

    /// <summary>The output and the attention weights [B, heads, T, S] (S keys, cached ones included).</summary>
    public AttentionOutput ForwardWithWeights(Tensor input, ForwardContext? context)
    {
        using var scope = TensorScope.Enter();
        var output = Forward(input, CacheOf(context), out var weights, weightsWanted: true);
        return new AttentionOutput(scope.Keep(output), scope.Keep(weights!));
    }

    private KvCache? CacheOf(ForwardContext? context) => context?.State?.GetOrAdd(this, () => new KvCache());

    /// <summary>
    /// [B, T, Dim] → [B, T, Dim]. With a <paramref name="cache"/>, the new keys and values are appended
    /// and the queries attend over everything cached (incremental decoding).
    /// </summary>
    public Tensor Forward(Tensor input, KvCache? cache = null) => Forward(input, cache, out _, weightsWanted: false);

    private Tensor Forward(Tensor input, KvCache? cache, out Tensor? weights, bool weightsWanted)
    {
        ExpectShape(input.Rank == 3 && input.Size(-1) == Options.Dim, $"[B, T, {Options.Dim}]", input);
        long batch = input.Size(0), steps = input.Size(1);
        long heads = Options.Heads, kvHeads = Options.KeyValueHeads, headDim = Options.HeadDim, group = heads / kvHeads;
        var offset = cache?.Length ?? 0;

        using var scope = TensorScope.Enter();
        // [B, T, (H + 2·KV)·D] → [B, H + 2·KV, T, D], then q | k | v along the head axis: three ops
        // and views only (the same layout as splitting the last axis first, with fewer calls).
        var parts = _qkv.Forward(input).View(batch, steps, heads + 2 * kvHeads, headDim).Transpose(1, 2)
            .Split([heads, kvHeads, kvHeads], 1);
        var (q, k, v) = (parts[0], parts[1], parts[2]);
        if (_rope is not null)
        {
            q = _rope.Apply(q, offset);
            k = _rope.Apply(k, offset);
        }
        if (cache is not null) (k, v) = cache.Append(k, v);
        var keys = offset + steps;

        Tensor context;
        weights = null;
        if (weightsWanted)
        {
            context = Attend(q, k, v, batch, steps, keys, input.Device, out var attention);
            weights = attention;
        }
        else if (steps == 1 && !(Training && Options.Dropout > 0))
        {
            // One new query per head (a decoding step): the fused single-query path, which also
            // applies the window; it falls back to the composition below when gradients are needed.
            context = Functional.SingleQueryAttention(q, k, v, 1.0 / Math.Sqrt(headDim), Options.Window ?? 0);
        }
        else
        {
            context = Attend(q, k, v, batch, steps, keys, input.Device, out _);
        }
        context = context.Transpose(1, 2).Reshape(batch, steps, heads * headDim);
        var output = _proj.Forward(context);
        if (Training && Options.Dropout > 0) output = Functional.Dropout(output, Options.Dropout, training: true);
        if (weights is not null) scope.Keep(weights);
        return scope.Keep(ActivationMonitor.Observe(this, output));
    }

    /// <summary>softmax(q·kᵀ/√D + mask)·v for q [B, H, T, D] and k, v [B, KV, S, D]; returns [B, H, T, D] (in the caller's scope).</summary>
    private Tensor Attend(Tensor q, Tensor k, Tensor v, long batch, long steps, long keys, Device device, out Tensor weightsOut)
    {
        long heads = Options.Heads, kvHeads = Options.KeyValueHeads, headDim = Options.HeadDim, group = heads / kvHeads;
        // With groups, [B, KvHeads, G·T, D]: the queries of one group share their keys (no copy of K
        // or V). Plain multi-head attention (G = 1) needs none of the regrouping views.
        var queries = q.Mul(1.0 / Math.Sqrt(headDim));
        if (group > 1) queries = queries.Reshape(batch, kvHeads, group * steps, headDim);
        var scores = queries.MatMul(k.Transpose(-2, -1));
        if (group > 1) scores = scores.View(batch, kvHeads, group, steps, keys);
        if (HidesKeys(steps, keys)) scores = scores.MaskedFill(BlockedPositions(steps, keys, device), double.NegativeInfinity);
        var weights = scores.Softmax(-1);
        // Before dropout: the weights a caller sees are the attention distribution itself.
        weightsOut = group > 1 ? weights.Reshape(batch, heads, steps, keys) : weights;
        if (Training && Options.Dropout > 0) weights = Functional.Dropout(weights, Options.Dropout, training: true);
        if (group > 1) weights = weights.View(batch, kvHeads, group * steps, keys);
        var context = weights.MatMul(v);
        return group > 1 ? context.View(batch, heads, steps, headDim) : context;
    }

    /// <summary>
    /// Whether any of the <paramref name="steps"/> newest queries must not see one of the
    /// <paramref name="keys"/> keys. A single new query (one decoding step) sees every cached key
    /// unless a window shorter than the keys hides the oldest, so the mask is skipped there.
    /// </summary>
    private bool HidesKeys(long steps, long keys) =>
        Options.Causal && (steps > 1 || (Options.Window is { } window && keys > window));

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
    public override long FlopsPerPosition(long context) => 2 * 2 * context * Options.Heads * Options.HeadDim;

    /// <inheritdoc/>
    protected override void DisposeCore() => _rope?.Dispose();
}

/// <summary>What <see cref="Attention.ForwardWithWeights"/> returns.</summary>
/// <param name="Output">The attended stream [B, T, Dim].</param>
/// <param name="Weights">The attention distribution [B, heads, T, S] before dropout.</param>
public readonly record struct AttentionOutput(Tensor Output, Tensor Weights);
