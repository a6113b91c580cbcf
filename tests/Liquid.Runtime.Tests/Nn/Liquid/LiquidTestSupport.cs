using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Tests.Nn.Liquid;

/// <summary>Shared helpers of the liquid-layer tests: seeded values, forward-and-backward runs, comparisons.</summary>
internal static class LiquidTestSupport
{
    /// <summary>A float64 tensor of uniform values in [low, high) from <paramref name="random"/>.</summary>
    public static Tensor Uniform(Random random, long[] shape, double low, double high, DType dtype = DType.Float64)
    {
        long count = 1;
        foreach (var size in shape) count *= size;
        var values = new double[count];
        for (var k = 0; k < values.Length; k++) values[k] = low + (high - low) * random.NextDouble();
        using var tensor = Tensor.From(values, shape);
        return tensor.To(dtype);
    }

    /// <summary>Overwrites every parameter of <paramref name="module"/> with seeded values in [low, high).</summary>
    public static void Randomize(Module module, Random random, double low = -1, double high = 1, Func<string, (double, double)?>? range = null)
    {
        using var noGrad = Torch.NoGrad();
        foreach (var (name, parameter) in module.NamedParameters())
        {
            var (lo, hi) = range?.Invoke(name) ?? (low, high);
            using var values = Uniform(random, parameter.Shape, lo, hi, parameter.DType);
            parameter.Copy_(values);
        }
    }

    /// <summary>Copies every parameter and buffer of <paramref name="source"/> into <paramref name="target"/> (same keys).</summary>
    public static void CopyState(Module source, Module target)
    {
        using var scope = TensorScope.Enter();
        var report = target.LoadStateDict(source.StateDict(), strict: true);
        Assert.True(report.IsClean, report.ToString());
    }

    /// <summary>What one forward and backward pass produced: outputs and every gradient, by name.</summary>
    public sealed class Run : IDisposable
    {
        public Dictionary<string, Tensor> Values { get; } = new(StringComparer.Ordinal);

        public void Dispose()
        {
            foreach (var tensor in Values.Values) tensor.Dispose();
        }
    }

    /// <summary>
    /// Runs <paramref name="forward"/> on fresh leaves of <paramref name="inputs"/>, backpropagates
    /// L = Σ sum(output·W) with fixed seeded W, and returns the outputs and the gradients of every
    /// input and parameter (detached copies owned by the result).
    /// </summary>
    public static Run ForwardBackward(Module module, IReadOnlyDictionary<string, Tensor> inputs,
        Func<IReadOnlyDictionary<string, Tensor>, IReadOnlyDictionary<string, Tensor>> forward, int seed = 7)
    {
        module.ZeroGrad();
        var run = new Run();
        using (var scope = TensorScope.Enter())
        {
            var leaves = inputs.ToDictionary(p => p.Key, p => p.Value.Detach().RequiresGrad_(), StringComparer.Ordinal);
            var outputs = forward(leaves);
            var random = new Random(seed);
            Tensor? loss = null;
            foreach (var key in outputs.Keys.Order(StringComparer.Ordinal))
            {
                var weights = Uniform(random, outputs[key].Shape, -1, 1, outputs[key].DType);
                var term = outputs[key].Mul(weights).Sum();
                loss = loss is null ? term : loss.Add(term);
                run.Values["out." + key] = Own(outputs[key].Detach().Clone());
            }
            loss!.Backward();
            foreach (var (key, leaf) in leaves)
                run.Values["grad.input." + key] = Own(leaf.Grad?.Clone() ?? leaf.ZerosLike());
            foreach (var (name, parameter) in module.NamedParameters())
                run.Values["grad." + name] = Own(parameter.Grad?.Clone() ?? parameter.ZerosLike());
        }
        return run;
    }

    private static Tensor Own(Tensor tensor)
    {
        TensorScope.Current?.Detach(tensor);
        return tensor;
    }

    /// <summary>Every entry of <paramref name="actual"/> within atol + rtol·|expected| of <paramref name="expected"/>'s, with the same names.</summary>
    public static void AssertSame(Run expected, Run actual, double rtol, double atol)
    {
        Assert.Equal(expected.Values.Keys.Order(StringComparer.Ordinal), actual.Values.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in expected.Values)
        {
            try
            {
                Support.TensorAssert.Close(value, actual.Values[key], rtol, atol);
            }
            catch (Xunit.Sdk.XunitException e)
            {
                throw new Xunit.Sdk.XunitException($"{key}: {e.Message}");
            }
        }
    }
}
