using System.Text.Json;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;
using Liquid.Runtime.Tests.Serialization;

namespace Liquid.Runtime.Tests.Nn.Liquid;

/// <summary>
/// One case of tests/reference/data/liquid.safetensors (tests/reference/make_liquid.py, whose cells are
/// tests/reference/liquid_ref.py's plain PyTorch LTC and CfC): options, fixed wiring, parameters under
/// ncps's state-dict keys, inputs, outputs, loss projections and PyTorch's gradients.
/// </summary>
internal sealed class LiquidCase : IDisposable
{
    public required string Name { get; init; }

    /// <summary>ltc, cfc, ltc_init or cfc_init.</summary>
    public required string Kind { get; init; }

    public required DType DType { get; init; }

    public required JsonElement Options { get; init; }

    public Tensor? Adjacency { get; set; }
    public Tensor? Sensory { get; set; }
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
    public bool Has(string key) => Options.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>The case's wiring as fixed matrices (null for a fully connected CfC).</summary>
    public FixedWiring? Wiring()
    {
        if (Adjacency is null || Sensory is null) return null;
        var layers = Options.GetProperty("layers").EnumerateArray().Select(l => l.EnumerateArray().Select(e => e.GetInt64()).ToArray()).ToList();
        return new FixedWiring(ToMatrix(Adjacency), ToMatrix(Sensory), Long("output"), layers);
    }

    public static int[,] ToMatrix(Tensor tensor)
    {
        var values = tensor.ToArray<long>();
        var rows = (int)tensor.Size(0);
        var columns = (int)tensor.Size(1);
        var matrix = new int[rows, columns];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
                matrix[r, c] = (int)values[r * columns + c];
        return matrix;
    }

    public void Dispose()
    {
        Adjacency?.Dispose();
        Sensory?.Dispose();
        foreach (var group in new[] { Parameters, Inputs, Outputs, Projections, InputGrads, ParameterGrads })
            foreach (var tensor in group.Values) tensor.Dispose();
    }

    public override string ToString() => Name;
}

/// <summary>Reads the liquid reference file.</summary>
internal static class LiquidReference
{
    public const string Format = "liquid-cells-reference-v1";

    public static string FilePath { get; } = RepoPaths.Combine("tests", "reference", "data", "liquid.safetensors");

    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_metadata = new(() =>
    {
        var tensors = TensorFile.Load(FilePath, out var metadata);
        foreach (var tensor in tensors.Values) tensor.Dispose();
        return metadata;
    });

    /// <summary>Every case name of <paramref name="kind"/>.</summary>
    public static IReadOnlyList<string> CaseNames(string kind) =>
        s_metadata.Value.Where(p => p.Key != "format" && JsonDocument.Parse(p.Value).RootElement.GetProperty("kind").GetString() == kind)
            .Select(p => p.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>Loads one case; the caller disposes it.</summary>
    public static LiquidCase Load(string name)
    {
        var all = TensorFile.Load(FilePath, out var metadata);
        try
        {
            Assert.Equal(Format, metadata["format"]);
            Assert.True(metadata.TryGetValue(name, out var description), $"{FilePath} has no case '{name}'; rerun tests/reference/regenerate.sh");
            using var json = JsonDocument.Parse(description!);
            var root = json.RootElement;
            var result = new LiquidCase
            {
                Name = name,
                Kind = root.GetProperty("kind").GetString()!,
                DType = root.GetProperty("dtype").GetString() == "float64" ? DType.Float64 : DType.Float32,
                Options = root.GetProperty("options").Clone(),
            };
            var prefix = name + ".";
            foreach (var key in all.Keys.ToList())
            {
                if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
                var rest = key[prefix.Length..];
                var tensor = all[key];
                all.Remove(key);
                if (rest == "wiring.adjacency") result.Adjacency = tensor;
                else if (rest == "wiring.sensory") result.Sensory = tensor;
                else if (Take(rest, "param", out var sub)) result.Parameters[sub] = tensor;
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

    private static bool Take(string rest, string head, out string sub)
    {
        if (rest == head) { sub = ""; return true; }
        if (rest.StartsWith(head + ".", StringComparison.Ordinal)) { sub = rest[(head.Length + 1)..]; return true; }
        sub = "";
        return false;
    }

    /// <summary>The LTC or CfC a case describes, built with <paramref name="fuse"/>.</summary>
    public static Module Build(LiquidCase c, bool fuse)
    {
        var wiring = c.Wiring();
        var inputs = c.Has("inputs") ? c.Long("inputs") : c.Inputs["x"].Size(2);
        if (c.Kind.StartsWith("ltc", StringComparison.Ordinal))
        {
            var options = new LtcOptions(inputs, Wiring: wiring, MixedMemory: c.Has("mixed_memory") && c.Bool("mixed_memory"), Fuse: fuse);
            if (c.Kind == "ltc")
                options = options with
                {
                    ReturnSequences = c.Bool("return_sequences"),
                    InputMapping = Mapping(c.String("input_mapping")),
                    OutputMapping = Mapping(c.String("output_mapping")),
                    OdeUnfolds = (int)c.Long("ode_unfolds"),
                    Epsilon = c.Double("epsilon"),
                    Constraints = c.String("constraints") switch
                    {
                        "softplus" => LtcConstraint.Softplus,
                        "clamp" => LtcConstraint.Clamp,
                        "none" => LtcConstraint.None,
                        var other => throw new InvalidDataException(other),
                    },
                };
            return new Ltc(options);
        }
        var mode = c.String("mode") switch
        {
            "default" => CfcMode.Default,
            "no_gate" => CfcMode.NoGate,
            "pure" => CfcMode.Pure,
            var other => throw new InvalidDataException(other),
        };
        var cfc = new CfcOptions(inputs, Mode: mode, MixedMemory: c.Bool("mixed_memory"), Fuse: fuse,
            ProjSize: c.Has("proj_size") ? c.Long("proj_size") : null,
            ReturnSequences: !c.Has("return_sequences") || c.Bool("return_sequences"));
        if (c.Bool("wired")) return new Cfc(cfc with { Wiring = wiring });
        return new Cfc(cfc with
        {
            Units = c.Long("units"),
            BackboneUnits = c.Long("backbone_units"),
            BackboneLayers = c.Long("backbone_layers"),
            Activation = c.String("activation") switch
            {
                "lecun_tanh" => CfcActivation.LecunTanh,
                "silu" => CfcActivation.Silu,
                "relu" => CfcActivation.Relu,
                "tanh" => CfcActivation.Tanh,
                "gelu" => CfcActivation.Gelu,
                var other => throw new InvalidDataException(other),
            },
        });
    }

    private static LtcMapping Mapping(string name) => name switch
    {
        "affine" => LtcMapping.Affine,
        "linear" => LtcMapping.Linear,
        "none" => LtcMapping.None,
        var other => throw new InvalidDataException(other),
    };
}
