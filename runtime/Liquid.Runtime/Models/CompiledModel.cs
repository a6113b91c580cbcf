using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Models;

/// <summary>
/// Base of every model the generator emits from a <c>*.model.yaml</c> file. The generated class adds
/// a typed <c>Forward</c> and a typed <c>Objective</c>; this base gives tools (the harness,
/// benchmarks) one way to drive any model: by the names its file gives its inputs, targets and
/// outputs.
/// </summary>
public abstract class CompiledModel : Module
{
    /// <summary>What the catalog knows about this model.</summary>
    public abstract ModelInfo Info { get; }

    /// <summary>The model's default training recipe (the YAML <c>train:</c> section).</summary>
    public abstract TrainingRecipe Recipe { get; }

    /// <summary>The sequence length the model was configured for (positions it can address), if bounded.</summary>
    public abstract long? Context { get; }

    /// <summary>The inputs <see cref="Run"/> takes, with this config's sizes (null for B, T and other open dimensions).</summary>
    public abstract IReadOnlyList<TensorInfo> Inputs { get; }

    /// <summary>The tensors the objective compares outputs with: declared targets, or the next tokens of an input.</summary>
    public abstract IReadOnlyList<TensorInfo> Targets { get; }

    /// <summary>The terms of the objective, in the order the file gives them.</summary>
    public abstract IReadOnlyList<ObjectiveTermInfo> ObjectiveTerms { get; }

    /// <summary>Every layer with its kind and output type, as <c>liquid inspect</c> shows them.</summary>
    public abstract IReadOnlyList<LayerShape> LayerShapes { get; }

    /// <summary>Runs the model on named inputs; <paramref name="state"/> carries caches between calls.</summary>
    public abstract ModelOutput Run(IReadOnlyDictionary<string, Tensor> inputs, ModelState? state = null);

    /// <summary>The training objective (the YAML <c>objective:</c> section) for an output and named targets.</summary>
    public abstract ObjectiveValue Objective(ModelOutput output, IReadOnlyDictionary<string, Tensor> targets);

    /// <summary>The objective's total for a model with a single target (a language model's next tokens, say).</summary>
    public Tensor Loss(ModelOutput output, Tensor target)
    {
        if (Targets.Count != 1)
            throw new InvalidOperationException($"{Info.Name} has {Targets.Count} targets ({string.Join(", ", Targets.Select(t => t.Name))}); call Objective with each by name");
        using var objective = Objective(output, new Dictionary<string, Tensor> { [Targets[0].Name] = target });
        return objective.TakeTotal();
    }

    /// <summary>The input called <paramref name="name"/>, or a clear error naming what the model takes.</summary>
    protected Tensor RequireInput(IReadOnlyDictionary<string, Tensor> inputs, string name) =>
        inputs.TryGetValue(name, out var tensor)
            ? tensor
            : throw new ArgumentException($"{Info.Name} needs an input named '{name}'; got {(inputs.Count == 0 ? "none" : string.Join(", ", inputs.Keys))}");

    /// <summary>The target called <paramref name="name"/>, or a clear error naming what the objective needs.</summary>
    protected Tensor RequireTarget(IReadOnlyDictionary<string, Tensor> targets, string name) =>
        targets.TryGetValue(name, out var tensor)
            ? tensor
            : throw new ArgumentException($"{Info.Name}'s objective needs a target named '{name}'; got {(targets.Count == 0 ? "none" : string.Join(", ", targets.Keys))}");
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
    /// Learnable scalars of the model built from these overrides, computed without building it (so a
    /// tool can refuse a model that would not fit in memory); throws <see cref="ConfigException"/> for
    /// bad values and <see cref="OverflowException"/> when the count does not fit 64 bits.
    /// </summary>
    public Func<IReadOnlyDictionary<string, string>, long>? CountParameters { get; init; }

    /// <summary>The config value (YAML name) that sets the vocabulary size, which a tool sets from its tokenizer; null if none.</summary>
    public string? VocabularyConfig { get; init; }

    /// <summary>The config value (YAML name) that bounds the positions the model can address; null if unbounded.</summary>
    public string? ContextConfig { get; init; }

    /// <summary>
    /// Whether a forward call can continue from the <see cref="Nn.ModelState"/> of earlier calls (KV
    /// caches, carried positions), as incremental decoding needs. False when a layer mixes the whole
    /// sequence (the Liquid Foundation's FFT-compressed embedding): a generator then runs the whole
    /// window again for every new token.
    /// </summary>
    public bool Incremental { get; init; } = true;
}

/// <summary>An input or target: its name, element type and shape (null for dimensions open until run time, such as B and T).</summary>
public sealed record TensorInfo(string Name, DType DType, IReadOnlyList<long?> Shape)
{
    /// <summary>For a target: the input whose next tokens it is (token corpora supply it by shifting that input).</summary>
    public string? NextOf { get; init; }

    /// <summary>For an input: the model runs without it.</summary>
    public bool Optional { get; init; }

    /// <summary><c>long[B, T]</c>, with open dimensions as <c>?</c>.</summary>
    public override string ToString() => $"{DType.Name()}[{string.Join(", ", Shape.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"))}]";
}

/// <summary>One term of a model's objective: its log name, loss kind (<c>cross_entropy</c>, <c>mse</c>, <c>aux</c> …), input and target names.</summary>
public sealed record ObjectiveTermInfo(string Name, string Kind, string Input, string? Target)
{
    /// <summary>For a classification term: the target id it ignores (PyTorch's ignore_index).</summary>
    public long? IgnoreIndex { get; init; }
}

/// <summary>A layer as <c>liquid inspect</c> lists it: its path (<c>*</c> stands for a block's index), kind and output type.</summary>
public sealed record LayerShape(string Path, string Kind, string Output);

/// <summary>A config override or combination of values is invalid.</summary>
public sealed class ConfigException(string message) : Exception(message);
