using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>layer_norm</c>.</summary>
internal sealed class LayerNormKind : LayerKind
{
    public override string Name => "layer_norm";

    public override string Doc => "LayerNorm over the last dimension.";

    public override string RuntimeClass => "LayerNorm";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("eps", ArgKind.Float, "Added to the variance.", Default: "1e-5"),
        Bias,
    ];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Features() is not { } x) return false;
        var width = x.Last.Size!;
        layer.Output(x);
        layer.Parameters(Ex.Add(width, Ex.When(layer.FlagExpr("bias"), width)));
        layer.Construct(new NewCode("LayerNormOptions", [new ExprCode(width)], layer.Named(("eps", "Eps"), ("bias", "Bias"))));
        return true;
    }
}
