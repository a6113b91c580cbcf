using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>power</c>: xᵖ elementwise.</summary>
internal sealed class PowerKind : LayerKind
{
    public override string Name => "power";

    public override string Doc => "Raises every element to a fixed power (a feature map, e.g. `power: 3`).";

    public override string RuntimeClass => "Power";

    public override string? ScalarArg => "exponent";

    public override IReadOnlyList<ArgInfo> Args { get; } = [new("exponent", ArgKind.Float, "The power p in xᵖ.", Required: true)];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Tensor(floating: true) is not { } x) return false;
        layer.Output(x);
        layer.Construct(layer.Code("exponent"));
        return true;
    }
}
