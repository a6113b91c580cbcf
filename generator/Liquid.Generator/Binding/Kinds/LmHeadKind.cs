using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>lm_head</c>: vocabulary logits, tied to a token embedding or with a weight of its own.</summary>
internal sealed class LmHeadKind : LayerKind
{
    public override string Name => "lm_head";

    public override string Doc => "Projects to vocabulary logits: tied to a token embedding, or a Linear of its own.";

    public override string RuntimeClass => "LmHead";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("tied", ArgKind.Reference, "Name of the token_embedding whose weight is reused (no new parameters)."),
        new("vocab", ArgKind.Int, "Vocabulary size, for an untied head."),
        new("bias", ArgKind.Bool, "Learn a bias (untied only).", Default: "false"),
        InitStd,
    ];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Features() is not { } x) return false;
        var width = x.Last;
        if (layer.Arg("tied") is { } tied)
        {
            if (layer.Has("vocab") || layer.Has("init_std") || layer.Flag("bias"))
                return layer.Fail(Diagnostics.OutOfRange, tied.Node, "a tied lm_head reuses the embedding's weight: drop 'vocab', 'bias' and 'init_std'");
            var target = tied.Value.Text!;
            var kind = layer.KindOf(target);
            if (kind != "token_embedding")
                return layer.Fail(Diagnostics.UnresolvedReference, tied.Node, kind is null
                    ? $"lm_head is tied to '{target}', but no earlier layer has that name{Names.Suggest(target, layer.LayersOfKind("token_embedding"))}"
                    : $"lm_head is tied to '{target}', a {kind}; it must be a token_embedding");
            var dim = layer.Recall(target, "dim")!;
            if (!layer.SameSize(dim, width, tied.Node, $"the tied embedding '{target}' has width {dim.Default} but lm_head receives width {width.Default} ({width.Yaml})")) return false;
            layer.Output(x.WithLast(layer.Recall(target, "vocab")!));
            layer.Construct(new LayerRefCode(target));
            return true;
        }
        if (!layer.Has("vocab")) return layer.Fail(Diagnostics.MissingKey, layer.Key, "Layer 'lm_head'", "tied (an embedding's name) or vocab");
        if (!layer.Positive("vocab")) return false;
        var vocab = layer.Size("vocab");
        layer.Output(x.WithLast(vocab));
        layer.Parameters(Ex.Add(Ex.Mul(width.Size!, vocab.Size!), Ex.When(layer.FlagExpr("bias"), vocab.Size!)));
        layer.Construct(new NewCode("LmHeadOptions", [new ExprCode(width.Size!), layer.Code("vocab")], layer.Named(("bias", "Bias"), ("init_std", "InitStd"))));
        return true;
    }
}
