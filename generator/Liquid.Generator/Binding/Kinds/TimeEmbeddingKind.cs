using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>time_embedding</c>: a learned code of each step's time, added to the stream.</summary>
internal sealed class TimeEmbeddingKind : LayerKind
{
    public override string Name => "time_embedding";

    public override string Doc => "Adds Linear(1 → C) of a time per step (timestamps or elapsed time, float[B, T]) to the stream [B, T, C].";

    public override string RuntimeClass => "TimeEmbedding";

    public override IReadOnlyList<ArgInfo> Args { get; } = [];

    public override IReadOnlyList<PortInfo> Inputs { get; } =
    [
        new("x", "The stream [B, T, C]."),
        new("time", "One time per step [B, T]."),
    ];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || layer.Tensor(1, floating: true) is not { } time) return false;
        if (time.Rank != 2 || !time.Dims[0].Matches(x.Dims[0]) || !time.Dims[1].Matches(x.Dims[1]))
            return layer.Fail(Diagnostics.ShapeMismatch, layer.Key, $"'time_embedding' takes one time per step of {x.Display}, float[{x.Dims[0]}, {x.Dims[1]}], but receives {time.Display}");
        var width = x.Last.Size!;
        layer.Output(x);
        layer.Parameters(Ex.Mul(Ex.Int(2), width)); // Linear(1 → C): weight and bias
        layer.Construct(new NewCode("TimeEmbeddingOptions", [new ExprCode(width)], []));
        return true;
    }
}
