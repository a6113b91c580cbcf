using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>linear</c>.</summary>
internal sealed class LinearKind : LayerKind
{
    public override string Name => "linear";

    public override string Doc => "Affine map of the last dimension: [..., C] → [..., out].";

    public override string RuntimeClass => "Linear";

    public override string? ScalarArg => "out";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("out", ArgKind.Int, "Output width.", Required: true),
        Bias, InitStd,
    ];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Features() is not { } x || !layer.Positive("out")) return false;
        var width = x.Last.Size!;
        var output = layer.Size("out");
        layer.Output(x.WithLast(output));
        layer.Parameters(Ex.Add(Ex.Mul(width, output.Size!), Ex.When(layer.FlagExpr("bias"), output.Size!)));
        layer.Construct(new NewCode("LinearOptions", [new ExprCode(width), layer.Code("out")], layer.Named(("bias", "Bias"), ("init_std", "InitStd"))));
        return true;
    }
}
