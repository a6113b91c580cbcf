using System.Globalization;
using Liquid.Runtime;
using Liquid.Runtime.Nn;

// Tests reseed the global generator and some build GPT-2 (≈500 MB): run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Liquid.Models.Tests.Support;

/// <summary>Locates files in the repository, independent of where the test binaries were built.</summary>
internal static class RepoPaths
{
    public static string Root => Liquid.Tests.RepositoryRoot.Path;

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);
}

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string FullName { get; } = Directory.CreateTempSubdirectory("liquid-models-").FullName;

    public string File(string name) => Path.Combine(FullName, name);

    public void Dispose()
    {
        try { Directory.Delete(FullName, recursive: true); }
        catch (IOException) { /* a leftover temp directory is not worth failing a test over */ }
    }
}

/// <summary>Tensor comparisons by norm-wise relative error.</summary>
internal static class Compare
{
    /// <summary>
    /// max |actual − expected| / max |expected| over all elements (infinity-norm relative error). It is
    /// scale-free for a whole tensor and does not blow up on the individual entries that happen to be
    /// near zero, which an element-wise relative error would compare against rounding noise.
    /// </summary>
    public static double RelativeError(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        double scale = 0, worst = 0;
        for (var k = 0; k < e.Length; k++)
        {
            Assert.False(double.IsNaN(a[k]) || double.IsInfinity(a[k]), $"element {k} is {a[k]}");
            scale = Math.Max(scale, Math.Abs(e[k]));
            worst = Math.Max(worst, Math.Abs(a[k] - e[k]));
        }
        return worst == 0 ? 0 : worst / scale;
    }

    /// <summary>Asserts <see cref="RelativeError"/> ≤ <paramref name="tolerance"/>, naming <paramref name="what"/> on failure.</summary>
    public static void Close(Tensor expected, Tensor actual, double tolerance, string what)
    {
        var error = RelativeError(expected, actual);
        Assert.True(error <= tolerance, string.Format(CultureInfo.InvariantCulture,
            "{0}: relative error {1:G3} exceeds {2:G3}", what, error, tolerance));
    }
}

/// <summary>Weights that exercise every path, unlike the near-zero N(0, 0.02²) init.</summary>
internal static class Weights
{
    /// <summary>
    /// Matrices and embeddings N(0, 1/fan_in) (rows of width size(1)), vectors (norm gains, biases)
    /// their init plus N(0, 0.2²). Draws from the global generator: seed it first.
    /// </summary>
    public static void Randomize(Module model)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        foreach (var (_, parameter) in model.NamedParameters())
        {
            var noise = parameter.RandnLike();
            if (parameter.Rank >= 2) parameter.Copy_(noise.Mul(1.0 / Math.Sqrt(parameter.Size(1))));
            else parameter.Add_(noise.Mul(0.2));
        }
    }
}
