using System.Text.Json;
using Liquid.Runtime.Serialization;
using Liquid.Runtime.Tests.Serialization;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>
/// One case of tests/reference/data/nn_layers.safetensors (written by tests/reference/make_nn_layers.py):
/// the layer's options, parameters, inputs, outputs, loss projections and PyTorch's gradients.
/// Named inputs and outputs use "" for the main one and e.g. "h0"/"c0", "h"/"c" for recurrent state.
/// </summary>
internal sealed class NnCase : IDisposable
{
    public required string Name { get; init; }

    /// <summary>Layer kind: linear, embedding, layernorm, rmsnorm, conv1d, gelu …, mlp, lstm, gru, rnn, attention.</summary>
    public required string Kind { get; init; }

    public required DType DType { get; init; }

    /// <summary>The case's options object (snake_case keys, as the Python script wrote them).</summary>
    public required JsonElement Options { get; init; }

    public Dictionary<string, Tensor> Parameters { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> Inputs { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> Outputs { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> Projections { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> InputGrads { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Tensor> ParameterGrads { get; } = new(StringComparer.Ordinal);

    public long Long(string key) => Options.GetProperty(key).GetInt64();

    public bool Bool(string key) => Options.GetProperty(key).GetBoolean();

    public double Double(string key) => Options.GetProperty(key).GetDouble();

    public string String(string key) => Options.GetProperty(key).GetString()!;

    public long? NullableLong(string key) =>
        Options.GetProperty(key).ValueKind == JsonValueKind.Null ? null : Options.GetProperty(key).GetInt64();

    public void Dispose()
    {
        foreach (var group in new[] { Parameters, Inputs, Outputs, Projections, InputGrads, ParameterGrads })
            foreach (var tensor in group.Values) tensor.Dispose();
    }

    public override string ToString() => Name;
}

/// <summary>Reads the nn-layer reference file.</summary>
internal static class NnReference
{
    public const string Format = "liquid-nn-reference-v1";

    public static string FilePath { get; } = RepoPaths.Combine("tests", "reference", "data", "nn_layers.safetensors");

    /// <summary>The metadata of the file: "format" and one JSON description per case name.</summary>
    public static IReadOnlyDictionary<string, string> Metadata()
    {
        var tensors = TensorFile.Load(FilePath, out var metadata);
        foreach (var tensor in tensors.Values) tensor.Dispose();
        return metadata;
    }

    /// <summary>Every case name in the file.</summary>
    public static IReadOnlyList<string> CaseNames() =>
        Metadata().Keys.Where(k => k != "format").Order(StringComparer.Ordinal).ToList();

    /// <summary>Loads one case; the caller disposes it. Throws if the file has no such case.</summary>
    public static NnCase Load(string name)
    {
        var all = TensorFile.Load(FilePath, out var metadata);
        try
        {
            Assert.Equal(Format, metadata["format"]);
            Assert.True(metadata.TryGetValue(name, out var description), $"{FilePath} has no case '{name}'; rerun tests/reference/regenerate.sh");
            using var json = JsonDocument.Parse(description!);
            var root = json.RootElement;
            var result = new NnCase
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
                if (Take(rest, "param", out var sub)) result.Parameters[sub] = tensor;
                else if (Take(rest, "grad.param", out sub)) result.ParameterGrads[sub] = tensor;
                else if (Take(rest, "grad.input", out sub)) result.InputGrads[sub] = tensor;
                else if (Take(rest, "input", out sub)) result.Inputs[sub] = tensor;
                else if (Take(rest, "output", out sub)) result.Outputs[sub] = tensor;
                else if (Take(rest, "projection", out sub)) result.Projections[sub] = tensor;
                else
                {
                    tensor.Dispose();
                    throw new InvalidDataException($"unrecognized reference tensor '{key}'");
                }
            }
            return result;
        }
        finally
        {
            foreach (var tensor in all.Values) tensor.Dispose();
        }
    }

    // "input" → "", "input.h0" → "h0"; "param.qkv.weight" → "qkv.weight".
    private static bool Take(string rest, string head, out string sub)
    {
        if (rest == head) { sub = ""; return true; }
        if (rest.StartsWith(head + ".", StringComparison.Ordinal)) { sub = rest[(head.Length + 1)..]; return true; }
        sub = "";
        return false;
    }
}
