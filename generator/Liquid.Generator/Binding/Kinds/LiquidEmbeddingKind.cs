using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>liquid_embedding</c>: the Liquid Foundation's convolutional input embedding with adaptive FFT compression.</summary>
internal sealed class LiquidEmbeddingKind : LayerKind
{
    public override string Name => "liquid_embedding";

    public override string Doc => "Token + learned position → GELU(conv) → GELU(conv) → LayerNorm → dropout, then an adaptive FFT low-pass over the sequence and LN(proj(·)); long[B, T] → float[B, T, dim] and a reconstruction loss.";

    public override string RuntimeClass => "LiquidEmbedding";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("vocab", ArgKind.Int, "Number of token ids.", Required: true),
        new("dim", ArgKind.Int, "Width of the embedding.", Required: true),
        new("max_positions", ArgKind.Int, "Rows of the learned position table (the context).", Required: true),
        new("kernel", ArgKind.Int, "Width of both convolutions (odd unless causal).", Default: "3"),
        new("dropout", ArgKind.Float, "Dropout after the first LayerNorm while training.", Default: "0.1"),
        new("threshold", ArgKind.Float, "A frequency bin is significant when |X| > threshold·max|X|.", Default: "0.1"),
        new("ratio_scale", ArgKind.Float, "ratio = clamp(ratio_scale·(1 − complexity), min_ratio, max_ratio).", Default: "0.5"),
        new("min_ratio", ArgKind.Float, "Lower clamp of the compression ratio.", Default: "0.1"),
        new("max_ratio", ArgKind.Float, "Upper clamp of the compression ratio.", Default: "1"),
        new("cosine_weight", ArgKind.Float, "Weight of mean(1 − cos) in the reconstruction loss.", Default: "0.6"),
        new("smooth_l1_weight", ArgKind.Float, "Weight of Smooth L1 in the reconstruction loss.", Default: "0.2"),
        new("mse_weight", ArgKind.Float, "Weight of MSE in the reconstruction loss.", Default: "0.2"),
        new("smooth_l1_beta", ArgKind.Float, "Smooth L1's transition point.", Default: "1"),
        new("eps", ArgKind.Float, "Epsilon of both LayerNorms.", Default: "1e-5"),
        new("causal", ArgKind.Bool, "Left-padded (causal) convolutions; the FFT still mixes the whole sequence.", Default: "false"),
        new("target", ArgKind.Enum, "What the reconstruction loss compares the output with: proj(r) (the seed's), or the embedding before compression.", Default: "projection", Values: ["projection", "embedding"]),
        new("init_std", ArgKind.Float, "Init std of the token and position tables instead of nn.Embedding's N(0, 1)."),
    ];

    public override IReadOnlyList<PortInfo> Inputs { get; } = [new("ids", "Token ids [B, T].")];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("out", "LN(proj(r)) [B, T, dim], r the low-passed embedding.", Member: "Embedding"),
        new("reconstruction", "The reconstruction loss 0.6·(1 − cos) + 0.2·SmoothL1 + 0.2·MSE (with the default weights), a scalar.", PortKind.Loss, Member: "ReconstructionLoss"),
    ];

    // The training flag (dropout), the check that no positions were consumed, and the ratio it reports.
    public override bool TakesContext => true;

    // The FFT (and non-causal convolutions) mix the whole sequence: a later call cannot continue it.
    public override bool Incremental => false;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Ids() is not { } ids) return false;
        if (ids.Rank != 2) return layer.Fail(Diagnostics.ShapeMismatch, layer.Key, $"'liquid_embedding' takes token ids long[B, T] but receives {ids.Display}");
        foreach (var size in new[] { "vocab", "dim", "max_positions", "kernel" })
            if (!layer.Positive(size)) return false;
        if (!layer.Probability("dropout")) return false;
        var kernel = layer.Value("kernel", 3);
        if (!layer.Flag("causal") && kernel % 2 == 0)
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("kernel"), $"an even kernel ({kernel}) cannot keep the length with symmetric padding; use an odd one, or causal: true");
        var threshold = layer.Number("threshold", 0.1);
        if (threshold is < 0 or > 1) return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("threshold"), $"threshold must be in [0, 1], not {threshold}");
        double minRatio = layer.Number("min_ratio", 0.1), maxRatio = layer.Number("max_ratio", 1.0);
        if (!(minRatio > 0) || minRatio > maxRatio || maxRatio > 1)
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf(layer.Has("min_ratio") ? "min_ratio" : "max_ratio"), $"the ratios need 0 < min_ratio ({minRatio}) ≤ max_ratio ({maxRatio}) ≤ 1");
        foreach (var positive in new[] { ("smooth_l1_beta", 1.0), ("eps", 1e-5) })
            if (!(layer.Number(positive.Item1, positive.Item2) > 0))
                return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf(positive.Item1), $"{positive.Item1} must be positive, not {layer.Number(positive.Item1, positive.Item2)}");
        if (layer.Has("init_std") && !(layer.Number("init_std", 1) > 0))
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("init_std"), $"init_std must be positive, not {layer.Number("init_std", 1)}");

        var vocab = layer.Size("vocab");
        var dim = layer.Size("dim");
        var d = dim.Size!;
        var k = layer.IntExpr("kernel", 3);
        layer.Output(new TensorType(ElementType.Float, ids.Dims).Append(dim));
        // token and position tables; two convolutions d → d (weight and bias); norm; proj; out_norm.
        var conv = Ex.Add(Ex.Mul(d, d, k), d);
        layer.Parameters(Ex.Sum(Ex.Mul(vocab.Size!, d), Ex.Mul(layer.Size("max_positions").Size!, d), Ex.Mul(Ex.Int(2), conv),
            Ex.Mul(Ex.Int(2), d), Ex.Add(Ex.Mul(d, d), d), Ex.Mul(Ex.Int(2), d)));
        layer.SetsVocabulary("vocab");
        layer.LimitsContext("max_positions");

        var named = new List<NamedCode>(layer.Named(("kernel", "Kernel"), ("dropout", "Dropout"), ("threshold", "Threshold"), ("ratio_scale", "RatioScale"),
            ("min_ratio", "MinRatio"), ("max_ratio", "MaxRatio"), ("cosine_weight", "CosineWeight"), ("smooth_l1_weight", "SmoothL1Weight"),
            ("mse_weight", "MseWeight"), ("smooth_l1_beta", "SmoothL1Beta"), ("eps", "Eps"), ("causal", "Causal")));
        if (layer.Has("target")) named.Add(new NamedCode("Target", layer.EnumCode("target", "ReconstructionTarget")));
        named.AddRange(layer.Named(("init_std", "InitStd")));
        layer.Construct(new NewCode("LiquidEmbeddingOptions", [layer.Code("vocab"), layer.Code("dim"), layer.Code("max_positions")], named.ToEquatableArray()));
        return true;
    }
}
