using System.Text.Json;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Nn.OdeSolvers;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.OdeSolvers;

/// <summary>
/// One case of tests/reference/data/ode.safetensors (written by tests/reference/make_ode.py with its
/// own PyTorch odeint, tests/reference/odeint_ref.py): the field, the solve's options and what
/// the reference computed.
/// </summary>
internal sealed class OdeCase : IDisposable
{
    private readonly Reference _data;
    private readonly List<Tensor> _owned = new();

    private OdeCase(Reference data, string name, JsonElement description)
    {
        _data = data;
        Name = name;
        Field = description.GetProperty("field").GetString()!;
        DType = Dtype(description.GetProperty("dtype").GetString()!);
        TimeDType = Dtype(description.GetProperty("time_dtype").GetString()!);
        var adjoint = description.GetProperty("adjoint");
        IsAdjoint = adjoint.ValueKind == JsonValueKind.Object;
        var options = description.GetProperty("options");
        Options = new OdeOptions
        {
            Method = description.GetProperty("method").GetString() switch
            {
                "euler" => OdeMethod.Euler,
                "midpoint" => OdeMethod.Midpoint,
                "rk4" => OdeMethod.Rk4,
                "dopri5" => OdeMethod.Dopri5,
                var other => throw new InvalidDataException($"{name}: unknown method {other}"),
            },
            Rtol = description.GetProperty("rtol").GetDouble(),
            Atol = description.GetProperty("atol").GetDouble(),
            FirstStep = Optional(options, "first_step"),
            MinStep = Optional(options, "min_step") ?? 0,
            MaxStep = Optional(options, "max_step") ?? double.PositiveInfinity,
            StepSize = Optional(options, "step_size"),
            Adjoint = IsAdjoint,
            AdjointRtol = IsAdjoint ? Optional(adjoint, "rtol") : null,
            AdjointAtol = IsAdjoint ? Optional(adjoint, "atol") : null,
            AdjointNorm = IsAdjoint && adjoint.TryGetProperty("seminorm", out var semi) && semi.GetBoolean()
                ? OdeAdjointNorm.Seminorm : OdeAdjointNorm.Mixed,
            RecordSteps = true,
        };
    }

    public string Name { get; }
    public string Field { get; }
    public DType DType { get; }
    public DType TimeDType { get; }
    public bool IsAdjoint { get; }
    public OdeOptions Options { get; }

    public static OdeCase Load(string name)
    {
        var data = Data.Value;
        using var document = JsonDocument.Parse(data.Metadata[name]);
        return new OdeCase(data, name, document.RootElement.Clone());
    }

    public static readonly Lazy<Reference> Data = new(() =>
    {
        var data = Reference.Open("tests/reference/data/ode.safetensors");
        Assert.Equal("liquid-ode-reference-v1", data.Metadata["format"]);
        return data;
    });

    public static IEnumerable<string> Names => Data.Value.Metadata.Keys.Where(k => k != "format").Order(StringComparer.Ordinal);

    public bool Has(string key) => _data.Contains($"{Name}.{key}");

    /// <summary>A stored tensor (owned by this case).</summary>
    public Tensor Get(string key)
    {
        var tensor = _data.Load($"{Name}.{key}");
        TensorScope.Current?.Detach(tensor);
        _owned.Add(tensor);
        return tensor;
    }

    public long[] Stats(string key = "stats") => _data.LoadInt64($"{Name}.{key}");

    public static readonly string[] MlpParameters = ["W1", "b1", "c", "W2", "b2"];

    public string[] ParameterNames => Field == "linear" ? ["A"] : MlpParameters;

    /// <summary>The case's vector field with fresh copies of the stored parameters (leaves that require grad).</summary>
    public Module BuildField()
    {
        Tensor P(string key) => Get($"param.{key}").Clone();
        return Field switch
        {
            "linear" => new LinearField(P("A")),
            "mlp" => new MlpField(P("W1"), P("b1"), P("c"), P("W2"), P("b2")),
            _ => throw new InvalidDataException($"{Name}: unknown field {Field}"),
        };
    }

    private static DType Dtype(string name) => name switch
    {
        "float64" => DType.Float64,
        "float32" => DType.Float32,
        _ => throw new InvalidDataException($"unknown dtype {name}"),
    };

    private static double? Optional(JsonElement element, string key) =>
        element.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetDouble() : null;

    public void Dispose()
    {
        foreach (var tensor in _owned) tensor.Dispose();
    }

    public override string ToString() => Name;
}
