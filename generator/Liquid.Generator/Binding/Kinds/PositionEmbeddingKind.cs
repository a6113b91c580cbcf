using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>position_embedding</c>: GPT-2's learned position table, added to the stream.</summary>
internal sealed class PositionEmbeddingKind : LayerKind
{
    public override string Name => "position_embedding";

    public override string Doc => "Adds a learned vector per position (GPT-2's wpe) to [B, T, C]; continues from the positions of earlier calls.";

    public override string RuntimeClass => "LearnedPositionEmbedding";

    public override string? ScalarArg => "max";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("max", ArgKind.Int, "Number of positions (the context).", Required: true),
        InitStd,
    ];

    // The offset of a call's first position is the number of positions earlier calls consumed.
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !layer.Positive("max")) return false;
        var width = x.Last;
        layer.Output(x);
        layer.Parameters(Ex.Mul(layer.Size("max").Size!, width.Size!));
        layer.LimitsContext("max");
        layer.Construct(new NewCode("PositionEmbeddingOptions", [layer.Code("max"), new ExprCode(width.Size!)], layer.Named(("init_std", "InitStd"))));
        return true;
    }
}
