using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding;

/// <summary>The width of the stream's last dimension: C# inside modules and config, YAML spelling, default value.</summary>
internal sealed record Width(string Module, string Bare, string Yaml, long Value, bool UsesIndex = false);

/// <summary>
/// What flows from layer to layer: token ids [B, T] or features [B, T, C]. After a layer that failed
/// to bind the shape <see cref="IsUnknown"/>, and later layers skip their shape checks rather than
/// report errors that only repeat the first one.
/// </summary>
internal sealed record Stream(bool IsIds, int Rank, Width? Width, bool IsUnknown = false)
{
    public static Stream FromInput(TensorSpec input) =>
        new(input.DType is "long" or "int", input.Dims.Count, null);

    public static Stream Unknown { get; } = new(false, 3, null, IsUnknown: true);

    public string Display => IsIds ? "long[B, T]" : Width is null ? $"float[{Rank} dims]" : $"float[B, T, {Width.Yaml}]";
}

/// <summary>Names visible while binding one body: its own layers, then the enclosing body's.</summary>
internal sealed class LayerScope(LayerScope? parent, bool inBlock, Dictionary<string, LayerSpec> layers)
{
    public static LayerScope Root { get; } = new(null, false, new Dictionary<string, LayerSpec>(StringComparer.Ordinal));

