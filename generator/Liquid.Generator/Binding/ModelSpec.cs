namespace Liquid.Generator.Binding;

// The binder's output and the emitter's only input. It holds names, C# expression text and
// numbers, never YAML nodes or spans: a comment or whitespace edit binds to an equal ModelSpec,
// so the emit step is skipped by the incremental cache.

/// <summary>A bound model: everything the emitter needs to write its classes.</summary>
internal sealed record ModelSpec(
    string TypeName,
    string FileName,
    string Summary,
    EquatableArray<ConfigField> Config,
    EquatableArray<DerivedField> Derived,
    EquatableArray<TensorSpec> Inputs,
    EquatableArray<TensorSpec> Outputs,
    EquatableArray<LayerSpec> Layers,
    EquatableArray<BlockSpec> Blocks,
    EquatableArray<CheckSpec> Checks,
    ObjectiveSpec Objective,
    EquatableArray<RecipeField> Recipe,
    string? ContextProperty,
    long ParameterCount,
    bool HasCustomLayers);

/// <summary>A config value: YAML name, C# property, type, default (as C# literal) and doc.</summary>
internal sealed record ConfigField(string YamlName, string PropertyName, string CSharpType, string DefaultLiteral, string Doc, EquatableArray<string> EnumValues);

/// <summary>A value computed from config (a read-only property).</summary>
internal sealed record DerivedField(string YamlName, string PropertyName, string CSharpType, string Expression, string YamlExpression);

/// <summary>An input or output: name, element type and symbolic dims as written.</summary>
internal sealed record TensorSpec(string Name, string PropertyName, string DType, EquatableArray<string> Dims)
{
    public string Display => $"{DType}[{string.Join(", ", Dims)}]";
}

/// <summary>A config check emitted into Validate(): when Condition (C#, over the record's properties) holds, Message is an error.</summary>
internal sealed record CheckSpec(string Condition, string Message);

/// <summary>One argument value of a layer, already C# text.</summary>
internal sealed record ArgValue(string Name, string CSharp);

/// <summary>
/// One layer in a body. Kind is a layer kind or "residual"/"repeat". Field is the C# field name
/// (null for residual); StateName the state-dict name. Input/Output are the stream widths as C#.
/// </summary>
internal sealed record LayerSpec(
    string Kind,
    string? StateName,
    string? Field,
    string? RuntimeClass,
    EquatableArray<ArgValue> Args,
    EquatableArray<LayerSpec> Children,
    string? BlockClass,
    string Input,
    string Output,
    string Comment)
{
    public string? Arg(string name)
    {
        foreach (var arg in Args)
            if (arg.Name == name) return arg.CSharp;
        return null;
    }
}

/// <summary>A repeated block: its generated class and body.</summary>
internal sealed record BlockSpec(string ClassName, string StateName, EquatableArray<LayerSpec> Layers, long ParameterCount, string Summary);

/// <summary>The training objective: main loss and weighted auxiliary losses.</summary>
internal sealed record ObjectiveSpec(string Kind, EquatableArray<ArgValue> Args, EquatableArray<ArgValue> AuxWeights);

/// <summary>One property of the training recipe, as a C# initializer.</summary>
internal sealed record RecipeField(string Property, string CSharp);

/// <summary>The binder's result for one file.</summary>
internal sealed record BindResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics);
