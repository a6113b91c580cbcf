using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>dropout</c>.</summary>
internal sealed class DropoutKind : LayerKind
{
    public override string Name => "dropout";

    public override string Doc => "Zeroes elements with probability p while training (and scales the rest by 1/(1 − p)).";

    public override string RuntimeClass => "Dropout";

    public override string? ScalarArg => "p";

    public override IReadOnlyList<ArgInfo> Args { get; } = [new("p", ArgKind.Float, "Drop probability in [0, 1).", Required: true)];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Tensor() is not { } x || !layer.Probability("p")) return false;
        layer.Output(x);
        layer.Construct(layer.Code("p"));
        return true;
    }
}
