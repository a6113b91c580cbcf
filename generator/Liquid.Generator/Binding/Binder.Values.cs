using System;
using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding;

/// <summary>Which generated method a scope of values belongs to.</summary>
internal enum MethodKind
{
    /// <summary>The model's Forward.</summary>
    Model,
    /// <summary>A repeated block's Forward.</summary>
    Block,
    /// <summary>A vector field's Evaluate(t, y).</summary>
    VectorField,
}

/// <summary>A named value while binding: its type, the C# local that holds it, where it was named and whether anything read it.</summary>
internal sealed class BoundValue(string name, ValueType? type, string local, YamlNode? definedAt)
{
    public string Name { get; } = name;

    /// <summary>Null for a carried value whose first producer has not been bound yet.</summary>
    public ValueType? Type { get; set; } = type;

    public string Local { get; } = local;

    /// <summary>The <c>as:</c> (or declaration) node that named it; null for the unnamed stream.</summary>
    public YamlNode? DefinedAt { get; set; } = definedAt;

    public bool Used { get; set; }

    public bool IsInput { get; init; }

    /// <summary>May be null at run time (an optional input, a carried state before the first block).</summary>
    public bool Nullable { get; init; }

    /// <summary>A model output or objective input: never reported as unused.</summary>
    public bool Exported { get; set; }

    public TensorType? Tensor => Type as TensorType;
}

/// <summary>
/// The values and layer names of one generated method. A block's scope reads the enclosing
/// method's values as parameters of its own (<see cref="Free"/>).
/// </summary>
internal sealed class ValueScope(ValueScope? outer, MethodKind kind)
{
    // Names the generated methods use for locals of their own.
    private static readonly HashSet<string> GeneratedLocals = new(StringComparer.Ordinal) { "scope", "context", "state", "block", "index", "config", "output", "loss", "targets", "inputs" };

    public ValueScope? Outer { get; } = outer;

    public MethodKind Kind { get; } = kind;

    public Dictionary<string, BoundValue> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>The value the next layer reads unless it names its inputs.</summary>
    public BoundValue? Current { get; set; }

    /// <summary>The local that unnamed outputs go to: <c>x</c>, or a residual's branch (<c>h</c>, <c>h2</c> …).</summary>
    public string Stream { get; set; } = "x";

    public int ResidualDepth { get; set; }

    /// <summary>Outer values this block reads, in order of first use: parameters of its Forward.</summary>
    public List<(BoundValue Outer, BoundValue Inner)> Free { get; } = new();