    public LayerScope? Parent { get; } = parent;
    public bool InBlock { get; } = inBlock;
    public Dictionary<string, LayerSpec> Layers { get; } = layers;
    public HashSet<string> Fields { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, int> KindCounts { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Stream> Shapes { get; } = new(StringComparer.Ordinal);
    public int Residuals { get; set; }

    public LayerSpec? Find(string name) => Layers.TryGetValue(name, out var layer) ? layer : Parent?.Find(name);
}

internal sealed partial class Binder
{
    private static readonly string[] RepeatKeys = ["repeat", "name", "block", "class"];

    /// <summary>Binds a list of layers, advancing <paramref name="stream"/>; <paramref name="parameters"/> counts their weights.</summary>
    private List<LayerSpec> BindBody(YamlSequence body, LayerScope scope, ref Stream stream, out long parameters, int index = 0)
    {
        var result = new List<LayerSpec>();
        parameters = 0;
        foreach (var item in body.Items)
        {
            var errors = ErrorCount;
            var layer = BindItem(item, scope, ref stream, out var count, index);
            if (layer is null)
            {
                if (ErrorCount > errors) stream = Stream.Unknown;
                continue;
            }
            result.Add(layer);
            parameters += count;
        }
        return result;
    }

    private LayerSpec? BindItem(YamlNode item, LayerScope scope, ref Stream stream, out long parameters, int index)
    {
        parameters = 0;
        YamlScalar kindKey;
        YamlNode? argsNode;
        switch (item)
        {
            case YamlScalar bare when !bare.IsNull:
                kindKey = bare;
                argsNode = null;
                break;
            case YamlMapping mapping when Get(mapping, "repeat") is not null:
                return BindRepeat(mapping, scope, ref stream, out parameters);
            case YamlMapping { Entries.Count: 1 } mapping:
                kindKey = mapping.Entries[0].Key;
                argsNode = mapping.Entries[0].Value;
                break;
            case YamlMapping mapping:
                Report(Diagnostics.WrongType, mapping, "a layer", "one 'kind: arguments' pair (or a repeat block)", $"a mapping with {mapping.Entries.Count} keys");
                return null;
            default:
                Report(Diagnostics.WrongType, item, "a layer", "a layer kind or 'kind: arguments'", item.Describe());
                return null;
        }

        if (kindKey.Value == "residual") return BindResidual(kindKey, argsNode, scope, ref stream, out parameters, index);
        var kind = LayerKinds.Find(kindKey.Value);
        if (kind is null)
        {
            var known = LayerKinds.All.Select(k => k.Name).Concat(LayerKinds.Structural);
            Report(Diagnostics.UnknownLayer, kindKey, kindKey.Value, Names.Suggest(kindKey.Value, known));
            return null;
        }
        return BindLayer(kind, kindKey, argsNode, scope, ref stream, out parameters, index);
    }

    // ---- structural forms -------------------------------------------------------------------

    private LayerSpec? BindResidual(YamlScalar key, YamlNode? body, LayerScope scope, ref Stream stream, out long parameters, int index)
    {
        parameters = 0;
        if (body is not YamlSequence sequence)
        {
            Report(Diagnostics.WrongType, (YamlNode?)body ?? key, "'residual'", "a list of layers", body?.Describe() ?? "nothing");
            return null;
        }
        var before = stream;
        var inner = stream;
        var children = BindBody(sequence, scope, ref inner, out parameters, index);
        if (before.IsUnknown || inner.IsUnknown) return null;
        if (inner.IsIds || before.Width is null || inner.Width is null || inner.Width.Value != before.Width.Value)
        {
            Report(Diagnostics.ShapeMismatch, key, $"a residual block must keep the shape of its input: it receives {before.Display} and its layers produce {inner.Display}");
            return null;
        }
        scope.Residuals++;
        return new LayerSpec("residual", null, null, null, EquatableArray<ArgValue>.Empty, children.ToEquatableArray(), null,
            before.Width.Module, inner.Width.Module, "x + f(x)");
    }

    private LayerSpec? BindRepeat(YamlMapping mapping, LayerScope scope, ref Stream stream, out long parameters)
    {
        parameters = 0;
        CheckKeys(mapping, RepeatKeys, "a repeat block");
        if (scope.InBlock)
        {
            Report(Diagnostics.WrongType, mapping, "a repeat block", "at the top level of 'layers'", "nested in another repeat");
            return null;
        }
        var countNode = Get(mapping, "repeat")!;
        if (ExpectScalar(countNode, "the repeat count", "an integer expression") is not { } countScalar) return null;
        var count = BindExpression(countScalar, "the repeat count", scope);
        if (count is null) return null;
        if (count.Value.Default.Kind != ValueKind.Int || count.Value.Default.Int < 1 || count.Value.Default.Int > 100_000)
        {
            Report(Diagnostics.OutOfRange, countScalar, $"the repeat count must be an integer from 1 to 100000, not {count.Value.Default}");
            return null;
        }
        AddCheck($"{count.Value.Bare} < 1", $"$\"the repeat count {Escape(countScalar.Value)} must be at least 1, not {{{count.Value.Bare}}}\"");

        var stateName = "h";
        YamlNode nameAt = mapping;
        if (Get(mapping, "name") is { } nameNode && ExpectScalar(nameNode, "the repeat's name", "a name") is { } nameScalar)
        {
            if (!IsStateName(nameScalar)) return null;
            stateName = nameScalar.Value;
            nameAt = nameScalar;
        }
        var className = _blocks.Count == 0 ? _typeName + "Block" : _typeName + Names.Pascal(stateName) + "Block";
        if (Get(mapping, "class") is { } classNode && ExpectScalar(classNode, "the block's class name", "a C# type name") is { } classScalar)
        {
            if (!Names.IsIdentifier(classScalar.Value) || !char.IsUpper(classScalar.Value[0]))
            {
                Report(Diagnostics.InvalidName, classScalar, classScalar.Value, "class name", "use a PascalCase C# identifier");
                return null;
            }
            className = classScalar.Value;
        }
        if (_blocks.Any(b => b.ClassName == className))
        {
            Report(Diagnostics.DuplicateName, mapping, className, "another repeat block generates this class; give one a 'class'");
            return null;
        }
        if (!ClaimLayerName(scope, stateName, nameAt)) return null;

        if (Get(mapping, "block") is not YamlSequence block)
        {
            Report(Diagnostics.MissingKey, mapping, "A repeat block", "block (a list of layers)");
            return null;
        }

        // Bind the block once per index when its arguments vary with 'index' or 'cycle'; diagnostics and
        // structure come from index 0, parameter counts from every index. Identical blocks bind once.
        var blockScope = new LayerScope(scope, inBlock: true, new Dictionary<string, LayerSpec>(StringComparer.Ordinal));
        var inner = stream;
        _indexUsed = false;
        var layers = BindBody(block, blockScope, ref inner, out var first);
        var varies = _indexUsed;
        if (stream.IsUnknown || inner.IsUnknown) return null;
        if (inner.IsIds != stream.IsIds || inner.Width?.Value != stream.Width?.Value)
        {
            Report(Diagnostics.ShapeMismatch, countNode, $"a repeated block must keep the shape of its input: it receives {stream.Display} and produces {inner.Display}");
            return null;
        }
        parameters = varies ? first : first * count.Value.Default.Int;
        var errors = ErrorCount;
        for (var i = 1; varies && i < count.Value.Default.Int && errors == ErrorCount; i++)
        {
            var again = stream;
            var silentScope = new LayerScope(scope, inBlock: true, new Dictionary<string, LayerSpec>(StringComparer.Ordinal));
            var checks = _checks.Count;
            BindBody(block, silentScope, ref again, out var more, i);
            _checks.RemoveRange(checks, _checks.Count - checks);
            parameters += more;
        }
        if (ErrorCount > errors) _diagnostics.RemoveRange(errors + 1, ErrorCount - errors - 1);

        _blocks.Add(new BlockSpec(className, stateName, layers.ToEquatableArray(), first, $"One of the {count.Value.Default.Int} repeated blocks of {_typeName} ('{stateName}.N' in the state dict)."));
        var spec = new LayerSpec("repeat", stateName, Names.Field(stateName), className,
            new[] { new ArgValue("count", count.Value.Module) }.ToEquatableArray(), EquatableArray<LayerSpec>.Empty, className,
            stream.Width?.Module ?? "", inner.Width?.Module ?? "", $"{Render.Expression(count.Value.Expr)} × {className}");
        scope.Layers[stateName] = spec;
        stream = inner;
        return spec;
    }

    // ---- layers -----------------------------------------------------------------------------

    /// <summary>
    /// An argument as bound: its C# text inside modules and its value at the index being bound;
    /// <see cref="IsNull"/> when that value is an explicit null (also when a cycle picks one).
    /// </summary>
    private sealed record Arg(string CSharp, Value Value, YamlNode Node, bool IsConfigDependent, bool UsesIndex, string Bare, bool IsNull = false);

    private LayerSpec? BindLayer(LayerKindInfo kind, YamlScalar key, YamlNode? argsNode, LayerScope scope, ref Stream stream, out long parameters, int index)
    {
        parameters = 0;
        var args = new Dictionary<string, Arg>(StringComparer.Ordinal);
        var given = new HashSet<string>(StringComparer.Ordinal);
        var errors = ErrorCount;
        string? stateName = null;
        YamlNode nameAt = key;

        if (argsNode is YamlMapping mapping)
        {
            CheckKeys(mapping, kind.Args.Select(a => a.Name).ToList(), $"layer '{kind.Name}'");
            foreach (var entry in mapping.Entries)
            {
                var info = kind.Arg(entry.Key.Value);
                if (info is null) continue;
                given.Add(info.Name);
                if (info.Name == "name")
                {
                    if (ExpectScalar(entry.Value, "a layer name", "a name") is { } nameScalar && IsStateName(nameScalar))
                    {
                        stateName = nameScalar.Value;
                        nameAt = nameScalar;
                    }
                    continue;
                }
                if (BindArg(info, entry.Value, kind, scope, index) is { } arg) args[info.Name] = arg;
            }
        }
        else if (argsNode is not null && !(argsNode is YamlScalar { IsNull: true }))
        {
            if (kind.ScalarArg is null)
            {
                Report(Diagnostics.WrongType, argsNode, $"the arguments of '{kind.Name}'", "a mapping of arguments", argsNode.Describe());
                return null;
            }
            given.Add(kind.ScalarArg);
            if (BindArg(kind.Arg(kind.ScalarArg)!, argsNode, kind, scope, index) is { } arg) args[kind.ScalarArg] = arg;
        }

        // A required argument that is present but wrong has been reported already; "needs" is for absent ones.
        foreach (var required in kind.Args.Where(a => a.Required))
            if (!given.Contains(required.Name))
                Report(Diagnostics.MissingKey, key, $"Layer '{kind.Name}'", required.Name);
        if (ErrorCount > errors) return null;

        stateName ??= DefaultName(scope, kind.Name);
        if (!ClaimLayerName(scope, stateName, nameAt)) return null;

        var input = stream;
        var output = Transition(kind, key, args, scope, ref stream, out parameters);
        if (output is null) return null;

        // Only arguments the file states: the runtime's options records carry the same defaults, and
        // generated code that repeats every default would bury what the author chose.
        var values = kind.Args.Where(info => args.ContainsKey(info.Name)).Select(info => new ArgValue(info.Name, args[info.Name].CSharp)).ToList();
        if (kind.Name == "custom") _hasCustom = true;
        if (kind.Name == "token_embedding") _embeddings[stateName] = _pendingEmbedding;
        var comment = $"{kind.Name}: {input.Display} → {stream.Display}";
        // Activations and tied heads own no parameters, so they get no field.
        var field = kind.Name == "activation" || (kind.Name == "lm_head" && args.ContainsKey("tied")) ? null : Names.Field(stateName);
        var spec = new LayerSpec(kind.Name, stateName, field, kind.RuntimeClass, values.ToEquatableArray(),
            EquatableArray<LayerSpec>.Empty, null, input.Width?.Module ?? "", stream.Width?.Module ?? "", comment);
        scope.Layers[stateName] = spec;
        scope.Shapes[stateName] = stream;
        return spec;
    }

    private Arg? BindArg(ArgInfo info, YamlNode node, LayerKindInfo kind, LayerScope scope, int index)
    {
        var what = $"'{info.Name}' of layer '{kind.Name}'";
        if (node is YamlMapping cycleMap && Get(cycleMap, "cycle") is { } cycleNode)
        {
            if (!scope.InBlock)
            {
                Report(Diagnostics.WrongType, node, what, "a value ('cycle' varies a value across the layers of a repeat block)", "a cycle outside a repeat");
                return null;
            }
            CheckKeys(cycleMap, ["cycle"], what);
            if (cycleNode is not YamlSequence { Items.Count: > 0 } options)
            {
                Report(Diagnostics.WrongType, cycleNode, $"the cycle of {what}", "a non-empty list", cycleNode.Describe());
                return null;
            }
            var bound = options.Items.Select(o => BindArg(info, o, kind, scope, index)).ToList();
            if (bound.Any(b => b is null)) return null;
            var type = info.Kind switch
            {
                ArgKind.Int => info.Nullable ? "long?" : "long",
                ArgKind.Float => "double",
                ArgKind.Bool => "bool",
                _ => "string",
            };
            _indexUsed = true;
            var chosen = bound[index % bound.Count]!;
            var csharp = $"Cycle.Pick<{type}>(index, {string.Join(", ", bound.Select(b => b!.CSharp))})";
            return chosen with { CSharp = csharp, UsesIndex = true, Node = node };
        }
        if (ExpectScalar(node, what, ExpectedWord(info)) is not { } scalar) return null;
        if (scalar.IsNull)
        {
            if (info.Nullable) return new Arg("null", default, scalar, false, false, "null", IsNull: true);
            Report(Diagnostics.WrongType, scalar, what, ExpectedWord(info), "null");
            return null;
        }
        switch (info.Kind)
        {
            case ArgKind.Int:
            case ArgKind.Float:
                if (scalar.Quoted)
                {
                    Report(Diagnostics.WrongType, scalar, what, ExpectedWord(info), $"the string {scalar.Describe()}");
                    return null;
                }
                var expr = BindExpression(scalar, what, scope, index);
                if (expr is null) return null;
                var value = expr.Value.Default;
                if (info.Kind == ArgKind.Int && value.Kind != ValueKind.Int)
                {
                    Report(Diagnostics.WrongType, scalar, what, "an integer", $"{scalar.Describe()} (= {value})");
                    return null;
                }
                if (value.Kind is not (ValueKind.Int or ValueKind.Float))
                {
                    Report(Diagnostics.WrongType, scalar, what, "a number", scalar.Describe());
                    return null;
                }
                var module = info.Kind == ArgKind.Float && value.Kind == ValueKind.Int && expr.Value.Expr is IntLiteral
                    ? Render.CSharpDouble(value.Int)
                    : expr.Value.Module;
                return new Arg(module, value, scalar, ExpressionEvaluator.Names(expr.Value.Expr).Any(), expr.Value.UsesIndex, expr.Value.Bare);
            case ArgKind.Bool:
                var literal = Literal(scalar);
                if (literal.Kind == ValueKind.Bool && !scalar.Quoted) return new Arg(literal.Bool ? "true" : "false", literal, scalar, false, false, literal.Bool ? "true" : "false");
                if (_values.TryGetValue(scalar.Value, out var configValue) && configValue.Kind == ValueKind.Bool)
                    return new Arg("config." + _properties[scalar.Value], configValue, scalar, true, false, _properties[scalar.Value]);
                Report(Diagnostics.WrongType, scalar, what, "true, false or a bool config name", scalar.Describe());
                return null;
            case ArgKind.Enum:
                if (!info.Values!.Contains(scalar.Value))
                {
                    Report(Diagnostics.WrongType, scalar, what, "one of " + string.Join(", ", info.Values!), scalar.Describe() + Names.Suggest(scalar.Value, info.Values!));
                    return null;
                }
                return new Arg("\"" + scalar.Value + "\"", Value.Of(scalar.Value), scalar, false, false, scalar.Value);
            case ArgKind.Reference:
                return new Arg(scalar.Value, Value.Of(scalar.Value), scalar, false, false, scalar.Value);
            default:
                // Free text is a custom layer's class, emitted into C# as written: it must be a type name.
                if (!Names.IsQualifiedName(scalar.Value))
                {
                    Report(Diagnostics.InvalidName, scalar, scalar.Value, "class name", "use a fully qualified C# type name such as MyModels.TokenMixer");
                    return null;
                }
                return new Arg(scalar.Value, Value.Of(scalar.Value), scalar, false, false, scalar.Value);
        }
    }

    private static string ExpectedWord(ArgInfo info) => info.Kind switch
    {
        ArgKind.Int => info.Nullable ? "an integer (or null)" : "an integer",
        ArgKind.Float => "a number",
        ArgKind.Bool => "true or false",
        ArgKind.Enum => "one of " + string.Join(", ", info.Values ?? []),
        ArgKind.Reference => "the name of an earlier layer",
        _ => "text",
    };

    private bool IsStateName(YamlScalar name)
    {
        if (Names.IsIdentifier(name.Value)) return true;
        Report(Diagnostics.InvalidName, name, name.Value, "layer name", "it becomes a state-dict key segment: letters, digits and underscores, no dots");
        return false;
    }

    private static string DefaultName(LayerScope scope, string kind)
    {
        scope.KindCounts.TryGetValue(kind, out var n);
        scope.KindCounts[kind] = n + 1;
        var candidate = n == 0 ? kind : $"{kind}_{n}";
        while (scope.Layers.ContainsKey(candidate)) candidate += "_";
        return candidate;
    }

    private bool ClaimLayerName(LayerScope scope, string name, YamlNode at)
    {
        if (scope.Layers.ContainsKey(name) || !scope.Fields.Add(Names.Field(name)))
        {
            Report(Diagnostics.DuplicateName, at, name, "another layer in the same block has this name");
            return false;
        }
        return true;
    }

    private Value ArgValueOr(Dictionary<string, Arg> args, string name, Value fallback) => args.TryGetValue(name, out var a) ? a.Value : fallback;

    private bool Flag(Dictionary<string, Arg> args, string name, bool fallback) => args.TryGetValue(name, out var a) ? a.Value.Bool : fallback;

    /// <summary>Checks the stream fits the layer, advances it, counts parameters and records config checks.</summary>
    private Stream? Transition(LayerKindInfo kind, YamlScalar key, Dictionary<string, Arg> args, LayerScope scope, ref Stream stream, out long parameters)
    {
        parameters = 0;
        if (stream.IsUnknown && kind.Name != "token_embedding") return stream;
        if (kind.Name == "token_embedding")
        {
            if (!stream.IsUnknown && (!stream.IsIds || stream.Rank != 2))
            {
                Report(Diagnostics.ShapeMismatch, key, $"'token_embedding' takes token ids long[B, T] but receives {stream.Display}");
                return null;
            }
            var vocab = args["vocab"];
            var dim = args["dim"];
            if (!Positive(vocab, "vocab") || !Positive(dim, "dim")) return null;
            parameters = vocab.Value.Int * dim.Value.Int;
            stream = new Stream(false, 3, WidthOf(dim));
            _pendingEmbedding = (WidthOf(vocab), dim.Value.Int);
            return stream;
        }

        if (stream.IsIds || stream.Rank != 3 || stream.Width is null)
        {
            Report(Diagnostics.ShapeMismatch, key, $"'{kind.Name}' takes features float[B, T, C] but receives {stream.Display}; start with a token_embedding");
            return null;
        }
        var width = stream.Width;
        var c = width.Value;
        var bias = Flag(args, "bias", kind.Arg("bias")?.Default == "true");
        switch (kind.Name)
        {
            case "position_embedding":
                if (!Positive(args["max"], "max")) return null;
                parameters = args["max"].Value.Int * c;
                break;
            case "dropout":
                if (!Probability(args["p"], "p")) return null;
                break;
            case "layer_norm":
                parameters = bias ? 2 * c : c;
                break;
            case "rms_norm":
                parameters = c;
                break;
            case "activation":
                break;
            case "linear":
                if (!Positive(args["out"], "out")) return null;
                parameters = c * args["out"].Value.Int + (bias ? args["out"].Value.Int : 0);
                stream = stream with { Width = WidthOf(args["out"]) };
                break;
            case "mlp":
            {
                var hiddenArg = args["hidden"];
                if (!Positive(hiddenArg, "hidden")) return null;
                if (args.TryGetValue("dropout", out var p) && !Probability(p, "dropout")) return null;
                var hidden = hiddenArg.Value.Int;
                var activation = args.TryGetValue("activation", out var act) ? act.Value.Text : "gelu";
                var inner = c * hidden + (bias ? hidden : 0);
                parameters = (activation is "swiglu" or "geglu" ? 2 * inner : inner) + hidden * c + (bias ? c : 0);
                break;
            }
            case "attention":
            {
                var headsArg = args["heads"];
                if (!Positive(headsArg, "heads")) return null;
                var heads = headsArg.Value.Int;
                var kv = args.TryGetValue("kv_heads", out var kvArg) && !kvArg.IsNull ? kvArg.Value.Int : heads;
                if (c % heads != 0)
                {
                    Report(Diagnostics.NotDivisible, headsArg.Node, $"heads ({heads}) must divide the model width {width.Yaml} ({c})");
                    return null;
                }
                if (kv < 1 || heads % kv != 0)
                {
                    Report(Diagnostics.NotDivisible, kvArg!.Node, $"kv_heads ({kv}) must divide heads ({heads})");
                    return null;
                }
                // Heads below 1 have a check of their own; the guard keeps Validate() from dividing by zero.
                if (!width.UsesIndex && !headsArg.UsesIndex)
                    AddCheck($"{(headsArg.IsConfigDependent ? $"{Paren(headsArg.Bare)} != 0 && " : "")}{Paren(width.Bare)} % {Paren(headsArg.Bare)} != 0",
                        $"$\"heads ({{{headsArg.Bare}}}) must divide {Escape(width.Yaml)} ({{{width.Bare}}})\"");
                if (kvArg is { IsConfigDependent: true, UsesIndex: false } && !headsArg.UsesIndex)
                    AddCheck($"{Paren(kvArg.Bare)} < 1 || {Paren(headsArg.Bare)} % {Paren(kvArg.Bare)} != 0",
                        $"$\"kv_heads ({{{kvArg.Bare}}}) must divide heads ({{{headsArg.Bare}}})\"");
                if (args.TryGetValue("window", out var window) && !window.IsNull && window.Value.Int < 1)
                {
                    Report(Diagnostics.OutOfRange, window.Node, $"window must be at least 1, not {window.Value.Int}");
                    return null;
                }
                if (args.TryGetValue("window", out window) && !window.IsNull && !Flag(args, "causal", true))
                {
                    Report(Diagnostics.OutOfRange, window.Node, "a sliding window needs causal attention (query i sees keys i−W+1 … i)");
                    return null;
                }
                if (Flag(args, "rope", false))
                {
                    var fraction = ArgValueOr(args, "rope_fraction", Value.Of(1.0)).AsDouble;
                    var rotating = Math.Round(c / heads * fraction);
                    if (fraction <= 0 || fraction > 1 || rotating < 2 || rotating % 2 != 0)
                    {
                        Report(Diagnostics.OutOfRange, args.TryGetValue("rope_fraction", out var f) ? f.Node : key,
                            $"rope_fraction {fraction} of head width {c / heads} gives {rotating} rotating dims; it must be a positive even number");
                        return null;
                    }
                }
                if (args.TryGetValue("dropout", out var dropout) && !Probability(dropout, "dropout")) return null;
                var headDim = c / heads;
                var qkv = (heads + 2 * kv) * headDim;
                parameters = c * qkv + (bias ? qkv : 0) + heads * headDim * c + (bias ? c : 0);
                break;
            }
            case "conv1d":
            {
                var outArg = args["out"];
                var groups = ArgValueOr(args, "groups", Value.Of(1L)).Int;
                if (!Positive(outArg, "out") || !Positive(args["kernel"], "kernel")) return null;
                if (groups < 1 || c % groups != 0 || outArg.Value.Int % groups != 0)
                {
                    Report(Diagnostics.NotDivisible, args.TryGetValue("groups", out var g) ? g.Node : key, $"groups ({groups}) must divide the input width ({c}) and out ({outArg.Value.Int})");
                    return null;
                }
                if (Flag(args, "causal", false) && ArgValueOr(args, "padding", Value.Of(0L)).Int != 0)
                {
                    Report(Diagnostics.OutOfRange, args["padding"].Node, "a causal conv1d pads on the left by itself; remove 'padding'");
                    return null;
                }
                parameters = outArg.Value.Int * (c / groups) * args["kernel"].Value.Int + (bias ? outArg.Value.Int : 0);
                stream = stream with { Width = WidthOf(outArg) };
                break;
            }
            case "lstm":
            case "gru":
            case "rnn":
            {
                var hiddenArg = args["hidden"];
                if (!Positive(hiddenArg, "hidden")) return null;
                var hidden = hiddenArg.Value.Int;
                var layers = ArgValueOr(args, "layers", Value.Of(1L)).Int;
                if (layers < 1)
                {
                    Report(Diagnostics.OutOfRange, args["layers"].Node, $"layers must be at least 1, not {layers}");
                    return null;
                }
                if (args.TryGetValue("dropout", out var p) && !Probability(p, "dropout")) return null;
                var directions = Flag(args, "bidirectional", false) ? 2 : 1;
                var gates = kind.Name == "lstm" ? 4 : kind.Name == "gru" ? 3 : 1;
                for (var l = 0; l < layers; l++)
                {
                    var inputWidth = l == 0 ? c : hidden * directions;
                    parameters += directions * (gates * hidden * (inputWidth + hidden) + (bias ? 2 * gates * hidden : 0));
                }
                // Both directions are concatenated. When a bool config (or a cycle) sets 'bidirectional',
                // the width the next layer receives must follow it, not its default.
                var flag = args.TryGetValue("bidirectional", out var b) && (b.IsConfigDependent || b.UsesIndex) ? b : null;
                if (flag is null && directions == 1)
                {
                    stream = stream with { Width = WidthOf(hiddenArg) };
                    break;
                }
                var (module, bare) = flag is null ? ("2", "2") : ($"({flag.CSharp} ? 2 : 1)", $"({flag.Bare} ? 2 : 1)");
                var yaml = Render.Expression(ExpressionOf(hiddenArg));
                stream = stream with
                {
                    Width = new Width($"{module} * {Paren(hiddenArg.CSharp)}", $"{bare} * {Paren(hiddenArg.Bare)}",
                        directions == 1 ? yaml : $"2 * {Paren(yaml)}", directions * hidden, hiddenArg.UsesIndex || flag is { UsesIndex: true }),
                };
                break;
            }
            case "lm_head":
            {
                if (args.TryGetValue("tied", out var tied))
                {
                    if (args.ContainsKey("vocab") || args.ContainsKey("init_std") || Flag(args, "bias", false))
                    {
                        Report(Diagnostics.OutOfRange, tied.Node, "a tied lm_head reuses the embedding's weight: drop 'vocab', 'bias' and 'init_std'");
                        return null;
                    }
                    var target = scope.Find(tied.CSharp);
                    if (target is null || target.Kind != "token_embedding")
                    {
                        var embeddings = AllLayers(scope).Where(l => l.Kind == "token_embedding").Select(l => l.StateName!).ToList();
                        Report(Diagnostics.UnresolvedReference, tied.Node, target is null
                            ? $"lm_head is tied to '{tied.CSharp}', but no earlier layer has that name{Names.Suggest(tied.CSharp, embeddings)}"
                            : $"lm_head is tied to '{tied.CSharp}', a {target.Kind}; it must be a token_embedding");
                        return null;
                    }
                    var embedding = _embeddings[tied.CSharp];
                    if (embedding.Dim != c)
                    {
                        Report(Diagnostics.ShapeMismatch, tied.Node, $"the tied embedding '{tied.CSharp}' has width {embedding.Dim} but lm_head receives width {c} ({width.Yaml})");
                        return null;
                    }
                    stream = stream with { Width = embedding.Vocab };
                }
                else if (args.TryGetValue("vocab", out var vocab))
                {
                    if (!Positive(vocab, "vocab")) return null;
                    parameters = c * vocab.Value.Int + (bias ? vocab.Value.Int : 0);
                    stream = stream with { Width = WidthOf(vocab) };
                }
                else
                {
                    Report(Diagnostics.MissingKey, key, "Layer 'lm_head'", "tied (an embedding's name) or vocab");
                    return null;
                }
                break;
            }
            case "custom":
                break;
        }
        return stream;
    }

    private static IEnumerable<LayerSpec> AllLayers(LayerScope scope)
    {
        for (var s = scope; s is not null; s = s.Parent)
            foreach (var layer in s.Layers.Values)
                yield return layer;
    }

    private static Stream? FindShape(LayerScope scope, string name)
    {
        for (var s = scope; s is not null; s = s.Parent)
            if (s.Shapes.TryGetValue(name, out var shape)) return shape;
        return null;
    }

    private (Width Vocab, long Dim) _pendingEmbedding;

    /// <summary>Token embeddings bound so far, by state name: what a tied head needs.</summary>
    private readonly Dictionary<string, (Width Vocab, long Dim)> _embeddings = new(StringComparer.Ordinal);

    private Width WidthOf(Arg arg) => new(arg.CSharp, arg.Bare, Render.Expression(ExpressionOf(arg)), arg.Value.Int, arg.UsesIndex);

    private static Expr ExpressionOf(Arg arg)
    {
        try
        {
            return arg.Node is YamlScalar s ? ExpressionParser.Parse(s.Value) : new IntLiteral(arg.Value.Int);
        }
        catch (ExpressionException)
        {
            return new IntLiteral(arg.Value.Int);
        }
    }

    private static string YamlText(Arg arg) => arg.Node is YamlScalar scalar ? scalar.Value : arg.Bare;

    private bool Positive(Arg arg, string name)
    {
        if (arg.Value.Kind == ValueKind.Int && arg.Value.Int >= 1)
        {
            if (arg.IsConfigDependent && !arg.UsesIndex) AddCheck($"{arg.Bare} < 1", $"$\"{name} ({Escape(YamlText(arg))}) must be at least 1, not {{{arg.Bare}}}\"");
            return true;
        }
        Report(Diagnostics.OutOfRange, arg.Node, $"{name} must be at least 1, not {arg.Value}");
        return false;
    }

    private bool Probability(Arg arg, string name)
    {
        var p = arg.Value.AsDouble;
        if (p is >= 0 and < 1)
        {
            if (arg.IsConfigDependent && !arg.UsesIndex)
                AddCheck($"{Paren(arg.Bare)} is not (>= 0.0 and < 1.0)", $"$\"{name} ({Escape(YamlText(arg))}) must be in [0, 1), not {{{arg.Bare}}}\"");
            return true;
        }
        Report(Diagnostics.OutOfRange, arg.Node, $"{name} must be a probability in [0, 1), not {arg.Value}");
        return false;
    }
}
