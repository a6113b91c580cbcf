namespace Liquid.Runtime.Nn;

/// <summary>
/// Keeps a wiring's signed matrices as persistent buffers (<c>adjacency</c> [N, N] and
/// <c>sensory_adjacency</c> [S, N], int64, entries +1/−1/0), so a checkpoint carries the wiring it was
/// trained with. ncps keeps them on its Wiring object instead, outside the state dict.
/// </summary>
public sealed class WiringBuffers : Module
{
    /// <summary>Registers the two matrices of <paramref name="wiring"/>.</summary>
    public WiringBuffers(WiringMatrices wiring)
    {
        ArgumentNullException.ThrowIfNull(wiring);
        Adjacency = RegisterBuffer("adjacency", ToTensor(wiring.Adjacency));
        SensoryAdjacency = RegisterBuffer("sensory_adjacency", ToTensor(wiring.SensoryAdjacency));
    }

    private static Tensor ToTensor(int[,] matrix) =>
        Tensor.From(matrix.Cast<int>().Select(v => (long)v).ToArray(), [matrix.GetLength(0), matrix.GetLength(1)]);

    /// <summary>Signed synapses between neurons.</summary>
    public Tensor Adjacency { get; }

    /// <summary>Signed synapses from the sensory inputs.</summary>
    public Tensor SensoryAdjacency { get; }
}

/// <summary>Checks shared by the liquid layers.</summary>
internal static class LiquidWiring
{
    /// <summary>The wiring of a layer given either <paramref name="units"/> (fully connected) or <paramref name="wiring"/>.</summary>
    public static WiringMatrices Resolve(string kind, long inputSize, long? units, Wiring? wiring, long? outputSize)
    {
        if ((units is null) == (wiring is null))
            throw new ArgumentException($"{kind}: give either units (a fully connected wiring) or a wiring, not {(units is null ? "neither" : "both")}");
        if (units is { } n)
        {
            if (n < 1) throw new ArgumentException($"{kind}: units must be at least 1, got {n}");
            if (outputSize is { } m && (m < 1 || m > n)) throw new ArgumentException($"{kind}: output size must be in 1 … {n}, got {m}");
            return new FullyConnected(n, outputSize).Build(inputSize);
        }
        var matrices = wiring!.Build(inputSize);
        if (outputSize is { } given && given != matrices.OutputSize)
            throw new ArgumentException($"{kind}: output size {given} differs from the wiring's {matrices.OutputSize} motor neurons");
        return matrices;
    }

    /// <summary>Checks input [B, T, S] (T ≥ 1) and elapsed [B, T] of the same dtype; returns (B, T).</summary>
    public static (long Batch, long Steps) CheckSequence(Module layer, Tensor input, long inputSize, Tensor? elapsed)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3 || input.Size(2) != inputSize || input.Size(1) < 1 || input.Size(0) < 1)
            throw new ShapeException(Name(layer), $"[B, T ≥ 1, {inputSize}]", input.Shape);
        if (!input.DType.IsFloatingPoint())
            throw new ArgumentException($"{Name(layer)}: the input must be floating point, got {input.DType.Name()}");
        var batch = input.Size(0);
        var steps = input.Size(1);
        if (elapsed is not null)
        {
            if (elapsed.Rank != 2 || elapsed.Size(0) != batch || elapsed.Size(1) != steps)
                throw new ShapeException(Name(layer), $"elapsed times [{batch}, {steps}]", elapsed.Shape);
            if (elapsed.DType != input.DType)
                throw new ArgumentException($"{Name(layer)}: elapsed times are {elapsed.DType.Name()}, the input {input.DType.Name()}");
        }
        return (batch, steps);
    }

    private static string Name(Module layer) => layer.Path.Length == 0 ? layer.Kind : $"{layer.Path} ({layer.Kind})";
}

/// <summary>Helpers for the liquid layers' carried states.</summary>
internal static class LiquidState
{
    /// <summary>Takes <paramref name="tensor"/> out of whatever scope tracks it: the state owns it.</summary>
    public static Tensor Own(Tensor tensor)
    {
        tensor.Scope?.Detach(tensor);
        return tensor;
    }
}
