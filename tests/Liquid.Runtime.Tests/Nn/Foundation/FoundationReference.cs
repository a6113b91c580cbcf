using System.Text.Json;
using Liquid.Runtime.Serialization;
using Liquid.Runtime.Tests.Serialization;

namespace Liquid.Runtime.Tests.Nn.Foundation;

/// <summary>
/// One case of tests/reference/data/foundation.safetensors (tests/reference/make_foundation.py): the
/// layer's options, parameters, inputs, outputs (auxiliary losses among them), loss projections,
/// PyTorch's gradients and the extra facts (routing, kept bins, conv1d's output).
/// </summary>
internal sealed class FoundationCase : IDisposable
{
    public required string Name { get; init; }

    public required string Kind { get; init; }

    public required DType DType { get; init; }

    public required JsonElement Options { get; init; }

    public Dictionary<string, Tensor> Parameters { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> Inputs { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> Outputs { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> Projections { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> InputGrads { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> ParameterGrads { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> Extras { get; } = new(StringComparer.Ordinal);

    public long Long(string key) => Options.GetProperty(key).GetInt64();

    public bool Bool(string key) => Options.GetProperty(key).GetBoolean();

    public double Double(string key) => Options.GetProperty(key).GetDouble();

    public string String(string key) => Options.GetProperty(key).GetString()!;

    public long? NullableLong(string key) =>
        Options.GetProperty(key).ValueKind == JsonValueKind.Null ? null : Options.GetProperty(key).GetInt64();

    public double? NullableDouble(string key) =>
        Options.GetProperty(key).ValueKind == JsonValueKind.Null ? null : Options.GetProperty(key).GetDouble();

    public void Dispose()
    {
        foreach (var group in new[] { Parameters, Inputs, Outputs, Projections, InputGrads, ParameterGrads, Extras })
            foreach (var tensor in group.Values) tensor.Dispose();
    }

    public override string ToString() => Name;
}

/// <summary>Reads the foundation reference file.</summary>
internal static class FoundationReference
{
    public const string Format = "liquid-foundation-reference-v1";

    public static string FilePath { get; } = RepoPaths.Combine("tests", "reference", "data", "foundation.safetensors");

    /// <summary>Every case name in the file (another file of the same layout: <paramref name="filePath"/>).</summary>
    public static IReadOnlyList<string> CaseNames(string? filePath = null)
    {
        var tensors = TensorFile.Load(filePath ?? FilePath, out var metadata);
        foreach (var tensor in tensors.Values) tensor.Dispose();
        return metadata.Keys.Where(k => k != "format").Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Loads one case; the caller disposes it. Other reference files in this layout (make_long.py's)
    /// give their <paramref name="filePath"/> and <paramref name="format"/>.
    /// </summary>
    public static FoundationCase Load(string name, string? filePath = null, string format = Format)
    {
        filePath ??= FilePath;
        var all = TensorFile.Load(filePath, out var metadata);
        try
        {
            Assert.Equal(format, metadata["format"]);
            Assert.True(metadata.TryGetValue(name, out var description), $"{filePath} has no case '{name}'; rerun tests/reference/regenerate.sh");
            using var json = JsonDocument.Parse(description!);
            var root = json.RootElement;
            var result = new FoundationCase
            {
                Name = name,
                Kind = root.GetProperty("kind").GetString()!,
                DType = root.GetProperty("dtype").GetString() switch
                {
                    "float64" => DType.Float64,
                    "float32" => DType.Float32,
                    var other => throw new InvalidDataException($"case {name}: unknown dtype {other}"),
                },
                Options = root.GetProperty("options").Clone(),
            };
            var prefix = name + ".";
            foreach (var key in all.Keys.ToList())
            {
                if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
                var rest = key[prefix.Length..];
                var tensor = all[key];
                all.Remove(key);
                var target = Group(result, rest, out var sub);
                if (target is null)
                {
                    tensor.Dispose();
                    throw new InvalidDataException($"unrecognized reference tensor '{key}'");
                }
                target[sub] = tensor;
            }
            return result;
        }
        finally
        {
            foreach (var tensor in all.Values) tensor.Dispose();
        }
    }

    private static Dictionary<string, Tensor>? Group(FoundationCase c, string rest, out string sub)
    {
        foreach (var (head, group) in new[]
        {
            ("grad.param", c.ParameterGrads), ("grad.input", c.InputGrads), ("param", c.Parameters), ("input", c.Inputs),
            ("output", c.Outputs), ("projection", c.Projections), ("extra", c.Extras),
        })
        {
            if (rest == head) { sub = ""; return group; }
            if (rest.StartsWith(head + ".", StringComparison.Ordinal)) { sub = rest[(head.Length + 1)..]; return group; }
        }
        sub = "";
        return null;
    }
}
