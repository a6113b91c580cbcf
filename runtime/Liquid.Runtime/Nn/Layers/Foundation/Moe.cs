namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="Moe"/>.</summary>
/// <param name="Dim">Width d of the tokens ([..., d] in and out).</param>
/// <param name="Hidden">Hidden width of each expert MLP (the seed's FF, 1024).</param>
/// <param name="Experts">Number of experts E (the seed's 8).</param>
/// <param name="TopK">Experts per token k (the seed's 4); with <paramref name="DynamicK"/> the base of the dynamic k.</param>
/// <param name="DynamicK">Per token k_t = clamp(⌊k·(1 + H_t)⌋, 1, E) from the entropy H_t of its gate distribution (the seed's default).</param>
/// <param name="Normalize">Renormalize the chosen gate probabilities to sum 1 (Mixtral); false keeps them as they are (Switch).</param>
/// <param name="GateBias">Bias on the gate (<c>nn.Linear</c>'s default).</param>
/// <param name="EntropyWeight">Weight of the entropy term in <see cref="MoeOutput.Aux"/> (the seed's 0.05; positive sharpens routing).</param>
/// <param name="OveruseThreshold">Share of the gate mass above which an expert is penalized (the seed's 0.4).</param>
/// <param name="OveruseWeight">Weight of the over-use penalty in Aux (not stated by the seed; 1).</param>
/// <param name="BalanceWeight">Weight of the Switch/Mixtral load-balancing loss in Aux (0: off; Switch uses 0.01).</param>
/// <param name="ZLossWeight">Weight of the router z-loss in Aux (0: off; ST-MoE uses 0.001).</param>
/// <param name="ExpertActivation">The experts' hidden nonlinearity (<see cref="Mlp"/>).</param>
/// <param name="ExpertDropout">Dropout at each expert's output (<see cref="MlpOptions.Dropout"/>).</param>
public sealed record MoeOptions(long Dim, long Hidden, long Experts = 8, long TopK = 4, bool DynamicK = true, bool Normalize = true,
    bool GateBias = true, double EntropyWeight = 0.05, double OveruseThreshold = 0.4, double OveruseWeight = 1.0,
    double BalanceWeight = 0, double ZLossWeight = 0, MlpActivation ExpertActivation = MlpActivation.Gelu, double ExpertDropout = 0)
{
    /// <summary>Throws <see cref="ArgumentException"/> describing the first inconsistent option.</summary>
    public void Validate()
    {
        if (Dim < 1 || Hidden < 1) throw new ArgumentException($"moe: dim {Dim} and hidden {Hidden} must be at least 1");
        if (Experts < 1) throw new ArgumentException($"moe: experts {Experts} must be at least 1");
        if (TopK < 1 || TopK > Experts) throw new ArgumentException($"moe: top_k {TopK} must be in 1 … experts ({Experts})");
        if (OveruseThreshold is < 0 or > 1) throw new ArgumentException($"moe: overuse_threshold {OveruseThreshold} must be a share in [0, 1]");
        if (ExpertDropout is < 0 or >= 1) throw new ArgumentException($"moe: expert_dropout {ExpertDropout} must be in [0, 1)");
        foreach (var (name, weight) in new[] { ("entropy_weight", EntropyWeight), ("overuse_weight", OveruseWeight), ("balance_weight", BalanceWeight), ("z_loss_weight", ZLossWeight) })
            if (!double.IsFinite(weight)) throw new ArgumentException($"moe: {name} {weight} must be finite");
    }
}

