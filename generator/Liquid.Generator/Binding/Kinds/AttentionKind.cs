using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>attention</c>: multi-head or grouped-query self-attention.</summary>
internal sealed class AttentionKind : LayerKind
{
    public override string Name => "attention";

    public override string Doc => "Causal self-attention: multi-head or grouped-query, optional sliding window and rotary positions, KV cache.";

    public override string RuntimeClass => "Attention";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("heads", ArgKind.Int, "Query heads (must divide the width).", Required: true),
        new("kv_heads", ArgKind.Int, "Key/value heads for grouped-query attention (must divide heads).", Nullable: true),
        new("causal", ArgKind.Bool, "Query i sees keys ≤ i.", Default: "true"),
        new("window", ArgKind.Int, "Sliding window: query i sees keys i−W+1 … i.", Nullable: true),
        new("rope", ArgKind.Bool, "Rotary position embedding on queries and keys.", Default: "false"),
        new("rope_theta", ArgKind.Float, "RoPE frequency base.", Default: "10000"),
        new("rope_fraction", ArgKind.Float, "Share of each head's dimensions that rotate.", Default: "1"),
        Bias,
        new("dropout", ArgKind.Float, "Dropout on attention weights and output.", Default: "0"),
        InitStd,
        new("proj_init_std", ArgKind.Float, "Init std of the output projection (defaults to init_std)."),
    ];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("out", "The attended stream [B, T, C].", Member: "Output"),
        new("weights", "The attention weights [B, heads, T, S] (S keys, cached ones included), computed only when bound.", Optional: true),
    ];

    // The KV cache of incremental decoding lives in the call's carried state.
    public override bool TakesContext => true;

    public override string Method(IReadOnlyCollection<string> boundOutputs) => boundOutputs.Contains("weights") ? "ForwardWithWeights" : "Forward";

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !layer.Positive("heads")) return false;
        var width = x.Last;
        var heads = layer.Arg("heads")!;
        var kv = layer.Arg("kv_heads") is { IsNull: false } given ? given : null;
        if (!layer.MustDivide(heads, width.Size!, "heads", "the model width")) return false;
        if (kv is not null && (!layer.Positive("kv_heads") || !layer.MustDivide(kv, heads.Expr!, "kv_heads", "heads"))) return false;
        if (layer.Arg("window") is { IsNull: false } window)
        {
            if (!layer.Positive("window")) return false;
            if (!layer.Flag("causal")) return layer.Fail(Diagnostics.OutOfRange, window.Node, "a sliding window needs causal attention (query i sees keys i−W+1 … i)");
        }
        if (!layer.Probability("dropout")) return false;
        var headDim = width.Default / heads.Value.Int;
        if (layer.Flag("rope"))
        {
            var fraction = layer.Number("rope_fraction", 1.0);
            var rotating = System.Math.Round(headDim * fraction);
            if (fraction <= 0 || fraction > 1 || rotating < 2 || rotating % 2 != 0)
                return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("rope_fraction"),
                    $"rope_fraction {fraction} of head width {headDim} gives {rotating} rotating dims; it must be a positive even number");
        }

        // q, k and v in one projection (heads + 2·kv_heads head widths), then the output projection.
        var c = width.Size!;
        var bias = layer.FlagExpr("bias");
        // Without grouped queries q, k and v are c wide each; with them k and v have kv_heads head widths.
        var qkv = kv?.Expr is { } kvHeads
            ? Ex.Add(c, Ex.Mul(Ex.Int(2), kvHeads, Ex.Div(c, heads.Expr!)))
            : Ex.Mul(Ex.Int(3), c);
        layer.Output(x);
        if (layer.IsBound("weights")) layer.Output("weights", TensorType.Of(ElementType.Float, x.Dims[0], Dim.Of(heads.Expr!, heads.Value.Int), x.Dims[1], Dim.Of("S")));
        layer.Parameters(Ex.Sum(Ex.Mul(c, qkv), Ex.When(bias, qkv), Ex.Mul(c, c), Ex.When(bias, c)));

        var named = layer.Named(("kv_heads", "KvHeads"), ("causal", "Causal"), ("window", "Window")).ToList();
        if (layer.Arg("rope") is { } rope && !(rope.Expr is BoolLiteral { Value: false }))
        {
            var options = new NewCode("RopeOptions", [layer.CodeOr("rope_theta", new ExprCode(new FloatLiteral(10000, "10000.0"))), layer.CodeOr("rope_fraction", new ExprCode(new FloatLiteral(1, "1.0")))], EquatableArray<NamedCode>.Empty);
            named.Add(new NamedCode("Rope", rope.Expr is BoolLiteral ? options : new ChooseCode(rope.Expr!, options, NullCode.Instance)));
        }
        named.AddRange(layer.Named(("bias", "Bias"), ("dropout", "Dropout"), ("init_std", "InitStd"), ("proj_init_std", "ProjInitStd")));
        layer.Construct(new NewCode("AttentionOptions", [new ExprCode(c), layer.Code("heads")], named.ToEquatableArray()));
        return true;
    }
}
