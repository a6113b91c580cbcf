using System.Collections.Generic;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>diff_attention</c>: differential attention with grouped-query heads, RoPE and an exact sliding window.</summary>
internal sealed class DiffAttentionKind : LayerKind
{
    public override string Name => "diff_attention";

    public override string Doc => "Differential attention A(q₁, k₁)·v − λ·A(q₂, k₂)·v (Ye et al. 2024) with grouped-query heads, RoPE on both query/key pairs, no projection biases, causal over an exact sliding window; KV cache.";

    public override string RuntimeClass => "DiffAttention";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("heads", ArgKind.Int, "Query heads H (2·H must divide the width: each head splits into two halves).", Required: true),
        new("kv_groups", ArgKind.Int, "Query heads per key/value head: H / kv_groups key/value heads (1 is multi-head).", Default: "1"),
        new("window", ArgKind.Int, "Sliding window W: query i sees keys i − W + 1 … i (null: every earlier key).", Nullable: true),
        new("causal", ArgKind.Bool, "Query i sees keys ≤ i (false: every key, no window).", Default: "true"),
        new("rope_theta", ArgKind.Float, "RoPE frequency base on q₁, q₂, k₁, k₂ (null: no rotary positions).", Default: "10000", Nullable: true),
        new("lambda_init", ArgKind.Float, "λ_init in λ = exp(λq₁·λk₁) − exp(λq₂·λk₂) + λ_init.", Default: "0.8"),
        new("lambda_min", ArgKind.Float, "Lower clamp of λ.", Default: "0.1"),
        new("lambda_max", ArgKind.Float, "Upper clamp of λ.", Default: "0.9"),
        new("lambda_init_std", ArgKind.Float, "The λ vectors start N(0, std²).", Default: "0.1"),
        new("dropout", ArgKind.Float, "Dropout on the output while training.", Default: "0"),
        new("fused", ArgKind.Bool, "Attend through the band kernel (false: the dense masked composition, for comparisons).", Default: "true"),
    ];

    public override IReadOnlyList<PortInfo> Outputs { get; } = [new("out", "The attended stream [B, T, C].")];

    // The KV cache of incremental decoding and the training flag.
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !layer.Positive("heads") || !layer.Positive("kv_groups")) return false;
        var width = x.Last;
        var c = width.Size!;
        var heads = layer.Arg("heads")!;
        if (!layer.MustDivide(heads, c, "heads", "the model width")) return false;
        var groups = layer.IntExpr("kv_groups", 1);
        if (layer.Arg("kv_groups") is { IsNull: false } given && !layer.MustDivide(given, heads.Expr!, "kv_groups", "heads")) return false;
        var headDim = Ex.Div(c, heads.Expr!);
        var headWidth = width.Default / heads.Value.Int;
        // Each head splits into two halves (q₁ | q₂, k₁ | k₂); with RoPE each half rotates in pairs.
        var rope = !(layer.Arg("rope_theta") is { IsNull: true });
        var multiple = rope ? 4 : 2;
        if (headWidth % multiple != 0)
            return layer.Fail(Diagnostics.NotDivisible, heads.Node, rope
                ? $"the head width {width.Default} / {heads.Value.Int} = {headWidth} must be a multiple of 4 (two halves, each rotated in pairs), or rope_theta: null"
                : $"the head width {width.Default} / {heads.Value.Int} = {headWidth} must be even (two halves of q and k)");
        // Guarded like MustDivide's check: heads 0 is reported by the positivity check, not a division by zero.
        layer.AlsoValidate(Ex.And(Ex.NotEqual(heads.Expr!, Ex.Int(0)), Ex.NotEqual(Ex.Remainder(headDim, Ex.Int(multiple)), Ex.Int(0))),
            MessagePart.Of("the head width " + Render.Expression(headDim) + " ("), MessagePart.Of(headDim), MessagePart.Of(rope ? ") must be a multiple of 4 (two rotated halves)" : ") must be even"));
        if (rope && !(layer.Number("rope_theta", 10_000) > 1))
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("rope_theta"), $"rope_theta must be above 1, not {layer.Number("rope_theta", 10_000)}");
        if (layer.Arg("window") is { IsNull: false } window)
        {
            if (!layer.Positive("window")) return false;
            if (!layer.Flag("causal")) return layer.Fail(Diagnostics.OutOfRange, window.Node, "a sliding window needs causal attention (query i sees keys i−W+1 … i)");
        }
        if (!layer.Probability("dropout")) return false;
        if (layer.Number("lambda_min", 0.1) > layer.Number("lambda_max", 0.9))
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("lambda_min"), $"lambda_min ({layer.Number("lambda_min", 0.1)}) exceeds lambda_max ({layer.Number("lambda_max", 0.9)})");
        if (layer.Number("lambda_init_std", 0.1) < 0)
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("lambda_init_std"), $"lambda_init_std must not be negative, not {layer.Number("lambda_init_std", 0.1)}");

        layer.Output(x);
        // qkv [(H + 2·H/groups)·Dh, C] = C·C + 2·(H/groups)·Dh·C, proj C·C, four λ vectors of Dh/2.
        var kvWidth = Ex.Mul(Ex.Int(2), Ex.Div(heads.Expr!, groups), headDim);
        layer.Parameters(Ex.Sum(Ex.Mul(c, Ex.Add(c, kvWidth)), Ex.Mul(c, c), Ex.Mul(Ex.Int(2), headDim)));
        layer.Construct(new NewCode("DiffAttentionOptions", [new ExprCode(c), layer.Code("heads")],
            layer.Named(("kv_groups", "KvGroups"), ("window", "Window"), ("causal", "Causal"), ("rope_theta", "RopeTheta"), ("lambda_init", "LambdaInit"),
                ("lambda_min", "LambdaMin"), ("lambda_max", "LambdaMax"), ("lambda_init_std", "LambdaInitStd"), ("dropout", "Dropout"), ("fused", "Fused"))));
        return true;
    }
}