/// <summary>
/// The outputs of <see cref="Moe.Forward"/>, in the order the generator binds them. Every loss is a
/// scalar; the raw terms are given beside their weighted sum so an objective can weigh them itself.
/// </summary>
/// <param name="Output">The mixture Σ_e w_te·expert_e(x_t), shaped like the input.</param>
/// <param name="Aux">EntropyWeight·Entropy + OveruseWeight·Overuse + BalanceWeight·Balance + ZLossWeight·ZLoss.</param>
/// <param name="Entropy">mean_t H_t, H_t = −Σ_e p_te·log p_te (the routing entropy).</param>
/// <param name="Overuse">Σ_e max(0, P_e − OveruseThreshold) with P_e = mean_t p_te (the expert's share of the gate mass).</param>
/// <param name="Balance">Switch load balance E·Σ_e f_e·P_e, f_e the share of routed assignments going to e (1 when uniform).</param>
/// <param name="ZLoss">Router z-loss mean_t (logsumexp_e logits_te)² (ST-MoE).</param>
public readonly record struct MoeOutput(Tensor Output, Tensor Aux, Tensor Entropy, Tensor Overuse, Tensor Balance, Tensor ZLoss);

/// <summary>
/// Which experts each token goes to and with what weight (<see cref="Moe.Route"/>). Tokens are the
/// input's positions flattened to N rows. Slots are ordered by decreasing probability; slot j of token
/// t is used iff j &lt; K[t].
/// </summary>
/// <param name="Logits">Gate logits [N, E].</param>
/// <param name="Probabilities">softmax(logits) [N, E].</param>
/// <param name="Experts">The chosen experts [N, Kmax] (int64), Kmax = max_t K[t].</param>
/// <param name="Weights">Combine weights [N, Kmax], zero in unused slots.</param>
/// <param name="K">Experts used by each token [N] (int64).</param>
public sealed record MoeRouting(Tensor Logits, Tensor Probabilities, Tensor Experts, Tensor Weights, Tensor K);

/// <summary>
/// Mixture of experts with a softmax gate and top-k routing (SEED-MODELS §3 "MoE"; Shazeer et al.
/// 2017, Switch, Mixtral), each expert an <see cref="Mlp"/>. Only routed work is done: the tokens of
/// each expert are gathered, the expert runs on them alone, and its weighted outputs are index-added
/// back (<c>index_select</c> → expert → <c>index_add_</c>), so the cost follows the routed tokens.
/// </summary>
/// <remarks>
/// <para>Submodules, in state-dict order: <c>gate</c> (Linear(d, E)), <c>experts.0</c> … (each an
/// <see cref="Mlp"/>: <c>experts.e.fc</c>, <c>experts.e.proj</c>). PyTorch's default initialization.</para>
/// <para>Dynamic k is per token: H_t is token t's own routing entropy (in nats), so an uncertain token
/// uses more experts and the result does not depend on what else is in the batch. Near a uniform gate
/// H ≈ log E, so with the seed's k 4 of 8 every token starts on all 8 experts; the entropy term (a
/// positive EntropyWeight) sharpens the gate and k falls with it. k is a count: no gradient flows
/// through it, nor through which experts are chosen; the gate learns through the combine weights and
/// the auxiliary losses.</para>
/// <para>The over-use penalty uses the soft share P_e (differentiable); the balance loss's f_e counts
/// assignments (not differentiable, as in Switch). Each step reports <c>{Path}.usage</c> (f, [E]) and
/// <c>{Path}.k</c> (mean k) through <see cref="ForwardContext.Report"/>.</para>
/// <para>The seed's dispatch wrote the expert outputs into a copy of the output tensor, so its MoE
/// always returned zeros; here the outputs are accumulated into the returned tensor, and tests check the
/// result against running every expert on every token with a dense, masked weight matrix.</para>
/// </remarks>
public sealed class Moe : Module
{
    private readonly Linear _gate;
    private readonly ModuleList<Mlp> _experts;

    /// <summary>Creates the layer; throws <see cref="ArgumentException"/> if the options are inconsistent.</summary>
    public Moe(MoeOptions options)
    {
        options.Validate();
        Options = options;
        _gate = RegisterModule("gate", new Linear(new LinearOptions(options.Dim, options.Experts, options.GateBias)));
        _experts = RegisterModule("experts", new ModuleList<Mlp>());
        for (var e = 0; e < options.Experts; e++)
            _experts.Add(new Mlp(new MlpOptions(options.Dim, options.Hidden, options.ExpertActivation, Bias: true, Dropout: options.ExpertDropout)));
    }

