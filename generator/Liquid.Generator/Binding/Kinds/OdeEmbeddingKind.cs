using Liquid.Generator.Parsing;
using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>ode_embedding</c>: SEED-MODELS §4's embedding integrated through its own ODE.</summary>
internal sealed class OdeEmbeddingKind : LayerKind
{
    public override string Name => "ode_embedding";

    public override string Doc => "e₀ = dropout(LN(Linear(x))) integrated over [0, 1] through de/dt = LN(−decay·(1 + adaptive·‖e‖)·e + 0.8·tanh e + 0.2·GELU e + 0.1·e) (dopri5 or a fixed grid); out = e(1) + 0.1·e₀, position-wise.";

    public override string RuntimeClass => "OdeEmbedding";

    public override string? ScalarArg => "hidden";

    public override bool UsesOdeSolvers => true;

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("hidden", ArgKind.Int, "Width H of the embedding.", Required: true),
        new("dropout", ArgKind.Float, "Dropout on e₀ while training.", Default: "0.1"),
        new("decay", ArgKind.Float, "The field's decay rate.", Default: "0.1"),
        new("adaptive", ArgKind.Float, "How much the decay grows with ‖e‖.", Default: "0.01"),
        .. LiquidCellArgs.Solver("dopri5", "1e-3"),
    ];

    // The training flag (dropout) and the solve's evaluations, reported as PATH.nfe.
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Features(0) is not { } x || !layer.Positive("hidden") || !layer.Probability("dropout")) return false;
        if (!LiquidCellArgs.CheckSolver(layer)) return false;
        Expr c = x.Last.Size!, h = layer.Size("hidden").Size!;
        layer.Output(x.WithLast(layer.Size("hidden")));
        layer.Parameters(Ex.Add(Ex.Mul(c, h), Ex.Mul(Ex.Int(5), h))); // proj, norm_in, norm_field
        var named = new List<NamedCode>(layer.Named(("dropout", "Dropout"), ("decay", "Decay"), ("adaptive", "Adaptive")));
        named.AddRange(LiquidCellArgs.SolverNamed(layer, stepSize: true));
        layer.Construct(new NewCode("OdeEmbeddingOptions", [new ExprCode(c), layer.Code("hidden")], named.ToEquatableArray()));
        return true;
    }
}
