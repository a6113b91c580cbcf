namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="LearnedPositionEmbedding"/>.</summary>
/// <param name="MaxPositions">Longest sequence (context) the table covers.</param>
/// <param name="Dim">Model width.</param>
/// <param name="InitStd">Init N(0, std²); PyTorch's Embedding default is 1, GPT-2 uses 0.02.</param>
public sealed record PositionEmbeddingOptions(long MaxPositions, long Dim, double? InitStd = null);

/// <summary>
/// Adds a learned vector per position to a [B, T, dim] stream (GPT-2's <c>wpe</c>). With an offset
/// (incremental decoding), the rows offset … offset + T − 1 are used. Parameter: <c>weight</c> [max, dim].
/// </summary>
public sealed class LearnedPositionEmbedding : Module
{
    /// <summary>Creates the table.</summary>
    public LearnedPositionEmbedding(PositionEmbeddingOptions options)
    {
        Options = options;
        Weight = RegisterParameter("weight", Init.Normal(Tensor.Empty([options.MaxPositions, options.Dim]), 0, options.InitStd ?? 1.0));
    }

    /// <summary>The options this layer was built with.</summary>
    public PositionEmbeddingOptions Options { get; }

    /// <summary>[max, dim].</summary>
    public Tensor Weight { get; }

    /// <summary>x + weight[p : p + T], p the positions earlier calls with the same state consumed.</summary>
    public Tensor Forward(Tensor input, ForwardContext? context) => Forward(input, context?.Position ?? 0);

    /// <summary>x + weight[offset : offset + T].</summary>
    public Tensor Forward(Tensor input, long offset = 0)
    {
        ExpectShape(input.Rank == 3 && input.Size(-1) == Options.Dim, $"[B, T, {Options.Dim}]", input);
        var steps = input.Size(1);
        if (offset + steps > Options.MaxPositions)
            throw new ArgumentException($"{Describe()}: positions {offset}…{offset + steps - 1} exceed the table of {Options.MaxPositions} (the model's context)");
        using var rows = Weight.Narrow(0, offset, steps);
        return input.Add(rows);
    }
}
