using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>token_embedding</c>: a learned vector per token id.</summary>
internal sealed class TokenEmbeddingKind : LayerKind
{
    public override string Name => "token_embedding";

    public override string Doc => "Looks up a learned vector per token id: long[B, T] → float[B, T, dim].";

    public override string RuntimeClass => "Embedding";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("vocab", ArgKind.Int, "Number of token ids.", Required: true),
        new("dim", ArgKind.Int, "Width of each vector.", Required: true),
        InitStd,
    ];

    public override IReadOnlyList<PortInfo> Inputs { get; } = [new("ids", "Token ids, any shape.")];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Ids() is not { } ids || !layer.Positive("vocab") || !layer.Positive("dim")) return false;
        var vocab = layer.Size("vocab");
        var dim = layer.Size("dim");
        layer.Output(new TensorType(ElementType.Float, ids.Dims).Append(dim));
        layer.Parameters(Ex.Mul(vocab.Size!, dim.Size!));
        layer.Remember("vocab", vocab);
        layer.Remember("dim", dim);
        layer.SetsVocabulary("vocab");
        layer.Construct(new NewCode("EmbeddingOptions", [layer.Code("vocab"), layer.Code("dim")], layer.Named(("init_std", "InitStd"))));
        return true;
    }
}
