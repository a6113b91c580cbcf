using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>activity_regularization</c>: passes the stream on and makes an auxiliary loss of its size.</summary>
internal sealed class ActivityRegularizationKind : LayerKind
{
    public override string Name => "activity_regularization";

    public override string Doc => "Passes its input on and produces the auxiliary loss l1·mean|x| + l2·mean x² (weigh it under objective.aux).";

    public override string RuntimeClass => "ActivityRegularization";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("l1", ArgKind.Float, "Weight of mean |x|.", Default: "0"),
        new("l2", ArgKind.Float, "Weight of mean x².", Default: "0"),
    ];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("out", "The input, unchanged.", Member: "Output"),
        new("loss", "The penalty, a scalar.", PortKind.Loss),
    ];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Tensor(floating: true) is not { } x) return false;
        foreach (var weight in new[] { "l1", "l2" })
            if (layer.Number(weight, 0) < 0) return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf(weight), $"{weight} must be at least 0, not {layer.Number(weight, 0)}");
        layer.Output(x);
        layer.Construct(new NewCode("ActivityRegularizationOptions", [], layer.Named(("l1", "L1"), ("l2", "L2"))));
        return true;
    }
}