    // Layer names, their fields and what kinds remember (a token embedding's sizes for a tied head).
    public Dictionary<string, LayerRecord> Layers { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Fields { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, int> KindCounts { get; } = new(StringComparer.Ordinal);

    /// <summary>The value called <paramref name="name"/>: this method's own, or an outer one passed in.</summary>
    public BoundValue? Find(string name)
    {
        if (Values.TryGetValue(name, out var value)) return value;
        if (Outer?.Find(name) is not { } outerValue) return null;
        var inner = new BoundValue(name, outerValue.Type, outerValue.Local, outerValue.DefinedAt) { Nullable = outerValue.Nullable };
        outerValue.Used = true;
        Values[name] = inner;
        Free.Add((outerValue, inner));
        return inner;
    }

    /// <summary>Whether <paramref name="local"/> is a generated method's own variable (<c>h</c>, <c>h2</c>, <c>context</c> …).</summary>
    public static bool IsGeneratedLocal(string local) =>
        GeneratedLocals.Contains(local) || (local.Length > 0 && local[0] == 'h' && local.Skip(1).All(char.IsDigit));

    public LayerRecord? FindLayer(string name) => Layers.TryGetValue(name, out var layer) ? layer : Outer?.FindLayer(name);
}

/// <summary>A bound layer as later layers of the same file see it (a tied head looks up its embedding).</summary>
internal sealed class LayerRecord(string kind, string field)
{
    public string Kind { get; } = kind;

    public string Field { get; } = field;

    public Dictionary<string, Dim> Remembered { get; } = new(StringComparer.Ordinal);
}

internal sealed partial class Binder
{
    private static readonly string[] ElementNames = ["long", "int", "float", "double", "bool"];
    private static readonly string[] InputSpecKeys = ["type", "optional", "doc"];

    // Members the generated output class inherits from ModelOutput or object.
    private static readonly string[] OutputMembers =
        ["Primary", "Output", "Values", "Losses", "Metrics", "Dispose", "Equals", "GetHashCode", "GetType", "ToString", "MemberwiseClone", "Finalize"];

    /// <summary><c>float[B, T, d_model]</c> → element type and dims; null after reporting.</summary>
    private TensorType? ParseTensorType(YamlScalar text, string what)
    {
        var spec = text.Value.Trim();
        var open = spec.IndexOf('[');
        if (open < 0 || !spec.EndsWith("]", StringComparison.Ordinal))
        {
            Report(Diagnostics.WrongType, text, what, "a type like float[B, T, d_model]", text.Describe());
            return null;
        }
        var element = spec.Substring(0, open).Trim();
        if (!ElementNames.Contains(element))
        {
            Report(Diagnostics.WrongType, text, $"the element type of {what}", string.Join(", ", ElementNames), $"'{Names.Clip(element)}'");
            return null;
        }
        var inside = spec.Substring(open + 1, spec.Length - open - 2);
        var dims = new List<Dim>();
        foreach (var part in inside.Length == 0 ? [] : inside.Split(','))
        {
            var dim = part.Trim();
            if (dim.Length == 0)
            {
                Report(Diagnostics.WrongType, text, $"a dimension of {what}", "a name or expression", "empty");
                return null;
            }
            if (char.IsUpper(dim[0]) && Names.IsIdentifier(dim) && !_values.ContainsKey(dim))
            {
                dims.Add(Dim.Of(dim)); // symbolic: B, T, V …
                continue;
            }
            var bound = BindExpression(new YamlScalar(dim, false, text.Span), $"a dimension of {what}", inBlock: false);
            if (bound is null) return null;
            if (bound.Value.Default.Kind != ValueKind.Int || bound.Value.Default.Int < 1)
            {
                Report(Diagnostics.OutOfRange, text, $"a dimension of {what} must be a positive integer, not {bound.Value.Default}");
                return null;
            }
            dims.Add(Dim.Of(bound.Value.Expr, bound.Value.Default.Int));
        }
        var type = element switch
        {
            "long" => ElementType.Long,
            "int" => ElementType.Int,
            "float" => ElementType.Float,
            "double" => ElementType.Double,
            _ => ElementType.Bool,
        };
        return new TensorType(type, dims.ToEquatableArray());
    }

    /// <summary>A value name from the file: an identifier that is no generated local; its C# local.</summary>
    private string? ValueLocal(YamlScalar name, string what)
    {
        if (!Names.IsIdentifier(name.Value) || name.Value.Length > MaxNameLength)
        {
            Report(Diagnostics.InvalidName, name, Names.Clip(name.Value), what, "use letters, digits and underscores, starting with a letter");
            return null;
        }
        var local = Names.Local(name.Value);
        if (ValueScope.IsGeneratedLocal(local.TrimStart('@')))
        {
            Report(Diagnostics.InvalidName, name, name.Value, what, "the generated Forward method uses it for a variable of its own (x, h, h2 …, context, scope, state, block, index, config)");
            return null;
        }
        return local;
    }

    // ---- inputs, targets, outputs -------------------------------------------------------------

    private List<InputSpec> BindInputs(YamlNode? node, ValueScope scope)
    {
        var inputs = new List<InputSpec>();
        var errors = ErrorCount;
        if (node is null)
        {
            var tokens = TensorType.Of(ElementType.Long, Dim.Of("B"), Dim.Of("T"));
            inputs.Add(new InputSpec("tokens", "tokens", tokens, Optional: false));
            scope.Values["tokens"] = new BoundValue("tokens", tokens, "tokens", null) { IsInput = true, Used = true };
            return inputs;
        }
        foreach (var (key, type, optional) in BindDeclarations(node, "inputs", allowOptional: true))
        {
            if (ValueLocal(key, "input name") is not { } local) continue;
            if (local == "x")
            {
                Report(Diagnostics.InvalidName, key, key.Value, "input name", "the generated Forward method uses it for a variable of its own (x is the stream of unnamed layer outputs)");
                continue;
            }
            if (scope.Values.ContainsKey(key.Value))
            {
                Report(Diagnostics.DuplicateName, key, key.Value, "another input has this name");
                continue;
            }
            inputs.Add(new InputSpec(key.Value, local, type, optional));
            scope.Values[key.Value] = new BoundValue(key.Value, type, local, key) { IsInput = true, Nullable = optional };
        }
        if (inputs.Count == 0 && ErrorCount == errors) Report(Diagnostics.MissingKey, node, "'inputs'", "at least one input");
        return inputs;
    }

    private List<(YamlScalar Key, TensorType Type)> BindTargets(YamlNode? node)
    {
        var targets = new List<(YamlScalar, TensorType)>();
        if (node is null) return targets;
        foreach (var (key, type, _) in BindDeclarations(node, "targets", allowOptional: false))
        {
            if (ValueLocal(key, "target name") is null) continue;
            if (targets.Any(t => t.Item1.Value == key.Value)) Report(Diagnostics.DuplicateName, key, key.Value, "another target has this name");
            else targets.Add((key, type));
        }
        return targets;
    }

    /// <summary><c>name: type</c> or <c>name: { type, optional, doc }</c> entries of inputs, targets or outputs.</summary>
    private IEnumerable<(YamlScalar Key, TensorType Type, bool Optional)> BindDeclarations(YamlNode node, string section, bool allowOptional)
    {
        if (ExpectMapping(node, $"'{section}'") is not { } mapping) yield break;
        foreach (var entry in mapping.Entries)
        {
            var what = $"{section} '{Names.Clip(entry.Key.Value)}'";
            YamlScalar? typeText;
            var optional = false;
            if (entry.Value is YamlMapping spec)
            {
                CheckKeys(spec, allowOptional ? InputSpecKeys : ["type", "doc"], what);
                typeText = Get(spec, "type") is { } typeNode ? ExpectScalar(typeNode, what, "a type like float[B, T]") : null;
                if (typeText is null && Get(spec, "type") is null) Report(Diagnostics.MissingKey, entry.Key, what, "type");
                if (allowOptional && Get(spec, "optional") is { } optionalNode)
                {
                    if (optionalNode is YamlScalar { Value: "true" or "false", Quoted: false } flag) optional = flag.Value == "true";
                    else Report(Diagnostics.WrongType, optionalNode, $"'optional' of {what}", "true or false", optionalNode.Describe());
                }
            }
            else
            {
                typeText = ExpectScalar(entry.Value, what, "a type like long[B, T]");
            }
            if (typeText is null || ParseTensorType(typeText, what) is not { } type) continue;
            yield return (entry.Key, type, optional);
        }
    }

    /// <summary>
    /// The model's outputs: each names a value the layers produce; the first may also be the value
    /// the last layer produced. Without <c>outputs:</c> the last value is the output <c>logits</c>.
    /// </summary>
    private List<OutputSpec> BindOutputs(YamlNode? node, ValueScope scope, YamlNode fallbackAt)
    {
        var outputs = new List<OutputSpec>();
        if (node is null)
        {
            if (scope.Current?.Tensor is { } last && ErrorCount == 0)
            {
                scope.Current.Exported = true;
                outputs.Add(new OutputSpec("logits", "Logits", last, scope.Current.Local, IsLoss: false));
            }
            return outputs;
        }
        var first = true;
        foreach (var (key, declared, _) in BindDeclarations(node, "outputs", allowOptional: false).ToList())
        {
            var isFirst = first;
            first = false;
            var property = Names.Pascal(key.Value);
            if (!Names.IsIdentifier(key.Value) || OutputMembers.Contains(property) || property == _typeName + "Output")
            {
                Report(Diagnostics.InvalidName, key, Names.Clip(key.Value), "output name", $"the generated output class inherits a member '{property}' from ModelOutput");
                continue;
            }
            if (outputs.Any(o => o.Property == property))
            {
                Report(Diagnostics.DuplicateName, key, key.Value, "another output has this C# name");
                continue;
            }
            var value = scope.Values.TryGetValue(key.Value, out var named) ? named : isFirst ? scope.Current : null;
            if (value is null)
            {
                if (ErrorCount == 0) Report(Diagnostics.OutputNeverProduced, key, key.Value);
                continue;
            }
            value.Used = true;
            value.Exported = true;
            if (ErrorCount > 0) continue;
            if (value.Tensor is not { } actual)
            {
                Report(Diagnostics.OutputMismatch, key, $"output '{key.Value}' is declared {declared.Display} but the value is a {value.Type?.Display ?? "value of unknown type"}");
                continue;
            }
            if (!declared.Matches(actual))
            {
                Report(Diagnostics.OutputMismatch, key, $"the layers produce {Concrete(actual)} but output '{key.Value}' is declared {Concrete(declared)}");
                continue;
            }
            outputs.Add(new OutputSpec(key.Value, property, actual, value.Local, IsLoss: false));
        }
        return outputs;
    }

    /// <summary>A type with its sizes under the default config: <c>float[B, T, d_model = 64]</c>.</summary>
    private static string Concrete(TensorType type) =>
        $"{TensorType.ElementName(type.Element)}[{string.Join(", ", type.Dims.Select(d => d.IsSymbol || d.Size is IntLiteral ? d.Yaml : $"{d.Yaml} = {d.Default}"))}]";

    /// <summary>Warnings for inputs nothing reads and named values nothing uses.</summary>
    private void ReportUnused(ValueScope scope, IEnumerable<InputSpec> inputs)
    {
        if (ErrorCount > 0) return;
        foreach (var value in scope.Values.Values)
        {
            if (value.Used || value.Exported || value.DefinedAt is null) continue;
            if (value.IsInput) Report(Diagnostics.InputNeverUsed, value.DefinedAt, value.Name);
            else if (value.Type is not LossType) Report(Diagnostics.ValueNeverUsed, value.DefinedAt, value.Name);
        }
    }
}
