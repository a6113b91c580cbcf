using System.Globalization;
using System.Text.Json;
using Liquid.Runtime;
using Liquid.Runtime.Serialization;

namespace Liquid.Harness.Tests.Generation;

/// <summary>
/// The generation tests draw from libtorch's global generator and count live native tensors, both
/// process-wide, so they run alone: never in parallel with each other or with other test classes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GenerationCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Generation (global RNG, live tensor counts)";
}

/// <summary>One case of tests/reference/make_sampling.py.</summary>
public sealed record SamplingCase(string Name, string Processor, double Parameter, string Input, string? History);

/// <summary>Reads tests/reference/data/sampling.safetensors, written by tests/reference/make_sampling.py.</summary>
internal static class SamplingReference
{
    public static string FilePath { get; } = Path.Combine(Liquid.Tests.RepositoryRoot.Path, "tests", "reference", "data", "sampling.safetensors");

    /// <summary>Every tensor of the file; create them inside a <see cref="TensorScope"/> or dispose them.</summary>
    public static Dictionary<string, Tensor> Load(out IReadOnlyDictionary<string, string> metadata) => TensorFile.Load(FilePath, out metadata);

    /// <summary>The cases listed in the file's metadata.</summary>
    public static IReadOnlyList<SamplingCase> Cases()
    {
        Liquid.Runtime.Serialization.Safetensors.Read(FilePath, out var metadata);
        using var document = JsonDocument.Parse(metadata["cases"]);
        return document.RootElement.EnumerateArray().Select(c => new SamplingCase(
            c.GetProperty("name").GetString()!,
            c.GetProperty("processor").GetString()!,
            c.GetProperty("parameter").GetDouble(),
            c.GetProperty("input").GetString()!,
            c.GetProperty("history").ValueKind == JsonValueKind.Null ? null : c.GetProperty("history").GetString())).ToList();
    }
}

/// <summary>Comparisons of score tensors with readable failures.</summary>
internal static class Scores
{
    /// <summary>Same shape, −∞ exactly where expected, finite values within rtol.</summary>
    public static void Equal(Tensor expected, Tensor actual, double rtol = 1e-6, string? context = null)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.To(DType.Float64).ToArray<double>();
        var a = actual.To(DType.Float64).ToArray<double>();
        for (var i = 0; i < e.Length; i++)
        {
            var ok = double.IsInfinity(e[i]) || double.IsInfinity(a[i])
                ? e[i] == a[i]
                : Math.Abs(e[i] - a[i]) <= rtol * Math.Abs(e[i]) + 1e-12;
            if (!ok)
                Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                    $"{context}: element {i} (row {i / expected.Size(-1)}, id {i % expected.Size(-1)}): expected {e[i]:R}, got {a[i]:R}"));
        }
    }

    /// <summary>The ids with a finite score, per row.</summary>
    public static int[] Kept(Tensor row) =>
        row.To(DType.Float64).ToArray<double>().Select((value, id) => (value, id)).Where(x => !double.IsInfinity(x.value)).Select(x => x.id).ToArray();
}

/// <summary>Checks that native tensors created by a test are freed.</summary>
internal static class LiveTensors
{
    /// <summary>Live native tensors after finalizing whatever earlier code dropped.</summary>
    public static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Torch.LiveTensors;
    }
}
