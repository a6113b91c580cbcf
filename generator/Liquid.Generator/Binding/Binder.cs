using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Liquid.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Liquid.Generator.Binding;

/// <summary>
/// Checks a parsed model file against the language and turns it into a <see cref="ModelSpec"/>:
/// resolves names and references, evaluates expressions with the default config, tracks the
/// stream's shape from layer to layer, counts parameters and collects the checks that Validate()
/// must repeat for overridden configs. Every problem becomes a located diagnostic; binding goes on
/// after an error so one build reports as much as it can.
/// </summary>
internal sealed partial class Binder
{
    private static readonly string[] RootKeys = ["model", "summary", "config", "derived", "inputs", "outputs", "layers", "objective", "train"];
    private static readonly string[] Reserved = ["index", "min", "max", "B", "T"];

    private readonly ParsedFile _file;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _properties = new(StringComparer.Ordinal);
    private readonly List<ConfigField> _config = new();
    private readonly List<DerivedField> _derived = new();
    private readonly List<CheckSpec> _checks = new();
    private readonly HashSet<string> _checkConditions = new(StringComparer.Ordinal);
    private readonly List<BlockSpec> _blocks = new();
    private string _typeName = "Model";
    private bool _hasCustom;
    // Set when an argument depends on the block index ('index' or a cycle): the repeat must then bind every block.
    private bool _indexUsed;

    private Binder(ParsedFile file) => _file = file;

    public static BindResult Bind(ParsedFile file)
    {
        if (file.Root is null) return new BindResult(null, EquatableArray<DiagnosticInfo>.Empty);
        var binder = new Binder(file);
        var model = binder.BindModel(file.Root);
        return new BindResult(binder._diagnostics.Count == 0 ? model : null, binder._diagnostics.ToEquatableArray());
    }

    // ---- diagnostics ------------------------------------------------------------------------

