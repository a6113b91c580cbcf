using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Liquid.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace Liquid.Generator.Binding;

/// <summary>
/// Checks a parsed model file against the language and turns it into a <see cref="ModelSpec"/>:
/// resolves names and references, evaluates expressions with the default config, follows the
/// named values from layer to layer with their types and shapes, counts parameters and collects the
/// checks that Validate() must repeat for overridden configs. Every problem becomes a located
/// diagnostic; binding goes on after an error so one build reports as much as it can.
/// </summary>
internal sealed partial class Binder
{
    private static readonly string[] RootKeys = ["model", "summary", "config", "derived", "inputs", "targets", "outputs", "layers", "objective", "train"];
    private static readonly string[] Reserved = ["index", "min", "max", "sqrt", "next", "B", "T"];

    /// <summary>Longest model or class name: longer ones break file-name limits of the build.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Longest summary: it is one line of documentation.</summary>
    public const int MaxSummaryLength = 1000;

    /// <summary>Most layers one file may declare (every layer of every body, repeats counted once).</summary>
    public const int MaxLayers = 10_000;

    // Members of the generated config record besides the config values: a value may not take their names.
    private static readonly string[] ConfigMembers =
        ["Names", "Validate", "FromOverrides", "Equals", "GetHashCode", "ToString", "GetType", "EqualityContract", "PrintMembers", "Deconstruct", "MemberwiseClone", "Finalize", "Clone"];

    private readonly ParsedFile _file;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _properties = new(StringComparer.Ordinal);
    private readonly List<ConfigField> _config = new();
    private readonly List<DerivedField> _derived = new();
    private readonly List<CheckSpec> _checks = new();
    private readonly HashSet<CheckSpec> _checkSet = new();
    private readonly List<BlockSpec> _blocks = new();
    private readonly List<LayerShape> _shapes = new();
    private string _typeName = "Model";
    private bool _hasCustom;

    // Cleared by a layer kind that cannot continue from earlier calls (ModelInfo.Incremental).
    private bool _incremental = true;
    private int _layerCount;
    private string? _contextConfig;
    private string? _vocabularyConfig;

    private Binder(ParsedFile file) => _file = file;

    public static BindResult Bind(ParsedFile file)
    {
        if (file.Root is null) return new BindResult(null, EquatableArray<DiagnosticInfo>.Empty);
        var binder = new Binder(file);
        var model = binder.BindModel(file.Root);
        return new BindResult(binder.ErrorCount > 0 ? null : model, binder._diagnostics.ToEquatableArray());
    }

    // ---- diagnostics ------------------------------------------------------------------------

    private void Report(DiagnosticDescriptor descriptor, YamlNode at, params string[] arguments) => Report(descriptor, at.Span, arguments);