    /// <summary>The options this layer was built with.</summary>
    public MoeOptions Options { get; }

    /// <summary>The experts, in order.</summary>
    public IReadOnlyList<Mlp> Experts => _experts;

    /// <summary>
    /// The gate's decision for tokens [N, d] (or any [..., d], flattened): probabilities, chosen
    /// experts, weights and k per token. The tensors belong to the caller's scope.
    /// </summary>
    public MoeRouting Route(Tensor input)
    {
        ExpectShape(input.Rank >= 1 && input.Size(-1) == Options.Dim, $"[..., {Options.Dim}]", input);
        using var scope = TensorScope.Enter();
        var flat = input.Reshape(-1, Options.Dim);
        var tokens = flat.Size(0);
        var logits = _gate.Forward(flat);
        var probabilities = logits.Softmax(-1);
        Tensor k;
        long kMax;
        using (Torch.NoGrad())
        {
            if (Options.DynamicK)
            {
                var entropy = Entropy(logits, probabilities);
                k = entropy.Add(1.0).Mul((double)Options.TopK).Floor().Clamp(1.0, (double)Options.Experts).To(DType.Int64);
                kMax = tokens == 0 ? 1 : k.Max().ItemInt64();
            }
            else
            {
                k = Tensor.Full([tokens], Options.TopK, DType.Int64, input.Device);
                kMax = Options.TopK;
            }
        }
        var (chosen, experts) = probabilities.TopK(kMax, -1);
        if (Options.DynamicK && kMax > 1)
        {
            var slots = Tensor.Arange(0L, kMax, 1L, DType.Int64, input.Device).Unsqueeze(0);
            chosen = chosen.Mul(slots.Lt(k.Unsqueeze(1)).To(chosen.DType));
        }
        var weights = Options.Normalize ? chosen.Div(chosen.Sum(-1, keepDim: true)) : chosen;
        return new MoeRouting(scope.Keep(logits), scope.Keep(probabilities), scope.Keep(experts), scope.Keep(weights), scope.Keep(k));
    }

    /// <summary>
    /// x [..., d] → the mixture and the auxiliary losses (<see cref="MoeOutput"/>); reports expert usage
    /// and mean k. Experts run only on their routed tokens.
    /// </summary>
    public MoeOutput Forward(Tensor input, ForwardContext context)
    {
        using var scope = TensorScope.Enter();
        var routing = Route(input);
        var flat = input.Reshape(-1, Options.Dim);
        var (assignments, counts) = Assignments(routing);
        var mixed = Dispatch(flat, routing, assignments);
        var losses = Losses(routing, counts, flat.DType, flat.Device);

        var total = Math.Max(1, counts.Sum());
        var usage = Tensor.From(counts.Select(c => (double)c / total).ToArray(), [Options.Experts]);
        context.Report(Metric("usage"), usage);
        using (Torch.NoGrad()) context.Report(Metric("k"), routing.K.To(DType.Float64).Mean());

        var output = mixed.Reshape(input.Shape);
        return new MoeOutput(scope.Keep(output), scope.Keep(losses.Aux), scope.Keep(losses.Entropy), scope.Keep(losses.Overuse),
            scope.Keep(losses.Balance), scope.Keep(losses.ZLoss));
    }

    /// <summary>
    /// Every expert on every token, weighted by the dense routing matrix (zero where not routed): the
    /// same output as <see cref="Forward"/> at E/k times the cost. For tests and benchmarks only.
    /// </summary>
    public Tensor ForwardDense(Tensor input)
    {
        using var scope = TensorScope.Enter();
        var routing = Route(input);
        var flat = input.Reshape(-1, Options.Dim);
        var dense = routing.Probabilities.ZerosLike().Scatter(1, routing.Experts, routing.Weights); // [N, E]
        Tensor? mixed = null;
        for (var e = 0; e < _experts.Count; e++)
        {
            var term = dense.Narrow(1, e, 1).Mul(_experts[e].Forward(flat));
            mixed = mixed is null ? term : mixed.Add(term);
        }
        return scope.Keep(mixed!.Reshape(input.Shape));
    }

