using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>rms_norm</c>.</summary>
internal sealed class RmsNormKind : LayerKind
{
    public override string Name => "rms_norm";

    public override string Doc => "RMSNorm over the last dimension (Llama).";

    public override string RuntimeClass => "RmsNorm";

    public override IReadOnlyList<ArgInfo> Args { get; } = [new("eps", ArgKind.Float, "Added to the mean square.", Default: "1e-6")];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Features() is not { } x) return false;
        var width = x.Last.Size!;
        layer.Output(x);
        layer.Parameters(width);
        layer.Construct(new NewCode("RmsNormOptions", [new ExprCode(width)], layer.Named(("eps", "Eps"))));
        return true;
    }
}
