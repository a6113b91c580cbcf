namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="DiffAttention"/>.</summary>
/// <param name="Dim">Model width; input and output are [B, T, Dim].</param>
/// <param name="Heads">Query heads H; head width Dh = Dim / H, split into two halves of d = Dh/2 for the two maps.</param>
/// <param name="KvGroups">Query heads per key/value head (grouped-query attention): KV = H / KvGroups (the seed's 2; 1 is multi-head).</param>
/// <param name="Window">Sliding window W (causal only): query i sees keys i − W + 1 … i; null: every earlier key (the seed's 512).</param>
/// <param name="Causal">Query i sees only keys ≤ i (the decoder's; false needs no window and runs the dense composition).</param>
/// <param name="RopeTheta">Base of the rotary embedding on q₁, q₂, k₁, k₂ (width d each); null for none.</param>
/// <param name="LambdaInit">λ_init (Ye et al.'s 0.8, fixed as SEED-MODELS §3 states it).</param>
/// <param name="LambdaMin">Lower clamp of λ (0.1).</param>
/// <param name="LambdaMax">Upper clamp of λ (0.9).</param>
/// <param name="LambdaInitStd">The λ vectors start N(0, std²) (the paper's 0.1).</param>
/// <param name="Dropout">Dropout on the output while training.</param>
/// <param name="Fused">Attend through <see cref="Functional.WindowAttention"/> (band only); false runs the dense masked composition (tests, benchmarks).</param>
public sealed record DiffAttentionOptions(long Dim, long Heads, long KvGroups = 1, long? Window = null, bool Causal = true,
    double? RopeTheta = 10_000, double LambdaInit = 0.8, double LambdaMin = 0.1, double LambdaMax = 0.9, double LambdaInitStd = 0.1,
    double Dropout = 0, bool Fused = true)
{
    /// <summary>Key/value heads H / KvGroups.</summary>
    public long KvHeads => Heads / KvGroups;

    /// <summary>Width Dh of one head (of its value, and of its two query halves together).</summary>
    public long HeadDim => Dim / Heads;

    /// <summary>Width d = Dh / 2 of each query/key half.</summary>
    public long HalfDim => HeadDim / 2;

    /// <summary>Throws <see cref="ArgumentException"/> describing the first inconsistent option.</summary>
    public void Validate()
    {
        if (Heads < 1 || Dim % Heads != 0) throw new ArgumentException($"diff_attention: dim {Dim} is not divisible by heads {Heads}");
        if (KvGroups < 1 || Heads % KvGroups != 0) throw new ArgumentException($"diff_attention: kv_groups {KvGroups} does not divide heads {Heads}");
        if (HeadDim % 2 != 0) throw new ArgumentException($"diff_attention: head width {HeadDim} must be even (two halves of q and k)");
        if (RopeTheta is { } theta && (HalfDim % 2 != 0 || !(theta > 1)))
            throw new ArgumentException($"diff_attention: rotary halves of width {HalfDim} must be even and theta {theta} above 1");
        if (Window is { } w && w < 1) throw new ArgumentException($"diff_attention: window {w} must be at least 1");
        if (Window is not null && !Causal) throw new ArgumentException("diff_attention: a sliding window needs causal attention (query i sees keys i − W + 1 … i)");
        if (!(LambdaMin <= LambdaMax)) throw new ArgumentException($"diff_attention: lambda_min {LambdaMin} exceeds lambda_max {LambdaMax}");
        if (!(LambdaInitStd >= 0)) throw new ArgumentException($"diff_attention: lambda_init_std {LambdaInitStd} must not be negative");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"diff_attention: dropout {Dropout} must be in [0, 1)");
    }
}