    private void Report(DiagnosticDescriptor descriptor, SourceSpan at, params string[] arguments)
    {
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, _file.Path, at, arguments));
        if (descriptor.DefaultSeverity == DiagnosticSeverity.Error) ErrorCount++;
    }

    /// <summary>Errors so far (warnings do not count: they never stop code from being generated).</summary>
    private int ErrorCount { get; set; }

    /// <summary>Drops every diagnostic after the first <paramref name="count"/>.</summary>
    private void KeepDiagnostics(int count)
    {
        if (_diagnostics.Count <= count) return;
        _diagnostics.RemoveRange(count, _diagnostics.Count - count);
        ErrorCount = _diagnostics.Count(d => Diagnostics.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error);
    }

    // What layer kinds reach through LayerBinding.
    internal void ReportAt(DiagnosticDescriptor descriptor, YamlNode at, params string[] arguments) => Report(descriptor, at, arguments);

    internal void AddValidateCheck(Expr failure, params MessagePart[] message) => AddCheck(failure, message);

    internal bool TryEvaluate(Expr expr, int index, out long value) => TryCount(expr, index, out value);

    internal void SetContextConfig(string name) => _contextConfig ??= name;

    internal void SetVocabularyConfig(string name) => _vocabularyConfig ??= name;

    internal static string ConcreteType(TensorType type) => Concrete(type);

    internal long FieldParameters(string className) => _blocks.First(b => b.ClassName == className).DefaultParameterCount;

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

    private static YamlScalar? KeyOf(YamlMapping mapping, string key)
    {
        foreach (var entry in mapping.Entries)
            if (entry.Key.Value == key) return entry.Key;
        return null;
    }

    private YamlScalar? ExpectScalar(YamlNode node, string what, string expected)
    {
        if (node is YamlScalar scalar) return scalar;
        Report(Diagnostics.WrongType, node, what, expected, node.Describe());
        return null;
    }

    /// <summary>
    /// A summary or a config's doc: it becomes an XML doc comment, so one line of at most
    /// <see cref="MaxSummaryLength"/> characters; longer text is reported and left out.
    /// </summary>
    private string DocLine(YamlScalar text, string what)
    {
        var line = text.Value.Trim();
        if (line.Length <= MaxSummaryLength) return line;
        Report(Diagnostics.OutOfRange, text, $"{what} has {line.Length} characters; it is one line of at most {MaxSummaryLength}");
        return "";
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
        YamlNode first = root.Entries.Count > 0 ? root.Entries[0].Key : root;

        var modelNode = Get(root, "model");
        if (modelNode is null) Report(Diagnostics.MissingKey, first, "The model file", "model");
        else if (ExpectScalar(modelNode, "'model'", "a C# type name") is { } modelName && CheckTypeName(modelName, "model name"))
            _typeName = modelName.Value;

        var summary = "";
        if (Get(root, "summary") is { } summaryNode && ExpectScalar(summaryNode, "'summary'", "text") is { } summaryText)
            summary = DocLine(summaryText, "the summary");

        if (Get(root, "config") is { } configNode && ExpectMapping(configNode, "'config'") is { } config) BindConfig(config);
        if (Get(root, "derived") is { } derivedNode && ExpectMapping(derivedNode, "'derived'") is { } derived) BindDerived(derived);

        var methodScope = new ValueScope(null, MethodKind.Model);
        var inputs = BindInputs(Get(root, "inputs"), methodScope);
        var declaredTargets = BindTargets(Get(root, "targets"));

        var body = new List<Step>();
        var parameters = new List<ParameterTerm>();
        var layersNode = Get(root, "layers");
        if (layersNode is null) Report(Diagnostics.MissingKey, first, "The model file", "layers");
        else if (layersNode is not YamlSequence sequence) Report(Diagnostics.WrongType, layersNode, "'layers'", "a list of layers", layersNode.Describe());
        else
        {
            // The first layer reads the first input; without one (after an error) nothing is checked downstream.
            methodScope.Current = inputs.Count > 0 ? methodScope.Find(inputs[0].Name) : Unknown(methodScope);
            body = BindBody(sequence, methodScope, index: 0, parameters);
        }

        var outputs = BindOutputs(Get(root, "outputs"), methodScope, layersNode ?? root);
        var (objective, targets) = BindObjective(Get(root, "objective"), inputs, declaredTargets, outputs, methodScope, Get(root, "objective") ?? (YamlNode?)KeyOf(root, "layers") ?? root);
        var recipe = Get(root, "train") is { } trainNode ? BindRecipe(trainNode) : new List<RecipeField>();
        ReportUnused(methodScope, inputs);
        body = Prune(body);

        long total = 0;
        if (ErrorCount == 0 && !TryCount(parameters, 0, out total))
            Report(Diagnostics.OutOfRange, (YamlNode?)KeyOf(root, "layers") ?? root, "the model's parameter count overflows a 64-bit integer with the default config");

        return new ModelSpec(_typeName, _file.ModelFileName, summary, _config.ToEquatableArray(), _derived.ToEquatableArray(),
            inputs.ToEquatableArray(), targets.ToEquatableArray(), outputs.ToEquatableArray(), body.ToEquatableArray(), _blocks.ToEquatableArray(),
            _checks.ToEquatableArray(), objective.ToEquatableArray(), recipe.ToEquatableArray(), _shapes.ToEquatableArray(),
            _vocabularyConfig, _contextConfig, parameters.ToEquatableArray(), total, _hasCustom, _incremental);
    }

    /// <summary>A PascalCase C# type name that no generated or runtime type has; false after reporting.</summary>
    private bool CheckTypeName(YamlScalar name, string what)
    {
        var text = name.Value;
        if (!Names.IsIdentifier(text) || !char.IsUpper(text[0]))
            Report(Diagnostics.InvalidName, name, Names.Clip(text), what, "it becomes a C# type, so use PascalCase letters and digits, e.g. TinyGpt");
        else if (text.Length > MaxNameLength)
            Report(Diagnostics.InvalidName, name, Names.Clip(text), what, $"it has {text.Length} characters; at most {MaxNameLength} fit the build's file names");
        else if (text == "ModelCatalog")
            Report(Diagnostics.InvalidName, name, text, what, "the generated catalog of models has that name");
        else if (Emit.GeneratedNames.IsReserved(text))
            Report(Diagnostics.InvalidName, name, text, what, $"the generated code uses .NET's type '{text}', which this name would hide");
        else return true;
        return false;
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
                if (Get(spec, "doc") is { } docNode && ExpectScalar(docNode, $"config '{name}' doc", "text") is { } docScalar)
                    doc = DocLine(docScalar, $"config '{name}' doc");
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
            if (type == ValueKind.String && value.Text!.Length > MaxSummaryLength)
            {
                Report(Diagnostics.OutOfRange, defaultNode, $"config '{name}' has {value.Text.Length} characters; at most {MaxSummaryLength}");
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
            _config.Add(new ConfigField(name, property, type, value, doc, values.ToEquatableArray()));
            AddRangeCheck(name, value, min, ">=", "at least");
            AddRangeCheck(name, value, max, "<=", "at most");
            if (declaredType == "enum" && values.Length > 0)
            {
                var failure = values.Select(v => (Expr)new CompareExpr("!=", Ex.Name(name), new StringLiteral(v))).Aggregate(Ex.And);
                AddCheck(failure, MessagePart.Of($"{name} must be one of {string.Join(", ", values)}, not '"), MessagePart.Of(Ex.Name(name)), MessagePart.Of("'"));
            }
        }
    }

    private void AddRangeCheck(string name, Value value, YamlScalar? bound, string op, string word)
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
        Expr limitExpr = limit.Kind == ValueKind.Int ? new IntLiteral(limit.Int) : new FloatLiteral(limit.Float, limit.ToString());
        AddCheck(new CompareExpr(op == ">=" ? "<" : ">", Ex.Name(name), limitExpr), MessagePart.Of($"{name} must be {word} {limit}, not "), MessagePart.Of(Ex.Name(name)));
    }

    private void BindDerived(YamlMapping derived)
    {
        foreach (var entry in derived.Entries)
        {
            var name = entry.Key.Value;
            if (!CheckNewName(entry.Key, "derived name")) continue;
            if (ExpectScalar(entry.Value, $"derived '{name}'", "an expression") is not { } scalar) continue;
            var bound = BindExpression(scalar, $"derived '{name}'", inBlock: false);
            if (bound is null) continue;
            var property = Names.Pascal(name);
            _values[name] = bound.Value.Default;
            _properties[name] = property;
            _derived.Add(new DerivedField(name, property, bound.Value.Default.Kind, bound.Value.Expr));
        }
    }

    private bool CheckNewName(YamlScalar key, string what)
    {
        var name = key.Value;
        if (!Names.IsIdentifier(name) || name.Length > MaxNameLength)
        {
            Report(Diagnostics.InvalidName, key, Names.Clip(name), what, name.Length > MaxNameLength ? $"at most {MaxNameLength} characters" : "use letters, digits and underscores, starting with a letter");
            return false;
        }
        if (Reserved.Contains(name))
        {
            Report(Diagnostics.InvalidName, key, name, what, "the name is reserved in expressions");
            return false;
        }
        var property = Names.Pascal(name);
        if (ConfigMembers.Contains(property) || property == _typeName + "Config")
        {
            Report(Diagnostics.InvalidName, key, name, what, $"the generated config record has a member '{property}' of its own");
            return false;
        }
        if (_values.ContainsKey(name) || _properties.Values.Contains(property))
        {
            Report(Diagnostics.DuplicateName, key, name, "a config or derived value of the same C# name exists");
            return false;
        }
        return true;
    }

    // ---- expressions ------------------------------------------------------------------------

    /// <summary>An expression and its value with the default config (and the block index being bound).</summary>
    internal readonly record struct BoundExpression(Expr Expr, Value Default, bool UsesIndex);

    private BoundExpression? BindExpression(YamlScalar scalar, string what, bool inBlock, int index = 0)
    {
        Expr expr;
        try
        {
            expr = ExpressionParser.Parse(scalar.Value);
        }
        catch (ExpressionException e)
        {
            Report(Diagnostics.InvalidExpression, scalar, Names.Clip(scalar.Value), e.Message);
            return null;
        }
        var ok = true;
        var usesIndex = false;
        foreach (var name in ExpressionEvaluator.Names(expr))
        {
            if (name.Name == "index" && inBlock)
            {
                usesIndex = true;
                continue;
            }
            if (_values.ContainsKey(name.Name)) continue;
            var candidates = inBlock ? _values.Keys.Concat(new[] { "index" }) : _values.Keys;
            Report(Diagnostics.UndefinedName, scalar, name.Name, Names.Suggest(name.Name, candidates) is { Length: > 0 } s ? s : " (define it under 'config')");
            ok = false;
        }
        if (!ok) return null;
        var inexact = new List<string>();
        Value result;
        try
        {
            result = ExpressionEvaluator.Evaluate(expr, NamesAt(index), inexact);
        }
        catch (Exception e) when (e is ExpressionException or OverflowException)
        {
            Report(Diagnostics.InvalidExpression, scalar, Names.Clip(scalar.Value), e is OverflowException ? "the value overflows a 64-bit integer" : e.Message);
            return null;
        }
        foreach (var message in inexact) Report(Diagnostics.NotDivisible, scalar, $"{what}: {message} with the default config");
        if (!usesIndex) AddDivisionChecks(expr);
        return new BoundExpression(expr, result, usesIndex);
    }

    /// <summary>Config and derived values with the default config, and the block index.</summary>
    private Dictionary<string, Value> NamesAt(int index) => new(_values, StringComparer.Ordinal) { ["index"] = Value.Of((long)index) };

    /// <summary>The value of an expression the binder built, or false if it overflows (checked 64-bit arithmetic).</summary>
    private bool TryCount(Expr expr, int index, out long value)
    {
        try
        {
            var result = ExpressionEvaluator.Evaluate(expr, NamesAt(index), new List<string>());
            value = result.Kind == ValueKind.Int ? result.Int : checked((long)result.AsDouble);
            return true;
        }
        catch (Exception e) when (e is OverflowException or ExpressionException or KeyNotFoundException)
        {
            value = 0;
            return false;
        }
    }

    /// <summary>
    /// The sum of parameter terms at block <paramref name="index"/>, term by term (a file may have
    /// thousands of layers: one expression of them all would be too deep to evaluate).
    /// </summary>
    private bool TryCount(IEnumerable<ParameterTerm> terms, int index, out long total)
    {
        total = 0;
        foreach (var term in terms)
        {
            if (!TryCount(term.Count, index, out var value)) return false;
            try
            {
                total = checked(total + value);
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        return true;
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
                    AddCheck(Ex.Or(new CompareExpr("==", bin.Right, Ex.Int(0)), new CompareExpr("!=", Ex.Remainder(bin.Left, bin.Right), Ex.Int(0))),
                        MessagePart.Of(Render.Expression(bin.Left) + " ("), MessagePart.Of(bin.Left), MessagePart.Of(") must be divisible by " + Render.Expression(bin.Right) + " ("), MessagePart.Of(bin.Right), MessagePart.Of(")"));
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

    /// <summary>
    /// A check for Validate(): <paramref name="failure"/> over config names, with its message. Checks
    /// over literals only were decided while binding (emitted, they would be dead code), and each
    /// check is kept once.
    /// </summary>
    private void AddCheck(Expr failure, params MessagePart[] message)
    {
        if (Ex.IsConstant(failure) || ExpressionEvaluator.Names(failure).Any(n => n.Name == "index")) return;
        var check = new CheckSpec(failure, message.ToEquatableArray());
        if (_checkSet.Add(check)) _checks.Add(check);
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
}
