using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding;

// The binder's output and the emitter's only input: names, typed values (expressions over YAML
// config names, construction trees, value types) and numbers — never C# text, YAML nodes or spans.
// A comment or whitespace edit binds to an equal ModelSpec, so the emit step is cached.

/// <summary>A bound model: everything the emitter needs to write its classes.</summary>
internal sealed record ModelSpec(
    string TypeName,
    string FileName,
    string Summary,
    EquatableArray<ConfigField> Config,
    EquatableArray<DerivedField> Derived,
    EquatableArray<InputSpec> Inputs,
    EquatableArray<TargetSpec> Targets,
    EquatableArray<OutputSpec> Outputs,
    EquatableArray<Step> Body,
    EquatableArray<BlockSpec> Blocks,
    EquatableArray<CheckSpec> Checks,
    EquatableArray<ObjectiveTerm> Objective,
    EquatableArray<RecipeField> Recipe,
    EquatableArray<LayerShape> Shapes,
    string? VocabularyConfig,
    string? ContextConfig,
    EquatableArray<ParameterTerm> ParameterTerms,
    long DefaultParameterCount,
    bool HasCustomLayers,
    bool Incremental);

/// <summary>The parameters one layer (or one repeat of blocks) adds: an expression of config names and the block index.</summary>
internal sealed record ParameterTerm(string Layer, Expr Count);

/// <summary>A config value: YAML name, C# property, type, default, doc and (for enums) the allowed words.</summary>
internal sealed record ConfigField(string YamlName, string PropertyName, ValueKind Kind, Value Default, string Doc, EquatableArray<string> EnumValues);

/// <summary>A value computed from config (a read-only property).</summary>
internal sealed record DerivedField(string YamlName, string PropertyName, ValueKind Kind, Expr Expression);

/// <summary>A model input: a parameter of Forward.</summary>
internal sealed record InputSpec(string Name, string Local, TensorType Type, bool Optional);

/// <summary>
/// A tensor the data supplies for the objective only: declared in <c>targets:</c>, or the next
/// tokens of an input (<see cref="NextOf"/>), which token corpora supply.
/// </summary>
internal sealed record TargetSpec(string Name, string Local, TensorType Type, string? NextOf);

/// <summary>A member of the generated output class: a model output or an auxiliary loss.</summary>
internal sealed record OutputSpec(string Name, string Property, ValueType Type, string Local, bool IsLoss);

/// <summary>One statement of a body.</summary>
internal abstract record Step;

/// <summary>A layer call: <c>x = _attn.Forward(x, context);</c>.</summary>
internal sealed record LayerStep(LayerSpec Layer) : Step;

/// <summary><c>output = input + f(input)</c>, f the body run on the branch variable.</summary>
internal sealed record ResidualStep(string Input, string Branch, EquatableArray<Step> Body, string Result, string Output) : Step;

/// <summary>
/// A repeated block run in sequence: <c>foreach (var block in _h) x = block.Forward(x, context);</c>.
/// The arguments are outer locals (the stream first); the results are the outer locals the stream and
/// the carried values go back to.
/// </summary>
internal sealed record RepeatStep(string Field, string BlockClass, EquatableArray<string> Arguments, EquatableArray<BlockValue> Results) : Step;

/// <summary>
/// One layer: its state-dict name and C# field, what it constructs, and how it is called (inputs as
/// locals, outputs bound to locals, the runtime method, whether the context is passed).
/// </summary>
internal sealed record LayerSpec(
    string Kind,
    string StateName,
    string Field,
    string FieldType,
    Code Construction,
    EquatableArray<CallInput> Inputs,
    EquatableArray<CallOutput> Outputs,
    string Method,
    bool TakesContext,
    bool ReturnsRecord);

/// <summary>An argument of a layer call: a local, or an absent optional input (<c>name: null</c>).</summary>
internal sealed record CallInput(string Parameter, string? Local);

/// <summary>An output of a layer call: the runtime record's member, the local it goes to (null: discarded), for losses the loss name, and its type as a shape comment shows it.</summary>
internal sealed record CallOutput(string Member, string? Local, string? Loss, string Type);