/// <summary>
/// Differential attention (Ye et al. 2024, "Differential Transformer") with grouped-query heads, RoPE
/// and an exact causal sliding window (SEED-MODELS §3 "Attention"): per head,
/// out = softmax(q₁k₁ᵀ/√d)·v − λ·softmax(q₂k₂ᵀ/√d)·v with
/// λ = clamp(exp(λq₁·λk₁) − exp(λq₂·λk₂) + λ_init, λ_min, λ_max), then the output projection.
/// </summary>
/// <remarks>
/// <para>Parameters, in state-dict order: <c>qkv.weight</c> [(H + 2·KV)·Dh, Dim] (no bias; rows: query
/// heads, then key heads, then value heads, Dh each; a query head's first d rows are q₁ and the last d
/// q₂, likewise k₁ | k₂ for a key head), <c>proj.weight</c> [Dim, H·Dh] (no bias), and the vectors
/// <c>lambda_q1</c>, <c>lambda_k1</c>, <c>lambda_q2</c>, <c>lambda_k2</c> [d]. The projections keep
/// <c>nn.Linear</c>'s default init, the λ vectors N(0, 0.1²). The paper's per-head GroupNorm and
/// (1 − λ_init) scaling are not in the seed and not applied.</para>
/// <para>Query head h reads key/value head h / KvGroups. Scores of both maps are over positions, per
/// head: query i (absolute position p) sees keys j with p − W &lt; j ≤ p. The fused path
/// (<see cref="Functional.WindowAttention"/>) computes only that band; the dense path masks full scores.
/// The seed attended across heads instead of positions and misaligned its overlapping windows; here every
/// query gets exactly its own W most recent keys.</para>
/// <para>With <see cref="ForwardContext.State"/>, keys (after RoPE) and values are kept in a
/// <see cref="KvCache"/> for incremental decoding or chunked inputs: new queries continue at the cached
/// length. Cached keys of earlier calls are constants to autograd (truncated backpropagation); this
/// call's keys and values keep their gradients.</para>
/// </remarks>
public sealed class DiffAttention : Module
{
    private readonly Linear _qkv;
    private readonly Linear _proj;
    private readonly RotaryEmbedding? _rope;
    private readonly Tensor _lambdaQ1, _lambdaK1, _lambdaQ2, _lambdaK2;

    /// <summary>Creates the layer; throws <see cref="ArgumentException"/> if the options are inconsistent.</summary>
    public DiffAttention(DiffAttentionOptions options)
    {
        options.Validate();
        Options = options;
        if (options.RopeTheta is { } theta) _rope = new RotaryEmbedding(options.HalfDim, new RopeOptions(theta));
        var width = (options.Heads + 2 * options.KvHeads) * options.HeadDim;
        _qkv = RegisterModule("qkv", new Linear(new LinearOptions(options.Dim, width, Bias: false)));
        _proj = RegisterModule("proj", new Linear(new LinearOptions(options.Heads * options.HeadDim, options.Dim, Bias: false)));
        Tensor Lambda(string name) => RegisterParameter(name, Init.Normal(Tensor.Empty([options.HalfDim]), 0, options.LambdaInitStd));
        _lambdaQ1 = Lambda("lambda_q1");
        _lambdaK1 = Lambda("lambda_k1");
        _lambdaQ2 = Lambda("lambda_q2");
        _lambdaK2 = Lambda("lambda_k2");
    }

    /// <summary>The options this layer was built with.</summary>
    public DiffAttentionOptions Options { get; }

    /// <summary>λ = clamp(exp(λq₁·λk₁) − exp(λq₂·λk₂) + λ_init, λ_min, λ_max), a scalar tensor.</summary>
    public Tensor Lambda()
    {
        using var scope = TensorScope.Enter();
        var first = _lambdaQ1.Mul(_lambdaK1).Sum().Exp();
        var second = _lambdaQ2.Mul(_lambdaK2).Sum().Exp();
        return scope.Keep(first.Sub(second).Add(Options.LambdaInit).Clamp(Options.LambdaMin, Options.LambdaMax));
    }

    /// <summary>
    /// [B, T, Dim] → [B, T, Dim]. With a <see cref="ForwardContext.State"/>, the new keys and values are
    /// appended to this layer's cache and the queries continue after the cached positions.
    /// </summary>
    public Tensor Forward(Tensor input, ForwardContext context)
    {
        ExpectShape(input.Rank == 3 && input.Size(-1) == Options.Dim, $"[B, T, {Options.Dim}]", input);
        long batch = input.Size(0), steps = input.Size(1);
        long heads = Options.Heads, kvHeads = Options.KvHeads, headDim = Options.HeadDim, half = Options.HalfDim;
        var cache = context.State?.GetOrAdd(this, () => new KvCache());
        var offset = cache?.Length ?? 0;

        using var scope = TensorScope.Enter();
        var parts = _qkv.Forward(input).View(batch, steps, heads + 2 * kvHeads, headDim).Transpose(1, 2)
            .Split([heads, kvHeads, kvHeads], 1);
        var (q, k, v) = (parts[0], parts[1], parts[2]);                          // [B, H | KV, T, Dh]
        Tensor q1 = q.Narrow(-1, 0, half), q2 = q.Narrow(-1, half, half);
        Tensor k1 = k.Narrow(-1, 0, half), k2 = k.Narrow(-1, half, half);
        if (_rope is not null)
        {
            (q1, q2) = (_rope.Apply(q1, offset), _rope.Apply(q2, offset));
            (k1, k2) = (_rope.Apply(k1, offset), _rope.Apply(k2, offset));
        }
        if (cache is not null)
        {
            var current = Tensor.Cat([k1, k2], -1);
            // The cache keeps constants: a copy with autograd history would chain every later call's
            // graph to this one's (already freed by its backward). With gradients, this call attends to
            // its own keys and values, the earlier ones being constants (truncated backpropagation).
            Tensor keys, values;
            using (Torch.NoGrad()) (keys, values) = cache.Append(current, v);
            if (Torch.IsGradEnabled && (current.RequiresGrad || v.RequiresGrad))
            {
                (keys, values) = offset == 0 ? (current, v)
                    : (Tensor.Cat([keys.Narrow(2, 0, offset), current], 2), Tensor.Cat([values.Narrow(2, 0, offset), v], 2));
            }
            (k1, k2, v) = (keys.Narrow(-1, 0, half), keys.Narrow(-1, half, half), values);
        }

        var scale = 1.0 / Math.Sqrt(half);
        var context1 = Attend(q1, k1, v, scale);
        var context2 = Attend(q2, k2, v, scale);
        var mixed = context1.Sub(Lambda().Mul(context2));                         // [B, H, T, Dh]
        var output = _proj.Forward(mixed.Transpose(1, 2).Reshape(batch, steps, heads * headDim));
        if (context.Training && Options.Dropout > 0) output = Functional.Dropout(output, Options.Dropout, training: true);
        return scope.Keep(ActivationMonitor.Observe(this, output));
    }

