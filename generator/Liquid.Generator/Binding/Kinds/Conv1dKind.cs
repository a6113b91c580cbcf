using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>conv1d</c>: a convolution along the sequence.</summary>
internal sealed class Conv1dKind : LayerKind
{
    public override string Name => "conv1d";

    public override string Doc => "1-D convolution along the sequence of a [B, T, C] stream (optionally causal).";

    public override string RuntimeClass => "Conv1d";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("out", ArgKind.Int, "Output channels.", Required: true),
        new("kernel", ArgKind.Int, "Kernel width.", Required: true),
        new("stride", ArgKind.Int, "Step between outputs.", Default: "1"),
        new("padding", ArgKind.Int, "Zeros on both sides (non-causal).", Default: "0"),
        new("dilation", ArgKind.Int, "Spacing of kernel taps.", Default: "1"),
        new("groups", ArgKind.Int, "Channel groups.", Default: "1"),
        new("causal", ArgKind.Bool, "Pad on the left only so output t sees inputs ≤ t.", Default: "false"),
        Bias,
    ];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !layer.Positive("out") || !layer.Positive("kernel")) return false;
        var width = x.Last.Size!;
        var output = layer.Size("out").Size!;
        var groups = layer.IntExpr("groups", 1);
        var g = layer.Value("groups", 1);
        if (g < 1 || x.Last.Default % g != 0 || layer.Value("out", 1) % g != 0)
            return layer.Fail(Diagnostics.NotDivisible, layer.NodeOf("groups"), $"groups ({g}) must divide the input width ({x.Last.Default}) and out ({layer.Value("out", 1)})");
        if (layer.Flag("causal") && layer.Value("padding", 0) != 0)
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("padding"), "a causal conv1d pads on the left by itself; remove 'padding'");
        // Causal, or stride 1 with 'same' padding, keeps the length; otherwise it is a new symbol.
        var keepsLength = layer.Value("stride", 1) == 1 &&
            (layer.Flag("causal") || 2 * layer.Value("padding", 0) == layer.Value("dilation", 1) * (layer.Value("kernel", 1) - 1));
        var time = keepsLength ? x.Dims[1] : Dim.Of(x.Dims[1].Yaml + "'");
        layer.Output(TensorType.Of(x.Element, x.Dims[0], time, layer.Size("out")));
        layer.Parameters(Ex.Add(Ex.Mul(output, Ex.Div(width, groups), layer.IntExpr("kernel", 1)), Ex.When(layer.FlagExpr("bias"), output)));
        var named = new List<NamedCode>(layer.Named(("stride", "Stride"), ("padding", "Padding"), ("dilation", "Dilation"), ("groups", "Groups"), ("bias", "Bias"), ("causal", "Causal")))
        {
            // The stream is [B, T, C]; PyTorch's layout is [B, C, T].
            new NamedCode("ChannelsLast", new BoolCode(true)),
        };
        layer.Construct(new NewCode("Conv1dOptions", [new ExprCode(width), layer.Code("out"), layer.Code("kernel")], named.ToEquatableArray()));
        return true;
    }
}