/// <summary>What a generated block class is for.</summary>
internal enum BlockRole
{
    /// <summary>One of N repeated blocks: <c>Forward(x, …, context)</c>.</summary>
    Repeat,
    /// <summary>A vector field f(t, y) a layer integrates: <c>IOdeFunction.Evaluate(t, y)</c>.</summary>
    VectorField,
}

/// <summary>A generated block class (repeated block or vector field): its parameters and results, and body.</summary>
internal sealed record BlockSpec(
    BlockRole Role,
    string ClassName,
    string StateName,
    Expr Count,
    EquatableArray<BlockValue> Inputs,
    EquatableArray<BlockValue> Results,
    EquatableArray<Step> Body,
    EquatableArray<ParameterTerm> ParameterTerms,
    bool VariesWithIndex,
    long DefaultParameterCount,
    string Summary);

/// <summary>A value passed into or out of a block method.</summary>
internal sealed record BlockValue(string Local, ValueType Type, bool Nullable);

/// <summary>A check emitted into Validate(): when <see cref="Failure"/> holds, the message is an error.</summary>
internal sealed record CheckSpec(Expr Failure, EquatableArray<MessagePart> Message);

/// <summary>Literal text, or a value interpolated into a Validate() message.</summary>
internal sealed record MessagePart(string? Text, Expr? Value)
{
    public static MessagePart Of(string text) => new(text, null);

    public static MessagePart Of(Expr value) => new(null, value);
}

/// <summary>
/// One term of the objective: a loss function of an output (and a target), weighed. The name is what
/// the training log calls it.
/// </summary>
internal sealed record ObjectiveTerm(string Name, string Kind, string Input, string? Target, EquatableArray<NamedCode> Args, Expr Weight);

/// <summary>One property of the training recipe.</summary>
internal sealed record RecipeField(string Property, Code Value);

/// <summary>A row of <c>liquid inspect</c>: layer path (<c>*</c> for a block index), kind and output type.</summary>
internal sealed record LayerShape(string Path, string Kind, TensorType? Type);

/// <summary>A type a model file generates, and where the file names it.</summary>
internal sealed record GeneratedType(string Name, Parsing.SourceSpan Span);

/// <summary>The binder's result for one file.</summary>
internal sealed record BindResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// A model file's generated type names and the location of its <c>model:</c> name, read from the
/// tree alone (so it has spans, and binding stays free of them).
/// </summary>
internal sealed record ModelIdentity(string TypeName, EquatableArray<GeneratedType> GeneratedTypes, string Path, Parsing.SourceSpan NameSpan)
{
    /// <summary>The identity of a parsed file, or null when it names no valid model.</summary>
    public static ModelIdentity? Of(Parsing.ParsedFile file)
    {
        if (file.Root is null) return null;
        var model = file.Root.Entries.FirstOrDefault(e => e.Key.Value == "model")?.Value as Parsing.YamlScalar;
        if (model is null || !Names.IsIdentifier(model.Value)) return null;
        var types = new List<GeneratedType> { new(model.Value, model.Span), new(model.Value + "Config", model.Span), new(model.Value + "Output", model.Span) };
        // Block classes, named as the binder names them: 'class:', else Block for the first repeat and <Name>Block after it.
        var repeats = (file.Root.Entries.FirstOrDefault(e => e.Key.Value == "layers")?.Value as Parsing.YamlSequence)?.Items
            .OfType<Parsing.YamlMapping>().Where(m => m.Entries.Any(e => e.Key.Value == "repeat")).ToList() ?? [];
        for (var i = 0; i < repeats.Count; i++)
        {
            Parsing.YamlScalar? Scalar(string key) => repeats[i].Entries.FirstOrDefault(e => e.Key.Value == key)?.Value as Parsing.YamlScalar;
            var named = Scalar("class");
            types.Add(named is not null ? new(named.Value, named.Span)
                : new(i == 0 ? model.Value + "Block" : model.Value + Names.Pascal(Scalar("name")?.Value ?? "h") + "Block", repeats[i].Span));
        }
        return new ModelIdentity(model.Value, types.ToEquatableArray(), file.Path, model.Span);
    }
}