    /// <summary>One attention map applied to v: q [B, H, T, d], k [B, KV, S, d], v [B, KV, S, Dh] → [B, H, T, Dh] (caller's scope).</summary>
    private Tensor Attend(Tensor q, Tensor k, Tensor v, double scale)
    {
        if (Options.Causal && Options.Fused) return Functional.WindowAttention(q, k, v, scale, Options.Window ?? 0);
        return DenseAttention(q, k, v, scale, Options.Causal ? Options.Window ?? 0 : -1);
    }

    /// <summary>
    /// The plain composition: full scores q·kᵀ·scale [B, KV, G·T, S], masked to the causal window
    /// (<paramref name="window"/> 0: plain causal; −1: no mask), softmax, times v. Queries are the last T
    /// of the S positions.
    /// </summary>
    internal static Tensor DenseAttention(Tensor q, Tensor k, Tensor v, double scale, long window)
    {
        using var scope = TensorScope.Enter();
        long batch = q.Size(0), heads = q.Size(1), steps = q.Size(2), kvHeads = k.Size(1), keys = k.Size(2);
        var group = heads / kvHeads;
        var queries = q.Mul(scale).Reshape(batch, kvHeads, group * steps, q.Size(-1));
        var scores = queries.MatMul(k.Transpose(-2, -1)).View(batch, kvHeads, group, steps, keys);
        if (window >= 0)
        {
            var device = q.Device;
            var position = Tensor.Arange(keys - steps, keys, 1L, DType.Int64, device).Unsqueeze(1);
            var key = Tensor.Arange(0L, keys, 1L, DType.Int64, device).Unsqueeze(0);
            var blocked = key.Gt(position);
            if (window > 0) blocked = blocked.LogicalOr(key.Le(position.Sub(window)));
            scores = scores.MaskedFill(blocked, double.NegativeInfinity);
        }
        var weights = scores.Softmax(-1).View(batch, kvHeads, group * steps, keys);
        return scope.Keep(weights.MatMul(v).View(batch, heads, steps, v.Size(-1)));
    }

    /// <summary>
    /// Per position: both maps' scores (2·d per visible key each) and weighted values (2·Dh per visible
    /// key each), their softmaxes (5 per visible key), the λ-combination (2·Dh) and RoPE (3 per rotated
    /// element), for every head; visible keys averaged over a sequence of <paramref name="context"/>.
    /// </summary>
    public override long FlopsPerPosition(long context)
    {
        var steps = Math.Max(1, context);
        var window = Options.Causal ? Options.Window ?? steps : steps;
        // Σ_i min(i + 1, W) over the positions, as an exact integer, then the mean.
        var full = Math.Min(window, steps);
        var seen = full * (full + 1) / 2 + (steps - full) * window;
        var visible = Options.Causal ? (double)seen / steps : steps;
        long heads = Options.Heads, headDim = Options.HeadDim, half = Options.HalfDim;
        var perHead = visible * (2 * (2 * half + 2 * headDim) + 2 * 5) + 2 * headDim;
        var rope = _rope is null ? 0 : 3 * 2 * (heads + Options.KvHeads) * half;
        return (long)Math.Round(heads * perHead) + rope;
    }

    /// <inheritdoc/>
    protected override void DisposeCore() => _rope?.Dispose();
}