    private string Metric(string name) => Path.Length == 0 ? name : Path + "." + name;

    /// <summary>
    /// The routed assignments grouped by expert: for expert e, the flat slot positions t·Kmax + j of its
    /// tokens in increasing token order; and the number of assignments per expert.
    /// </summary>
    private (long[][] Positions, long[] Counts) Assignments(MoeRouting routing)
    {
        var slots = routing.Experts.Size(1);
        var experts = routing.Experts.ToArray<long>();
        var k = routing.K.ToArray<long>();
        var lists = new List<long>[Options.Experts];
        for (var e = 0; e < lists.Length; e++) lists[e] = new List<long>();
        for (long t = 0; t < k.Length; t++)
            for (long j = 0; j < k[t]; j++)
                lists[experts[t * slots + j]].Add(t * slots + j);
        return (lists.Select(l => l.ToArray()).ToArray(), lists.Select(l => (long)l.Count).ToArray());
    }

    /// <summary>Σ over experts of index_add(expert(x[tokens]) · w) into zeros [N, d] (in the caller's scope).</summary>
    private Tensor Dispatch(Tensor flat, MoeRouting routing, long[][] positions)
    {
        var slots = routing.Experts.Size(1);
        var weights = routing.Weights.Reshape(-1);
        var mixed = flat.ZerosLike();
        var device = flat.Device;
        for (var e = 0; e < positions.Length; e++)
        {
            if (positions[e].Length == 0) continue;
            using var expertScope = TensorScope.Enter();
            var position = Tensor.From(positions[e], [positions[e].LongLength], device);
            var tokens = position.FloorDivide(slots);
            var outputs = _experts[e].Forward(flat.IndexSelect(0, tokens));
            mixed.IndexAdd_(0, tokens, outputs.Mul(weights.IndexSelect(0, position).Unsqueeze(1)));
        }
        return mixed;
    }

    private readonly record struct LossTerms(Tensor Aux, Tensor Entropy, Tensor Overuse, Tensor Balance, Tensor ZLoss);

    /// <summary>The auxiliary losses (in the caller's scope).</summary>
    private LossTerms Losses(MoeRouting routing, long[] counts, DType dtype, Device device)
    {
        var entropy = Entropy(routing.Logits, routing.Probabilities).Mean();
        var share = routing.Probabilities.Mean(0);                                         // P_e
        var overuse = share.Sub(Options.OveruseThreshold).Relu().Sum();
        var total = Math.Max(1, counts.Sum());
        var fraction = Tensor.From(counts.Select(c => (double)c / total).ToArray(), [Options.Experts], device).To(dtype);
        var balance = fraction.Mul(share).Sum().Mul((double)Options.Experts);
        var zLoss = routing.Logits.LogSumExp(-1).Square().Mean();
        var aux = entropy.Mul(Options.EntropyWeight).Add(overuse.Mul(Options.OveruseWeight))
            .Add(balance.Mul(Options.BalanceWeight)).Add(zLoss.Mul(Options.ZLossWeight));
        return new LossTerms(aux, entropy, overuse, balance, zLoss);
    }

    /// <summary>H_t = −Σ_e p·log p per token, with log p from log_softmax (finite where p underflows).</summary>
    private static Tensor Entropy(Tensor logits, Tensor probabilities)
    {
        using var scope = TensorScope.Enter();
        return scope.Keep(probabilities.Mul(logits.LogSoftmax(-1)).Sum(-1).Neg());
    }

    /// <summary>
    /// The gate's softmax, entropy and top-k and the weighted combine, about 10·E + 2·k·d per token (the
    /// gate and experts count their own; note that an expert runs on about k/E of the positions, so
    /// summing each expert's own per-position count overstates the mixture by E/k).
    /// </summary>
    public override long FlopsPerPosition(long context) => 10 * Options.Experts + 2 * Options.Dim * Options.TopK;
}
