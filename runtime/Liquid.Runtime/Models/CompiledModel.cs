using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Models;

/// <summary>
/// Base of every model the generator emits from a <c>*.model.yaml</c> file. The generated class adds
/// a typed <c>Forward</c>; this base gives tools (the harness, benchmarks) one way to drive any model.
/// </summary>
public abstract class CompiledModel : Module
{
    /// <summary>What the catalog knows about this model.</summary>
    public abstract ModelInfo Info { get; }

    /// <summary>The model's default training recipe (the YAML <c>train:</c> section).</summary>
    public abstract TrainingRecipe Recipe { get; }

    /// <summary>The sequence length the model was configured for (positions it can address), if bounded.</summary>
    public abstract long? Context { get; }

    /// <summary>Runs the model on named inputs (<c>tokens</c>, …); <paramref name="state"/> carries caches between calls.</summary>
    public abstract ModelOutput Run(IReadOnlyDictionary<string, Tensor> inputs, ModelState? state = null);

    /// <summary>The training objective (the YAML <c>objective:</c> section) for an output and its targets.</summary>
    public abstract Tensor Loss(ModelOutput output, Tensor targets);

    /// <summary>The input called <paramref name="name"/>, or a clear error naming what the model takes.</summary>
    protected Tensor RequireInput(IReadOnlyDictionary<string, Tensor> inputs, string name) =>
        inputs.TryGetValue(name, out var tensor)
            ? tensor
            : throw new ArgumentException($"{Info.Name} needs an input named '{name}'; got {(inputs.Count == 0 ? "none" : string.Join(", ", inputs.Keys))}");
}

/// <summary>A catalog entry: how to find and build a compiled model by name.</summary>
/// <param name="Name">The YAML file's name without <c>.model.yaml</c>, e.g. <c>tiny-gpt</c>.</param>
/// <param name="TypeName">The generated C# class, e.g. <c>TinyGpt</c>.</param>
/// <param name="Summary">One-line description.</param>
/// <param name="ConfigType">The generated config record type.</param>
/// <param name="DefaultParameterCount">Learnable scalars with the default config.</param>
/// <param name="Create">Builds the model from <c>key=value</c> config overrides (YAML names); throws <see cref="ConfigException"/> for bad values.</param>
public sealed record ModelInfo(string Name, string TypeName, string Summary, Type ConfigType, long DefaultParameterCount,
    Func<IReadOnlyDictionary<string, string>, CompiledModel> Create)
{
    /// <summary>
    /// Learnable scalars of the model built from <c>key=value</c> config overrides, computed from the
    /// config alone (nothing is allocated), so tools can refuse a model too large for the machine
    /// before building it; throws <see cref="ConfigException"/> for bad values, like <see cref="Create"/>.
    /// Null when the generator that emitted this entry does not provide it.
    /// </summary>
    public Func<IReadOnlyDictionary<string, string>, long>? CountParameters { get; init; }
}

/// <summary>A config override or combination of values is invalid.</summary>
public sealed class ConfigException(string message) : Exception(message);

/// <summary>
/// What a forward pass returns: the primary output (e.g. logits), extra outputs by name (e.g. a flow's
/// log-determinant) and auxiliary losses by name (e.g. MoE balance), which the objective weighs.
/// </summary>
public class ModelOutput(Tensor output) : IDisposable
{
    /// <summary>The primary output.</summary>
    public Tensor Output { get; } = output;

    /// <summary>Extra outputs by YAML name.</summary>
    public Dictionary<string, Tensor> Extras { get; } = new(StringComparer.Ordinal);

    /// <summary>Auxiliary losses by YAML name.</summary>
    public Dictionary<string, Tensor> AuxLosses { get; } = new(StringComparer.Ordinal);

    /// <summary>Disposes every tensor the output holds.</summary>
    public void Dispose()
    {
        Output.Dispose();
        foreach (var tensor in Extras.Values) tensor.Dispose();
        foreach (var tensor in AuxLosses.Values) tensor.Dispose();
        GC.SuppressFinalize(this);
    }
}

