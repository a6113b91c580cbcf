using System.Collections.Generic;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>moe</c>: a mixture of MLP experts with a softmax gate and (dynamic) top-k routing.</summary>
internal sealed class MoeKind : LayerKind
{
    public override string Name => "moe";

    public override string Doc => "Mixture of MLP experts: softmax gate, top-k routing (optionally a dynamic k per token from its routing entropy), each expert run on its routed tokens only; auxiliary losses and expert usage per step.";

    public override string RuntimeClass => "Moe";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("hidden", ArgKind.Int, "Hidden width of each expert MLP.", Required: true),
        new("experts", ArgKind.Int, "Number of experts E.", Default: "8"),
        new("top_k", ArgKind.Int, "Experts per token k (with dynamic_k the base of k_t = clamp(⌊k·(1 + H_t)⌋, 1, E)).", Default: "4"),
        new("dynamic_k", ArgKind.Bool, "Per-token k from the entropy H_t of its gate distribution.", Default: "true"),
        new("normalize", ArgKind.Bool, "Renormalize the chosen gate probabilities to sum 1 (Mixtral; false keeps them, as Switch).", Default: "true"),
        new("gate_bias", ArgKind.Bool, "Bias on the gate.", Default: "true"),
        new("entropy_weight", ArgKind.Float, "Weight of the routing entropy in 'aux'.", Default: "0.05"),
        new("overuse_threshold", ArgKind.Float, "Share of the gate mass above which an expert is penalized.", Default: "0.4"),
        new("overuse_weight", ArgKind.Float, "Weight of the over-use penalty in 'aux'.", Default: "1"),
        new("balance_weight", ArgKind.Float, "Weight of the Switch load-balancing loss in 'aux' (0: off).", Default: "0"),
        new("z_loss_weight", ArgKind.Float, "Weight of the router z-loss in 'aux' (0: off).", Default: "0"),
        new("expert_activation", ArgKind.Enum, "The experts' hidden nonlinearity.", Default: "gelu", Values: ["gelu", "relu", "silu", "swiglu", "geglu"]),
        new("expert_dropout", ArgKind.Float, "Dropout at each expert's output while training.", Default: "0"),
    ];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("out", "The mixture Σ_e w_e·expert_e(x), shaped like the input.", Member: "Output"),
        new("aux", "entropy_weight·entropy + overuse_weight·overuse + balance_weight·balance + z_loss_weight·z_loss.", PortKind.Loss),
        new("entropy", "The mean routing entropy (unweighted).", PortKind.Loss),
        new("overuse", "Σ_e max(0, P_e − overuse_threshold), P_e the expert's mean gate probability (unweighted).", PortKind.Loss),
        new("balance", "The Switch load-balancing loss E·Σ_e f_e·P_e (unweighted; 1 when uniform).", PortKind.Loss),
        new("z_loss", "The router z-loss mean (logsumexp logits)² (unweighted).", PortKind.Loss),
    ];

    // The training flag (expert dropout) and the usage it reports.
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Features() is not { } x || !layer.Positive("hidden") || !layer.Positive("experts") || !layer.Positive("top_k") || !layer.Probability("expert_dropout")) return false;
        var experts = layer.IntExpr("experts", 8);
        var topK = layer.IntExpr("top_k", 4);
        if (layer.Value("top_k", 4) > layer.Value("experts", 8))
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("top_k"), $"top_k ({layer.Value("top_k", 4)}) must not exceed experts ({layer.Value("experts", 8)})");
        layer.AlsoValidate(Ex.Less(experts, topK), MessagePart.Of(Render.Expression(topK) + " ("), MessagePart.Of(topK),
            MessagePart.Of(") must not exceed " + Render.Expression(experts) + " ("), MessagePart.Of(experts), MessagePart.Of(")"));
        var threshold = layer.Number("overuse_threshold", 0.4);
        if (threshold is < 0 or > 1) return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("overuse_threshold"), $"overuse_threshold must be a share in [0, 1], not {threshold}");

        var d = x.Last.Size!;
        var hidden = layer.Size("hidden").Size!;
        var activation = layer.Word("expert_activation") ?? "gelu";
        var gated = activation is "swiglu" or "geglu";
        layer.Output(x);
        // The gate Linear(d, E), then E biased MLPs: fc (gate and up when gated) d → hidden, proj hidden → d.
        var input = Ex.Add(Ex.Mul(d, hidden), hidden);
        var expert = Ex.Add(gated ? Ex.Mul(Ex.Int(2), input) : input, Ex.Add(Ex.Mul(hidden, d), d));
        layer.Parameters(Ex.Sum(Ex.Mul(d, experts), Ex.When(layer.FlagExpr("gate_bias"), experts), Ex.Mul(experts, expert)));

        var named = new List<NamedCode>(layer.Named(("experts", "Experts"), ("top_k", "TopK"), ("dynamic_k", "DynamicK"), ("normalize", "Normalize"),
            ("gate_bias", "GateBias"), ("entropy_weight", "EntropyWeight"), ("overuse_threshold", "OveruseThreshold"), ("overuse_weight", "OveruseWeight"),
            ("balance_weight", "BalanceWeight"), ("z_loss_weight", "ZLossWeight")));
        if (layer.Has("expert_activation"))
            named.Add(new NamedCode("ExpertActivation", new EnumCode("MlpActivation", activation switch { "swiglu" => "SwiGlu", "geglu" => "GeGlu", _ => Names.Pascal(activation) })));
        named.AddRange(layer.Named(("expert_dropout", "ExpertDropout")));
        layer.Construct(new NewCode("MoeOptions", [new ExprCode(d), layer.Code("hidden")], named.ToEquatableArray()));
        return true;
    }
}
