using System.Collections.Generic;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>affine_coupling</c>: one RealNVP coupling layer with its log-determinant.</summary>
internal sealed class AffineCouplingKind : LayerKind
{
    public override string Name => "affine_coupling";

    public override string Doc => "A RealNVP affine coupling: half the features pass and condition y₂ = x₂·exp(s) + t of the other half, s = tanh(MLP), t = MLP; outputs y and log|det J| = Σ s, exactly invertible.";

    public override string RuntimeClass => "AffineCoupling";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("hidden", ArgKind.Int, "Hidden width of the scale and shift networks.", Required: true),
        new("parity", ArgKind.Int, "0: the first ⌊D/2⌋ features condition the rest; 1: the rest condition the first.", Default: "0"),
    ];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("out", "y […, D], the input's shape.", Member: "Output"),
        new("log_det", "log|det ∂y/∂x| per position […].", Member: "LogDet"),
    ];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Features(0) is not { } input) return false;
        if (!layer.Positive("hidden")) return false;
        var parity = layer.Value("parity", 0);
        if (parity is not (0 or 1)) return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("parity"), $"parity must be 0 or 1, not {parity}");
        var dim = input.Last.Size!;
        if (layer.Evaluate(dim) < 2) return layer.Fail(Diagnostics.OutOfRange, layer.Key, $"'affine_coupling' needs at least 2 features to split, but receives {input.Display}");
        layer.Output(input);
        layer.Output("log_det", input.Without(input.Rank - 1));
        layer.Parameters(Flows.CouplingParameters(dim, layer.IntExpr("hidden", 1), parity));
        var named = layer.Named(("parity", "Parity"));
        layer.Construct(new NewCode("AffineCouplingOptions", [new ExprCode(dim), layer.Code("hidden")], named));
        return true;
    }
}

/// <summary>Parameter counts the flow kinds share.</summary>
internal static class Flows
{
    /// <summary>
    /// A coupling's two networks, each c·hidden + hidden + hidden·t + t for c conditioning and t
    /// transformed features (c = ⌊D/2⌋ with parity 0): 2·(hidden·D + hidden + t).
    /// </summary>
    public static Expr CouplingParameters(Expr dim, Expr hidden, long parity)
    {
        var half = Ex.Div(dim, Ex.Int(2));
        var transformed = parity == 0 ? Ex.Add(dim, Ex.Mul(Ex.Int(-1), half)) : half;
        return Ex.Mul(Ex.Int(2), Ex.Sum(Ex.Mul(hidden, dim), hidden, transformed));
    }
}
