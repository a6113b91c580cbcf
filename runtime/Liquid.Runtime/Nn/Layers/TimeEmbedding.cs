namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="TimeEmbedding"/>.</summary>
/// <param name="Dim">Width of the stream the time code is added to.</param>
public sealed record TimeEmbeddingOptions(long Dim);

/// <summary>
/// Adds a learned code of each step's time to the stream: x + t·w + b, with t [B, T] (event
/// timestamps, or the elapsed time since the previous step) and w, b [dim] — a Linear(1 → dim) of
/// the time, as the liquid long-sequence model's asynchronous cell uses (SEED-MODELS §4).
/// </summary>
public sealed class TimeEmbedding : Module
{
    private readonly Linear _proj;

    /// <summary>Creates the layer with PyTorch's default Linear initialization (fan-in 1).</summary>
    public TimeEmbedding(TimeEmbeddingOptions options)
    {
        if (options.Dim < 1) throw new ArgumentException($"time_embedding: dim must be at least 1, not {options.Dim}");
        Options = options;
        _proj = RegisterModule("proj", new Linear(new LinearOptions(1, options.Dim)));
    }

    /// <summary>The options this layer was built with.</summary>
    public TimeEmbeddingOptions Options { get; }

    /// <summary>x [B, T, dim] + Linear(1 → dim)(t [B, T]).</summary>
    public Tensor Forward(Tensor x, Tensor time)
    {
        ExpectShape(x.Rank == 3 && x.Size(-1) == Options.Dim, $"x [B, T, {Options.Dim}]", x);
        if (time.Rank != 2 || time.Size(0) != x.Size(0) || time.Size(1) != x.Size(1))
            throw new ShapeException(Describe(), $"time [{x.Size(0)}, {x.Size(1)}] (one value per step of x)", time.Shape);
        using var scope = TensorScope.Enter();
        return scope.Keep(x + _proj.Forward(time.To(x.DType).Unsqueeze(-1)));
    }
}
