using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>activation</c>: a pointwise nonlinearity.</summary>
internal sealed class ActivationKind : LayerKind
{
    public override string Name => "activation";

    public override string Doc => "A pointwise nonlinearity.";

    public override string RuntimeClass => "Activation";

    public override string? ScalarArg => "fn";

    public override IReadOnlyList<ArgInfo> Args { get; } =
        [new("fn", ArgKind.Enum, "Which function.", Required: true, Values: ["gelu", "gelu_tanh", "silu", "relu", "tanh"])];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Tensor(floating: true) is not { } x) return false;
        layer.Output(x);
        layer.Construct(layer.EnumCode("fn", "ActivationKind"));
        return true;
    }
}
