using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>deformable_conv1d</c>: a 1-D convolution whose taps sample at learned fractional offsets.</summary>
internal sealed class DeformableConv1dKind : LayerKind
{
    public override string Name => "deformable_conv1d";

    public override string Doc => "Deformable 1-D convolution along the sequence of a [B, T, C] stream: each tap samples x at t·s + k·d − p + Δ by linear interpolation, Δ from a zero-initialized convolution (so a new layer equals conv1d); optionally causal.";

    public override string RuntimeClass => "DeformableConv1d";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("out", ArgKind.Int, "Output channels.", Required: true),
        new("kernel", ArgKind.Int, "Taps K.", Required: true),
        new("stride", ArgKind.Int, "Step between outputs.", Default: "1"),
        new("padding", ArgKind.Int, "Zeros on both sides (non-causal).", Default: "0"),
        new("dilation", ArgKind.Int, "Spacing of the taps.", Default: "1"),
        Bias,
        new("causal", ArgKind.Bool, "Pad on the left only, and never read beyond the output's own position, so output t sees inputs ≤ t.", Default: "false"),
    ];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !layer.Positive("out") || !layer.Positive("kernel") || !layer.Positive("stride") || !layer.Positive("dilation")) return false;
        if (layer.Value("padding", 0) < 0) return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("padding"), $"padding must not be negative, not {layer.Value("padding", 0)}");
        if (layer.Flag("causal") && layer.Value("padding", 0) != 0)
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("padding"), "a causal deformable_conv1d pads on the left by itself; remove 'padding'");
        var width = x.Last.Size!;
        var output = layer.Size("out").Size!;
        var kernel = layer.IntExpr("kernel", 1);
        // Causal, or stride 1 with 'same' padding, keeps the length; otherwise it is a new symbol.
        var keepsLength = layer.Value("stride", 1) == 1 &&
            (layer.Flag("causal") || 2 * layer.Value("padding", 0) == layer.Value("dilation", 1) * (layer.Value("kernel", 1) - 1));
        var time = keepsLength ? x.Dims[1] : Dim.Of(x.Dims[1].Yaml + "'");
        layer.Output(TensorType.Of(x.Element, x.Dims[0], time, layer.Size("out")));
        // weight [out, C, K] and bias [out]; the offset convolution's weight [K, C, K] and bias [K].
        layer.Parameters(Ex.Sum(Ex.Mul(output, width, kernel), Ex.When(layer.FlagExpr("bias"), output), Ex.Mul(kernel, width, kernel), kernel));
        layer.Construct(new NewCode("DeformableConv1dOptions", [new ExprCode(width), layer.Code("out"), layer.Code("kernel")],
            layer.Named(("stride", "Stride"), ("padding", "Padding"), ("dilation", "Dilation"), ("bias", "Bias"), ("causal", "Causal"))));
        return true;
    }
}