    private void Report(DiagnosticDescriptor descriptor, YamlNode at, params string[] arguments) =>
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, _file.Path, at.Span, arguments));

    private void Report(DiagnosticDescriptor descriptor, SourceSpan at, params string[] arguments) =>
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, _file.Path, at, arguments));

    private int ErrorCount => _diagnostics.Count;

    /// <summary>Reports keys of <paramref name="mapping"/> that are not in <paramref name="allowed"/>.</summary>
    private void CheckKeys(YamlMapping mapping, IReadOnlyCollection<string> allowed, string where)
    {
        foreach (var entry in mapping.Entries)
            if (!allowed.Contains(entry.Key.Value))
                Report(Diagnostics.UnknownKey, entry.Key, entry.Key.Value, where, Names.Suggest(entry.Key.Value, allowed));
    }

    private static YamlNode? Get(YamlMapping mapping, string key)
    {
        foreach (var entry in mapping.Entries)
            if (entry.Key.Value == key) return entry.Value;
        return null;
    }

    private YamlScalar? ExpectScalar(YamlNode node, string what, string expected)
    {
        if (node is YamlScalar scalar) return scalar;
        Report(Diagnostics.WrongType, node, what, expected, node.Describe());
        return null;
    }

    private YamlMapping? ExpectMapping(YamlNode node, string what)
    {
        if (node is YamlMapping mapping) return mapping;
        Report(Diagnostics.WrongType, node, what, "a mapping", node.Describe());
        return null;
    }

    // ---- model ------------------------------------------------------------------------------

    private ModelSpec BindModel(YamlMapping root)
    {
        CheckKeys(root, RootKeys, "the model file");

        var modelNode = Get(root, "model");
        if (modelNode is null) Report(Diagnostics.MissingKey, root.Entries.Count > 0 ? root.Entries[0].Key : (YamlNode)root, "The model file", "model");
        else if (ExpectScalar(modelNode, "'model'", "a C# type name") is { } modelName)
        {
            if (!Names.IsIdentifier(modelName.Value) || !char.IsUpper(modelName.Value[0]))
                Report(Diagnostics.InvalidName, modelName, modelName.Value, "model name", "it becomes a C# type, so use PascalCase letters and digits, e.g. TinyGpt");
            else if (modelName.Value == "ModelCatalog")
                Report(Diagnostics.InvalidName, modelName, modelName.Value, "model name", "the generated catalog of models has that name");
            else _typeName = modelName.Value;
        }

        var summary = "";
        if (Get(root, "summary") is { } summaryNode && ExpectScalar(summaryNode, "'summary'", "text") is { } summaryText) summary = summaryText.Value.Trim();

        if (Get(root, "config") is { } configNode && ExpectMapping(configNode, "'config'") is { } config) BindConfig(config);
        if (Get(root, "derived") is { } derivedNode && ExpectMapping(derivedNode, "'derived'") is { } derived) BindDerived(derived);

        var inputs = Get(root, "inputs") is { } inputsNode ? BindTensors(inputsNode, "inputs") : new List<TensorSpec>();
        var outputs = Get(root, "outputs") is { } outputsNode ? BindTensors(outputsNode, "outputs") : new List<TensorSpec>();
        if (inputs.Count == 0 && Get(root, "inputs") is null) inputs.Add(new TensorSpec("tokens", "Tokens", "long", new[] { "B", "T" }.ToEquatableArray()));
        if (outputs.Count == 0 && Get(root, "outputs") is null) outputs.Add(new TensorSpec("logits", "Logits", "float", new[] { "B", "T", "V" }.ToEquatableArray()));

        var layers = new List<LayerSpec>();
        long parameters = 0;
        var layersNode = Get(root, "layers");
        if (layersNode is null) Report(Diagnostics.MissingKey, root.Entries.Count > 0 ? root.Entries[0].Key : (YamlNode)root, "The model file", "layers");
        else if (layersNode is not YamlSequence sequence) Report(Diagnostics.WrongType, layersNode, "'layers'", "a list of layers", layersNode.Describe());
        else if (inputs.Count > 0)
        {
            var stream = Stream.FromInput(inputs[0]);
            var scope = new LayerScope(null, inBlock: false, new Dictionary<string, LayerSpec>(StringComparer.Ordinal));
            var body = BindBody(sequence, scope, ref stream, out parameters);
            layers.AddRange(body);
            if (outputs.Count > 0 && ErrorCount == 0) CheckOutput(stream, outputs[0], Get(root, "outputs") ?? layersNode);
        }

        var objective = Get(root, "objective") is { } objectiveNode ? BindObjective(objectiveNode) : DefaultObjective;
        var recipe = Get(root, "train") is { } trainNode ? BindRecipe(trainNode) : new List<RecipeField>();
        var context = _config.FirstOrDefault(c => c.YamlName is "context" or "max_positions" or "block_size")?.PropertyName;

        return new ModelSpec(_typeName, _file.ModelFileName, summary, _config.ToEquatableArray(), _derived.ToEquatableArray(),
            inputs.ToEquatableArray(), outputs.ToEquatableArray(), layers.ToEquatableArray(), _blocks.ToEquatableArray(),
            _checks.ToEquatableArray(), objective, recipe.ToEquatableArray(), context, parameters, _hasCustom);
    }

    // ---- config and derived values ----------------------------------------------------------

    private static readonly string[] ConfigSpecKeys = ["type", "default", "doc", "min", "max", "values"];

    private void BindConfig(YamlMapping config)
    {
        foreach (var entry in config.Entries)
        {
            var name = entry.Key.Value;
            if (!CheckNewName(entry.Key, "config name")) continue;

            YamlScalar? defaultNode;
            string? declaredType = null;
            var doc = "";
            string[] values = [];
            YamlScalar? min = null, max = null;
            if (entry.Value is YamlMapping spec)
            {
                CheckKeys(spec, ConfigSpecKeys, $"config '{name}'");
                if (Get(spec, "type") is { } typeNode && ExpectScalar(typeNode, $"config '{name}' type", "int, float, bool, string or enum") is { } typeScalar)
                {
                    declaredType = typeScalar.Value;
                    if (declaredType is not ("int" or "float" or "bool" or "string" or "enum"))
                    {
                        Report(Diagnostics.WrongType, typeScalar, $"config '{name}' type", "int, float, bool, string or enum", typeScalar.Describe());
                        continue;
                    }
                }
                if (Get(spec, "doc") is { } docNode && ExpectScalar(docNode, $"config '{name}' doc", "text") is { } docScalar) doc = docScalar.Value;
                if (Get(spec, "values") is { } valuesNode)
                {
                    if (valuesNode is YamlSequence list) values = list.Items.OfType<YamlScalar>().Select(s => s.Value).ToArray();
                    else Report(Diagnostics.WrongType, valuesNode, $"config '{name}' values", "a list", valuesNode.Describe());
                }
                min = Get(spec, "min") is { } minNode ? ExpectScalar(minNode, $"config '{name}' min", "a number") : null;
                max = Get(spec, "max") is { } maxNode ? ExpectScalar(maxNode, $"config '{name}' max", "a number") : null;
                var defaultValue = Get(spec, "default");
                if (defaultValue is null)
                {
                    Report(Diagnostics.MissingKey, entry.Key, $"Config '{name}'", "default");
                    continue;
                }
                defaultNode = ExpectScalar(defaultValue, $"config '{name}' default", "a value");
            }
            else
            {
                defaultNode = ExpectScalar(entry.Value, $"config '{name}'", "a value or a mapping with type and default");
            }
            if (defaultNode is null) continue;

            var value = Literal(defaultNode);
            var type = declaredType switch
            {
                "int" => ValueKind.Int,
                "float" => ValueKind.Float,
                "bool" => ValueKind.Bool,
                "string" or "enum" => ValueKind.String,
                _ => value.Kind,
            };
            if (type == ValueKind.Float && value.Kind == ValueKind.Int) value = Value.Of((double)value.Int);
            if (value.Kind != type)
            {
                Report(Diagnostics.WrongType, defaultNode, $"config '{name}'", TypeWord(type), defaultNode.Describe());
                continue;
            }
            if (declaredType == "enum")
            {
                if (values.Length == 0) Report(Diagnostics.MissingKey, entry.Key, $"Enum config '{name}'", "values");
                else if (!values.Contains(value.Text)) Report(Diagnostics.OutOfRange, defaultNode, $"'{value.Text}' is not one of {string.Join(", ", values)}{Names.Suggest(value.Text ?? "", values)}");
            }

            var property = Names.Pascal(name);
            _values[name] = value;
            _properties[name] = property;
            _config.Add(new ConfigField(name, property, CSharpType(type), CSharpLiteral(value), doc, values.ToEquatableArray()));
            AddRangeCheck(name, property, value, min, ">=", "at least");
            AddRangeCheck(name, property, value, max, "<=", "at most");
            if (declaredType == "enum" && values.Length > 0)
                AddCheck($"{property} is not ({string.Join(" or ", values.Select(v => CSharpLiteral(Value.Of(v))))})",
                    $"$\"{name} must be one of {Escape(string.Join(", ", values))}, not '{{{property}}}'\"");
        }
    }

    private void AddRangeCheck(string name, string property, Value value, YamlScalar? bound, string op, string word)
    {
        if (bound is null) return;
        var limit = Literal(bound);
        if (limit.Kind is not (ValueKind.Int or ValueKind.Float) || value.Kind is not (ValueKind.Int or ValueKind.Float))
        {
            Report(Diagnostics.WrongType, bound, $"the bound of config '{name}'", "a number", bound.Describe());
            return;
        }
        var holds = op == ">=" ? value.AsDouble >= limit.AsDouble : value.AsDouble <= limit.AsDouble;
        if (!holds) Report(Diagnostics.OutOfRange, bound, $"config '{name}' defaults to {value} but must be {word} {limit}");
        AddCheck($"!({property} {op} {CSharpLiteral(limit)})", $"$\"{name} must be {word} {limit}, not {{{property}}}\"");
    }

    private void BindDerived(YamlMapping derived)
    {
        foreach (var entry in derived.Entries)
        {
            var name = entry.Key.Value;
            if (!CheckNewName(entry.Key, "derived name")) continue;
            if (ExpectScalar(entry.Value, $"derived '{name}'", "an expression") is not { } scalar) continue;
            var bound = BindExpression(scalar, $"derived '{name}'", LayerScope.Root);
            if (bound is null) continue;
            var property = Names.Pascal(name);
            _values[name] = bound.Value.Default;
            _properties[name] = property;
            _derived.Add(new DerivedField(name, property, CSharpType(bound.Value.Default.Kind), bound.Value.Bare, Render.Expression(bound.Value.Expr)));
        }
    }

    private bool CheckNewName(YamlScalar key, string what)
    {
        var name = key.Value;
        if (!Names.IsIdentifier(name))
        {
            Report(Diagnostics.InvalidName, key, name, what, "use letters, digits and underscores, starting with a letter");
            return false;
        }
        if (Reserved.Contains(name))
        {
            Report(Diagnostics.InvalidName, key, name, what, "the name is reserved in expressions");
            return false;
        }
        if (_values.ContainsKey(name) || _properties.Values.Contains(Names.Pascal(name)))
        {
            Report(Diagnostics.DuplicateName, key, name, "a config or derived value of the same C# name exists");
            return false;
        }
        return true;
    }

    // ---- inputs and outputs -----------------------------------------------------------------

    private static readonly string[] DTypes = ["long", "int", "float", "double", "bool"];

    // What the emitted code already names: Forward's stream, residual branches, scope, state and
    // loop variable (inputs are its parameters), and the members of ModelOutput and object (outputs
    // become properties of a ModelOutput subclass).
    private static bool IsForwardLocal(string name) =>
        name is "x" or "scope" or "state" or "block" || (name[0] == 'h' && name.Skip(1).All(char.IsDigit));

    private static readonly string[] OutputMembers = ["Output", "Extras", "AuxLosses", "Dispose", "Equals", "GetHashCode", "GetType", "ToString", "MemberwiseClone", "Finalize"];

    private List<TensorSpec> BindTensors(YamlNode node, string section)
    {
        var result = new List<TensorSpec>();
        if (ExpectMapping(node, $"'{section}'") is not { } mapping) return result;
        foreach (var entry in mapping.Entries)
        {
            var name = entry.Key.Value;
            if (!Names.IsIdentifier(name))
            {
                Report(Diagnostics.InvalidName, entry.Key, name, $"{section} name", "use letters, digits and underscores");
                continue;
            }
            if (section == "inputs" && IsForwardLocal(name))
            {
                Report(Diagnostics.InvalidName, entry.Key, name, "input name", "the generated Forward method uses it for a variable of its own (x, h, h2 …, scope, state, block)");
                continue;
            }
            if (section == "outputs" && OutputMembers.Contains(Names.Pascal(name)))
            {
                Report(Diagnostics.InvalidName, entry.Key, name, "output name", $"the generated output class inherits a member '{Names.Pascal(name)}' from ModelOutput");
                continue;
            }
            if (ExpectScalar(entry.Value, $"{section} '{name}'", "a type like long[B, T]") is not { } text) continue;
            var spec = text.Value.Trim();
            var open = spec.IndexOf('[');
            if (open < 0 || !spec.EndsWith("]", StringComparison.Ordinal))
            {
                Report(Diagnostics.WrongType, text, $"{section} '{name}'", "a type like float[B, T, d_model]", text.Describe());
                continue;
            }
            var dtype = spec.Substring(0, open).Trim();
            if (!DTypes.Contains(dtype))
            {
                Report(Diagnostics.WrongType, text, $"the element type of {section} '{name}'", string.Join(", ", DTypes), $"'{dtype}'");
                continue;
            }
            var dims = spec.Substring(open + 1, spec.Length - open - 2).Split(',').Select(d => d.Trim()).ToList();
            foreach (var dim in dims)
            {
                if (dim.Length == 0) Report(Diagnostics.WrongType, text, $"a dimension of {section} '{name}'", "a name or expression", "empty");
                else if (char.IsUpper(dim[0]) && Names.IsIdentifier(dim)) continue; // symbolic: B, T, V …
                else BindExpression(new YamlScalar(dim, false, text.Span), $"a dimension of {section} '{name}'", LayerScope.Root);
            }
            result.Add(new TensorSpec(name, Names.Pascal(name), dtype, dims.ToEquatableArray()));
        }
        return result;
    }

    private void CheckOutput(Stream stream, TensorSpec output, YamlNode at)
    {
        var expectedRank = output.Dims.Count;
        var floating = output.DType is "float" or "double";
        if (stream.IsIds == floating || stream.Rank != expectedRank)
        {
            Report(Diagnostics.OutputMismatch, at, $"the layers produce {stream.Display} but output '{output.Name}' is declared {output.Display}");
            return;
        }
        var last = output.Dims[expectedRank - 1];
        if (char.IsUpper(last[0]) && Names.IsIdentifier(last)) return;
        var bound = BindExpression(new YamlScalar(last, false, at.Span), $"output '{output.Name}'", LayerScope.Root);
        if (bound is { } b && stream.Width is { } width && b.Default.Kind == ValueKind.Int && b.Default.Int != width.Value)
            Report(Diagnostics.OutputMismatch, at, $"the layers produce width {width.Value} ({width.Yaml}) but output '{output.Name}' is declared {output.Display} (= {b.Default.Int})");
    }

    // ---- expressions ------------------------------------------------------------------------

    /// <summary>An expression with its C# renderings (inside modules: <c>config.X</c>; inside the config record: <c>X</c>) and its default value.</summary>
    internal readonly record struct BoundExpression(Expr Expr, string Module, string Bare, Value Default, bool UsesIndex);

    private BoundExpression? BindExpression(YamlScalar scalar, string what, LayerScope scope, int index = 0)
    {
        Expr expr;
        try
        {
            expr = ExpressionParser.Parse(scalar.Value);
        }
        catch (ExpressionException e)
        {
            Report(Diagnostics.InvalidExpression, scalar, scalar.Value, e.Message);
            return null;
        }
        var ok = true;
        var usesIndex = false;
        foreach (var name in ExpressionEvaluator.Names(expr))
        {
            if (name.Name == "index" && scope.InBlock)
            {
                usesIndex = true;
                continue;
            }
            if (_values.ContainsKey(name.Name)) continue;
            var candidates = scope.InBlock ? _values.Keys.Concat(new[] { "index" }) : _values.Keys;
            Report(Diagnostics.UndefinedName, scalar, name.Name, Names.Suggest(name.Name, candidates) is { Length: > 0 } s ? s : " (define it under 'config')");
            ok = false;
        }
        if (!ok) return null;
        if (usesIndex) _indexUsed = true;
        var values = new Dictionary<string, Value>(_values, StringComparer.Ordinal) { ["index"] = Value.Of((long)index) };
        var inexact = new List<string>();
        Value result;
        try
        {
            result = ExpressionEvaluator.Evaluate(expr, values, inexact);
        }
        catch (Exception e) when (e is ExpressionException or OverflowException)
        {
            Report(Diagnostics.InvalidExpression, scalar, scalar.Value, e is OverflowException ? "the value overflows a 64-bit integer" : e.Message);
            return null;
        }
        foreach (var message in inexact) Report(Diagnostics.NotDivisible, scalar, $"{what}: {message} with the default config");
        if (!usesIndex) AddDivisionChecks(expr);
        var module = Render.CSharp(expr, n => n == "index" ? "index" : "config." + _properties[n]);
        // 'index' exists only inside a block; checks built from Bare skip expressions that use it.
        var bare = Render.CSharp(expr, n => n == "index" ? "index" : _properties[n]);
        return new BoundExpression(expr, module, bare, result, usesIndex);
    }

    /// <summary>Every '/' of integer operands must stay exact for overridden configs too.</summary>
    private void AddDivisionChecks(Expr expr)
    {
        switch (expr)
        {
            case BinaryExpr bin:
                AddDivisionChecks(bin.Left);
                AddDivisionChecks(bin.Right);
                if (bin.Operator == "/" && IsIntegral(bin.Left) && IsIntegral(bin.Right))
                {
                    var left = Render.CSharp(bin.Left, n => _properties[n]);
                    var right = Render.CSharp(bin.Right, n => _properties[n]);
                    AddCheck($"{right} == 0 || {Paren(left)} % {Paren(right)} != 0",
                        $"$\"{Escape(Render.Expression(bin.Left))} ({{{left}}}) must be divisible by {Escape(Render.Expression(bin.Right))} ({{{right}}})\"");
                }
                break;
            case Negate neg: AddDivisionChecks(neg.Operand); break;
            case SqrtExpr sqrt: AddDivisionChecks(sqrt.Operand); break;
            case CallExpr call:
                AddDivisionChecks(call.First);
                AddDivisionChecks(call.Second);
                break;
        }
    }

    private bool IsIntegral(Expr expr)
    {
        try
        {
            return ExpressionEvaluator.Evaluate(expr, _values, new List<string>()).Kind == ValueKind.Int;
        }
        catch (Exception e) when (e is ExpressionException or OverflowException or KeyNotFoundException)
        {
            return false;
        }
    }

    private void AddCheck(string condition, string message)
    {
        // A condition over literals only was decided while binding; emitted, it would be dead code
        // (warning CS0162 in the models project) and read as noise.
        if (IsConstant(condition)) return;
        if (_checkConditions.Add(condition)) _checks.Add(new CheckSpec(condition, message));
    }

    private static bool IsConstant(string csharp) =>
        !SyntaxFactory.ParseExpression(csharp).DescendantNodesAndSelf().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax>().Any();

    private static string Paren(string csharp) => csharp.All(c => char.IsLetterOrDigit(c) || c == '_' || c == '.') ? csharp : "(" + csharp + ")";

    /// <summary>Text for the inside of an interpolated string literal: escaped as C# and with braces doubled.</summary>
    private static string Escape(string text)
    {
        var literal = SymbolDisplay.FormatLiteral(text, quote: true);
        return literal.Substring(1, literal.Length - 2).Replace("{", "{{").Replace("}", "}}");
    }

    // ---- literals and types -----------------------------------------------------------------

    /// <summary>A scalar's value as YAML 1.2 core schema reads it: int, float, bool, else string.</summary>
    private static Value Literal(YamlScalar scalar)
    {
        var text = scalar.Value.Trim();
        if (scalar.Quoted) return Value.Of(scalar.Value);
        if (text is "true" or "True") return Value.Of(true);
        if (text is "false" or "False") return Value.Of(false);
        if (long.TryParse(text.Replace("_", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return Value.Of(l);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsInfinity(d)) return Value.Of(d);
        return Value.Of(scalar.Value);
    }

    private static string TypeWord(ValueKind kind) => kind switch
    {
        ValueKind.Int => "an integer",
        ValueKind.Float => "a number",
        ValueKind.Bool => "true or false",
        _ => "text",
    };

    private static string CSharpType(ValueKind kind) => kind switch
    {
        ValueKind.Int => "long",
        ValueKind.Float => "double",
        ValueKind.Bool => "bool",
        _ => "string",
    };

    private static string CSharpLiteral(Value value) => value.Kind switch
    {
        ValueKind.Int => value.Int.ToString(CultureInfo.InvariantCulture),
        ValueKind.Float => Render.CSharpDouble(value.Float),
        ValueKind.Bool => value.Bool ? "true" : "false",
        _ => SymbolDisplay.FormatLiteral(value.Text ?? "", quote: true),
    };
}
