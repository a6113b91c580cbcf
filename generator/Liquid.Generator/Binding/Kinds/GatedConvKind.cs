using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>gated_conv</c>: the Liquid Foundation's gated deformable convolution.</summary>
internal sealed class GatedConvKind : LayerKind
{
    public override string Name => "gated_conv";

    public override string Doc => "Deformable conv C → 2C (length kept), GELU(main)·σ(gate) → dropout → per-position normalization without affine parameters: [B, T, C] → [B, T, C].";

    public override string RuntimeClass => "GatedConv";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("kernel", ArgKind.Int, "Taps of the deformable convolution (dilation·(kernel − 1) must be even unless causal, so the length is kept).", Default: "3"),
        new("dilation", ArgKind.Int, "Spacing of the taps.", Default: "2"),
        new("dropout", ArgKind.Float, "Dropout on the gated activation while training.", Default: "0.1"),
        new("eps", ArgKind.Float, "Epsilon of the final normalization.", Default: "1e-5"),
        new("causal", ArgKind.Bool, "Causal deformable convolution (output t sees inputs ≤ t).", Default: "false"),
    ];

    // The training flag (dropout).
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !layer.Positive("kernel") || !layer.Positive("dilation") || !layer.Probability("dropout")) return false;
        long kernel = layer.Value("kernel", 3), dilation = layer.Value("dilation", 2);
        if (!layer.Flag("causal") && dilation * (kernel - 1) % 2 != 0)
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf(layer.Has("kernel") ? "kernel" : "dilation"),
                $"dilation {dilation} × (kernel {kernel} − 1) is odd, so symmetric padding cannot keep the length; change one, or causal: true");
        if (!(layer.Number("eps", 1e-5) > 0)) return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("eps"), $"eps must be positive, not {layer.Number("eps", 1e-5)}");
        var c = x.Last.Size!;
        var k = layer.IntExpr("kernel", 3);
        layer.Output(x);
        // The deformable conv C → 2C: weight [2C, C, K], bias [2C], offsets [K, C, K] and [K].
        var doubled = Ex.Mul(Ex.Int(2), c);
        layer.Parameters(Ex.Sum(Ex.Mul(doubled, c, k), doubled, Ex.Mul(k, c, k), k));
        layer.Construct(new NewCode("GatedConvOptions", [new ExprCode(c)],
            layer.Named(("kernel", "Kernel"), ("dilation", "Dilation"), ("dropout", "Dropout"), ("eps", "Eps"), ("causal", "Causal"))));
        return true;
    }
}
