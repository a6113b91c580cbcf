using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>ff_ln</c>: the Liquid Foundation's feed-forward block with a LayerNorm inside.</summary>
internal sealed class FfLnKind : LayerKind
{
    public override string Name => "ff_ln";

    public override string Doc => "Feed-forward block Linear(C, hidden) → LayerNorm(hidden) → GELU → dropout → Linear(hidden, C) over the last dimension.";

    public override string RuntimeClass => "FfLn";

    public override string? ScalarArg => "hidden";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("hidden", ArgKind.Int, "Inner width.", Required: true),
        new("dropout", ArgKind.Float, "Dropout after the GELU while training.", Default: "0.1"),
        new("eps", ArgKind.Float, "Epsilon of the inner LayerNorm.", Default: "1e-5"),
    ];

    // The training flag (dropout).
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Features() is not { } x || !layer.Positive("hidden") || !layer.Probability("dropout")) return false;
        if (!(layer.Number("eps", 1e-5) > 0)) return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("eps"), $"eps must be positive, not {layer.Number("eps", 1e-5)}");
        var c = x.Last.Size!;
        var hidden = layer.Size("hidden").Size!;
        layer.Output(x);
        // fc C → hidden, the LayerNorm's gain and bias, proj hidden → C.
        layer.Parameters(Ex.Sum(Ex.Add(Ex.Mul(c, hidden), hidden), Ex.Mul(Ex.Int(2), hidden), Ex.Add(Ex.Mul(hidden, c), c)));
        layer.Construct(new NewCode("FfLnOptions", [new ExprCode(c), layer.Code("hidden")], layer.Named(("dropout", "Dropout"), ("eps", "Eps"))));
        return true;
    }
}
