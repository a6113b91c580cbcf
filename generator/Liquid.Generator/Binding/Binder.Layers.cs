using System;
using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding;

/// <summary>
/// An argument as bound: its value with the default config (at the block index being bound), its
/// expression (numbers and bool config names), what construction passes for it, and where it is.
/// </summary>
internal sealed record BoundArg(ArgInfo Info, YamlNode Node, Value Value, Expr? Expr, Code Code, bool IsNull, bool UsesIndex)
{
    /// <summary>Reads a config or derived name, so overridden configs need the check again.</summary>
    public bool IsConfigDependent => Expr is not null && ExpressionEvaluator.Names(Expr).Any(n => n.Name != "index");
}

internal sealed partial class Binder
{
    private static readonly string[] RepeatKeys = ["repeat", "name", "block", "class", "carry"];

    // Set when an argument depends on the block index ('index' or a cycle): the repeat must then bind every block.
    private bool _indexUsed;

    // Auxiliary losses by name, in order of first appearance: properties of the output class.
    private readonly List<string> _losses = new();

    /// <summary>Binds a list of layers; each adds its parameter count (an expression of config and index) to <paramref name="parameters"/>.</summary>
    private List<Step> BindBody(YamlSequence body, ValueScope scope, int index, List<ParameterTerm> parameters)
    {
        var steps = new List<Step>();
        foreach (var item in body.Items)
        {
            if (_layerCount >= MaxLayers)
            {
                Report(Diagnostics.OutOfRange, item, $"the file declares more than {MaxLayers} layers; split the model or use 'repeat'");
                _layerCount = int.MinValue; // report once
                break;
            }
            if (_layerCount >= 0) _layerCount++;
            var errors = ErrorCount;
            var step = BindItem(item, scope, index, parameters);
            if (step is null)
            {
                // Later layers skip checks that would only repeat this error.
                if (ErrorCount > errors || scope.Current?.Type is null) scope.Current = Unknown(scope);
                continue;
            }
            steps.Add(step);
        }
        return steps;
    }

    /// <summary>A stream value of unknown type: what follows a layer that failed to bind.</summary>
    private static BoundValue Unknown(ValueScope scope) => new("", null, scope.Stream, null);

    private Step? BindItem(YamlNode item, ValueScope scope, int index, List<ParameterTerm> parameters)
    {
        YamlScalar kindKey;
        YamlNode? argsNode;
        switch (item)
        {
            case YamlScalar bare when !bare.IsNull:
                kindKey = bare;
                argsNode = null;
                break;
            case YamlMapping mapping when Get(mapping, "repeat") is not null:
                return BindRepeat(mapping, scope, parameters);
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

        if (kindKey.Value == "residual") return BindResidual(kindKey, argsNode, scope, index, parameters);
        var kind = LayerKinds.Find(kindKey.Value);
        if (kind is null)
        {
            var known = LayerKinds.All.Select(k => k.Name).Concat(LayerKinds.Structural);
            Report(Diagnostics.UnknownLayer, kindKey, Names.Clip(kindKey.Value), Names.Suggest(kindKey.Value, known));
            return null;
        }
        return BindLayer(kind, kindKey, argsNode, scope, index, parameters);
    }

    // ---- structural forms -------------------------------------------------------------------

    private Step? BindResidual(YamlScalar key, YamlNode? body, ValueScope scope, int index, List<ParameterTerm> parameters)
    {
        if (body is not YamlSequence sequence)
        {
            Report(Diagnostics.WrongType, (YamlNode?)body ?? key, "'residual'", "a list of layers", body?.Describe() ?? "nothing");
            return null;
        }
        var input = scope.Current;
        if (input?.Type is null) return null;
        if (input.Tensor is not { IsFloating: true } inputType)
        {
            Report(Diagnostics.ShapeMismatch, key, $"a residual block adds to features, but receives {input.Type.Display}; start with a token_embedding");
            return null;
        }
        input.Used = true;
        var outer = scope.Stream;
        scope.ResidualDepth++;
        var branch = scope.ResidualDepth == 1 ? "h" : "h" + scope.ResidualDepth;
        scope.Stream = branch;
        var children = BindBody(sequence, scope, index, parameters);
        var result = scope.Current;
        scope.Stream = outer;
        scope.ResidualDepth--;
        if (result?.Type is null) return null;
        if (result.Tensor is not { } resultType || !resultType.Matches(inputType))
        {
            Report(Diagnostics.ShapeMismatch, key, $"a residual block must keep the shape of its input: it receives {inputType.Display} and its layers produce {result.Type.Display}");
            return null;
        }
        result.Used = true;
        var output = NewStreamValue(scope, inputType);
        return new ResidualStep(input.Local, branch, children.ToEquatableArray(), result.Local, output.Local);
    }

    /// <summary>The value of an unnamed output: the stream <c>x</c>, or the residual branch being built.</summary>
    private static BoundValue NewStreamValue(ValueScope scope, ValueType type)
    {
        var value = new BoundValue(scope.Stream == "x" ? "x" : "", type, scope.Stream, null);
        if (scope.Stream == "x") scope.Values["x"] = value;
        scope.Current = value;
        return value;
    }

    private Step? BindRepeat(YamlMapping mapping, ValueScope scope, List<ParameterTerm> parameters)
    {
        CheckKeys(mapping, RepeatKeys, "a repeat block");
        if (scope.Kind != MethodKind.Model || scope.ResidualDepth > 0)
        {
            Report(Diagnostics.WrongType, mapping, "a repeat block", "at the top level of 'layers'", "nested in another block");
            return null;
        }
        var countNode = Get(mapping, "repeat")!;
        if (ExpectScalar(countNode, "the repeat count", "an integer expression") is not { } countScalar) return null;
        var count = BindExpression(countScalar, "the repeat count", inBlock: false);
        if (count is null) return null;
        if (count.Value.Default.Kind != ValueKind.Int || count.Value.Default.Int < 1 || count.Value.Default.Int > 100_000)
        {
            Report(Diagnostics.OutOfRange, countScalar, $"the repeat count must be an integer from 1 to 100000, not {count.Value.Default}");
            return null;
        }
        var blocks = count.Value.Default.Int;
        AddCheck(Ex.Less(count.Value.Expr, Ex.Int(1)), MessagePart.Of($"the repeat count {Render.Expression(count.Value.Expr)} must be at least 1, not "), MessagePart.Of(count.Value.Expr));

        var stateName = "h";
        YamlNode nameAt = mapping;
        if (Get(mapping, "name") is { } nameNode && ExpectScalar(nameNode, "the repeat's name", "a name") is { } nameScalar)
        {
            if (!IsStateName(nameScalar)) return null;
            stateName = nameScalar.Value;
            nameAt = nameScalar;
        }
        var className = _blocks.Count == 0 ? _typeName + "Block" : _typeName + Names.Pascal(stateName) + "Block";
        YamlNode classAt = mapping;
        if (Get(mapping, "class") is { } classNode && ExpectScalar(classNode, "the block's class name", "a C# type name") is { } classScalar)
        {
            if (!CheckTypeName(classScalar, "class name")) return null;
            className = classScalar.Value;
            classAt = classScalar;
        }
        if (className == _typeName || className == _typeName + "Config" || className == _typeName + "Output" || _blocks.Any(b => b.ClassName == className))
        {
            Report(Diagnostics.DuplicateName, classAt, className, _blocks.Any(b => b.ClassName == className)
                ? "another repeat block generates this class; give one a 'class'"
                : "the model generates a class of this name; choose another 'class'");
            return null;
        }
        if (!ClaimLayerName(scope, stateName, nameAt)) return null;
        if (Get(mapping, "block") is not YamlSequence block)
        {
            Report(Diagnostics.MissingKey, mapping, "A repeat block", "block (a list of layers)");
            return null;
        }
        var carried = Get(mapping, "carry") is { } carryNode ? BindCarry(carryNode, scope) : new List<YamlScalar>();
        if (carried is null) return null;

        var input = scope.Current;
        if (input?.Type is null) return null;
        if (input.Tensor is not { } inputType)
        {
            Report(Diagnostics.ShapeMismatch, countNode, $"a repeated block runs on a tensor, but receives {input.Type.Display}");
            return null;
        }
        input.Used = true;

        // Bind the block once per index when its arguments vary with 'index' or 'cycle'; structure and
        // code come from index 0, parameter counts from every index. Identical blocks bind once.
        _indexUsed = false;
        var shapes = _shapes.Count;
        var (inner, body, blockTerms) = BindBlockBody(block, scope, inputType, carried, index: 0);
        var varies = _indexUsed;
        var result = inner.Current;
        if (result?.Type is null) return null;
        if (result.Tensor is not { } resultType || !resultType.Matches(inputType))
        {
            Report(Diagnostics.ShapeMismatch, countNode, $"a repeated block must keep the shape of its input: it receives {inputType.Display} and produces {result.Type.Display}");
            return null;
        }
        result.Used = true;
        for (var i = shapes; i < _shapes.Count; i++) _shapes[i] = _shapes[i] with { Path = $"{stateName}.*.{_shapes[i].Path}" };

        // Parameters under the default config: block 0 times the count, or every block when they differ.
        long total = 0;
        if (!TryCount(blockTerms, 0, out var first) || !TryAdd(ref total, first, varies ? 1 : blocks))
        {
            Report(Diagnostics.OutOfRange, countNode, "the parameter count of the repeated blocks overflows a 64-bit integer with the default config");
            return null;
        }
        var errors = ErrorCount;
        for (var i = 1; varies && i < blocks; i++)
        {
            // Silently: the same body bound again, only to check block i and count its parameters.
            var (diagnostics, checks, shapeCount, losses, layerCount) = (_diagnostics.Count, _checks.Count, _shapes.Count, _losses.Count, _layerCount);
            var (_, _, again) = BindBlockBody(block, scope, inputType, carried, i);
            _checks.RemoveRange(checks, _checks.Count - checks);
            _shapes.RemoveRange(shapeCount, _shapes.Count - shapeCount);
            _losses.RemoveRange(losses, _losses.Count - losses);
            _layerCount = layerCount;
            if (_diagnostics.Count > diagnostics)
            {
                KeepDiagnostics(diagnostics + 1); // the first problem of a later block is enough
                break;
            }
            if (!TryCount(again, i, out var one) || !TryAdd(ref total, one, 1))
            {
                Report(Diagnostics.OutOfRange, countNode, "the parameter count of the repeated blocks overflows a 64-bit integer with the default config");
                return null;
            }
        }
        if (ErrorCount > errors) return null;

        // The block method: the stream, outer values it reads, carried values; it returns the stream and the carried values.
        var parametersOfBlock = new List<BlockValue> { new("x", inputType, false) };
        var arguments = new List<string> { input.Local };
        foreach (var (outerValue, innerValue) in inner.Free)
        {
            parametersOfBlock.Add(new BlockValue(innerValue.Local, innerValue.Type!, innerValue.Nullable));
            arguments.Add(outerValue.Local);
        }
        var results = new List<BlockValue> { new("x", inputType, false) };
        var resultLocals = new List<BlockValue>();
        foreach (var name in carried)
        {
            var innerValue = inner.Values[name.Value];
            if (innerValue.Type is null)
            {
                Report(Diagnostics.UnresolvedReference, name, $"the carried value '{name.Value}' is never produced inside the block");
                return null;
            }
            var outerValue = scope.Values[name.Value];
            outerValue.Type = innerValue.Type;
            outerValue.Exported = true;
            parametersOfBlock.Add(new BlockValue(innerValue.Local, innerValue.Type, Nullable: true));
            arguments.Add(outerValue.Local);
            results.Add(new BlockValue(innerValue.Local, innerValue.Type, Nullable: true));
            resultLocals.Add(new BlockValue(outerValue.Local, innerValue.Type, Nullable: true));
        }
        var output = NewStreamValue(scope, inputType);
        resultLocals.Insert(0, new BlockValue(output.Local, inputType, false));
        ReportUnused(inner, []);

        parameters.Add(new ParameterTerm(stateName, new BlockCountExpr(className, count.Value.Expr, varies, total)));
        _blocks.Add(new BlockSpec(BlockRole.Repeat, className, stateName, count.Value.Expr, parametersOfBlock.ToEquatableArray(), results.ToEquatableArray(), Prune(body).ToEquatableArray(),
            blockTerms.ToEquatableArray(), varies, first, $"One of the {blocks} repeated blocks of {_typeName} ('{stateName}.N' in the state dict)."));
        scope.Layers[stateName] = new LayerRecord("repeat", Names.Field(stateName));
        return new RepeatStep(Names.Field(stateName), className, arguments.ToEquatableArray(), resultLocals.ToEquatableArray());
    }

    private static bool TryAdd(ref long total, long value, long times)
    {
        try
        {
            total = checked(total + value * times);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private (ValueScope Scope, List<Step> Body, List<ParameterTerm> Parameters) BindBlockBody(YamlSequence block, ValueScope outer, TensorType input, List<YamlScalar> carried, int index)
    {
        var inner = new ValueScope(outer, MethodKind.Block);
        var stream = new BoundValue("x", input, "x", null);
        inner.Values["x"] = stream;
        inner.Current = stream;
        foreach (var name in carried)
        {
            var outerValue = outer.Values[name.Value];
            inner.Values[name.Value] = new BoundValue(name.Value, outerValue.Type, outerValue.Local, name) { Nullable = true, Exported = true };
        }
        var parameters = new List<ParameterTerm>();
        var body = BindBody(block, inner, index, parameters);
        return (inner, body, parameters);
    }

    /// <summary>
    /// A kind's body argument as a vector field f(t, y): its own class, whose layers read the state y
    /// (the stream) and may read <c>t</c> by name, and must give back a value of y's type. Returns the
    /// class name, or null after reporting.
    /// </summary>
    internal string? BindVectorField(LayerKind kind, YamlScalar key, string stateName, YamlNode node, TensorType state)
    {
        if (node is not YamlSequence body)
        {
            Report(Diagnostics.WrongType, node, $"the vector field of '{kind.Name}'", "a list of layers", node.Describe());
            return null;
        }
        var className = _typeName + Names.Pascal(stateName) + "Field";
        if (_blocks.Any(b => b.ClassName == className))
        {
            Report(Diagnostics.DuplicateName, key, className, "another layer generates this class; rename one layer");
            return null;
        }
        // No outer values: the solver calls f(t, y) with nothing else.
        var scope = new ValueScope(null, MethodKind.VectorField);
        var y = new BoundValue("x", state, "y", null);
        scope.Values["x"] = y;
        scope.Values["t"] = new BoundValue("t", TensorType.Of(ElementType.Float), "t", null) { Used = true };
        scope.Current = y;
        var errors = ErrorCount;
        var (shapes, layerCount) = (_shapes.Count, _layerCount);
        var terms = new List<ParameterTerm>();
        var steps = BindBody(body, scope, index: 0, terms);
        for (var i = shapes; i < _shapes.Count; i++) _shapes[i] = _shapes[i] with { Path = $"{stateName}.field.{_shapes[i].Path}" };
        if (ErrorCount > errors) return null;
        var result = scope.Current;
        if (result?.Tensor is not { } type || !type.Matches(state))
        {
            Report(Diagnostics.ShapeMismatch, key, $"the vector field of '{kind.Name}' must return dy/dt of the state's type {state.Display}, but its layers produce {result?.Type?.Display ?? "nothing"}");
            return null;
        }
        result.Used = true;
        if (!TryCount(terms, 0, out var parameters))
        {
            Report(Diagnostics.OutOfRange, key, "the vector field's parameter count overflows a 64-bit integer with the default config");
            return null;
        }
        ReportUnused(scope, []);
        _blocks.Add(new BlockSpec(BlockRole.VectorField, className, stateName, Ex.Int(1),
            [new BlockValue("t", TensorType.Of(ElementType.Float), false), new BlockValue("y", state, false)],
            [new BlockValue(result.Local, state, false)], Prune(steps).ToEquatableArray(), terms.ToEquatableArray(), false, parameters,
            $"The vector field dy/dt = f(t, y) of layer '{stateName}' of {_typeName}."));
        return className;
    }

    /// <summary><c>carry: [memory]</c>: values each block passes to the next, absent before the first.</summary>
    private List<YamlScalar>? BindCarry(YamlNode node, ValueScope scope)
    {
        if (node is not YamlSequence list || list.Items.Any(i => i is not YamlScalar))
        {
            Report(Diagnostics.WrongType, node, "'carry'", "a list of value names", node.Describe());
            return null;
        }
        var names = new List<YamlScalar>();
        foreach (var item in list.Items.Cast<YamlScalar>())
        {
            if (ValueLocal(item, "carried value name") is not { } local) return null;
            if (item.Value == "x")
            {
                Report(Diagnostics.InvalidName, item, "x", "carried value name", "the stream is passed through the blocks already");
                return null;
            }
            if (!scope.Values.ContainsKey(item.Value)) scope.Values[item.Value] = new BoundValue(item.Value, null, local, item) { Nullable = true };
            names.Add(item);
        }
        return names;
    }

    // ---- layers -----------------------------------------------------------------------------

    private Step? BindLayer(LayerKind kind, YamlScalar key, YamlNode? argsNode, ValueScope scope, int index, List<ParameterTerm> parameters)
    {
        var args = new Dictionary<string, BoundArg>(StringComparer.Ordinal);
        var bodies = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        var given = new HashSet<string>(StringComparer.Ordinal);
        var errors = ErrorCount;
        string? stateName = null;
        if (scope.Kind == MethodKind.VectorField && kind.TakesContext)
        {
            Report(Diagnostics.WrongType, key, $"layer '{kind.Name}'", "a layer without state across calls (a vector field is evaluated many times per step)", $"'{kind.Name}', which keeps state");
            return null;
        }
        YamlNode nameAt = key;
        YamlNode? inNode = null, asNode = null;

        if (argsNode is YamlMapping mapping)
        {
            CheckKeys(mapping, kind.Args.Select(a => a.Name).Concat(LayerKinds.Common.Select(a => a.Name)).ToList(), $"layer '{kind.Name}'");
            foreach (var entry in mapping.Entries)
            {
                switch (entry.Key.Value)
                {
                    case "name":
                        if (ExpectScalar(entry.Value, "a layer name", "a name") is { } nameScalar && IsStateName(nameScalar))
                        {
                            stateName = nameScalar.Value;
                            nameAt = nameScalar;
                        }
                        continue;
                    case "in":
                        inNode = entry.Value;
                        continue;
                    case "as":
                        asNode = entry.Value;
                        continue;
                }
                var info = kind.Arg(entry.Key.Value);
                if (info is null) continue;
                given.Add(info.Name);
                if (info.Kind == ArgKind.Body) bodies[info.Name] = entry.Value; // bound by the kind, with its inputs' types
                else if (BindArg(info, entry.Value, kind, scope, index) is { } arg) args[info.Name] = arg;
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
        var inputs = BindLayerInputs(kind, key, inNode, scope);
        if (inputs is null) return null;
        var bound = BindAs(kind, asNode, scope);
        if (bound is null)
        {
            // Later layers that read these names should not report them missing as well.
            foreach (var name in Scalars(asNode))
                if (!scope.Values.ContainsKey(name.Value)) scope.Values[name.Value] = new BoundValue(name.Value, null, Names.Local(name.Value), null);
            return null;
        }
        if (inputs.Any(i => i is not null && i.Type is null && !i.Nullable)) return null; // after an error upstream

        var layer = new LayerBinding(this, kind, key, stateName, scope, inputs, args, bodies, bound.Keys.ToList(), index);
        var ok = kind.Bind(layer);
        if (!ok || ErrorCount > errors) return null;
        if (!TryCount(layer.ParameterCount, index, out _))
        {
            Report(Diagnostics.OutOfRange, key, $"the parameter count of layer '{stateName}' overflows a 64-bit integer with the default config");
            return null;
        }
        if (!(layer.ParameterCount is IntLiteral { Value: 0 })) parameters.Add(new ParameterTerm(stateName, layer.ParameterCount));

        // Outputs: bound ports to their named values, the primary one (when unnamed) to the stream.
        var outputs = new List<CallOutput>();
        var streamOutputs = new List<(int Output, BoundValue Value)>();
        BoundValue? primary = null;
        foreach (var port in kind.Outputs)
        {
            var isPrimary = port == kind.Outputs[0];
            if (!bound.TryGetValue(port.Name, out var name) && !isPrimary) continue;
            var type = port.Kind == PortKind.Loss ? LossType.Instance : layer.OutputType(port.Name);
            if (type is null) throw new InvalidOperationException($"layer kind '{kind.Name}' did not set the type of its output '{port.Name}'");
            BoundValue value;
            if (name is null)
            {
                value = NewStreamValue(scope, type);
                streamOutputs.Add((outputs.Count, value));
            }
            else
            {
                value = new BoundValue(name.Value, type, Names.Local(name.Value), name);
                if (scope.Values.TryGetValue(name.Value, out var previous))
                {
                    if (previous.Type is not null && previous.Type.GetType() != type.GetType())
                    {
                        Report(Diagnostics.ShapeMismatch, name, $"'{name.Value}' holds a {previous.Type.Display} and cannot take {type.Display}");
                        return null;
                    }
                    previous.Type ??= type;
                    value = new BoundValue(name.Value, type, previous.Local, name) { Nullable = previous.Nullable, Exported = previous.Exported };
                }
                scope.Values[name.Value] = value;
            }
            if (port.Kind == PortKind.Loss && name is not null)
            {
                if (!_losses.Contains(name.Value)) _losses.Add(name.Value);
                value.Exported = true;
            }
            outputs.Add(new CallOutput(port.MemberName, value.Local, port.Kind == PortKind.Loss ? name?.Value : null, type.Display));
            if (isPrimary) primary = value;
        }
        scope.Current = primary;

        var record = new LayerRecord(kind.Name, Names.Field(stateName));
        foreach (var pair in layer.Remembered) record.Remembered[pair.Key] = pair.Value;
        scope.Layers[stateName] = record;
        _shapes.Add(new LayerShape(stateName, kind.Name, primary?.Tensor));
        if (layer.Custom is not null) _hasCustom = true;
        if (!kind.Incremental) _incremental = false;

        var callInputs = kind.Inputs.Select((port, i) => new CallInput(Names.Camel(port.Name), inputs[i]?.Local)).ToEquatableArray();
        var step = new LayerStep(new LayerSpec(kind.Name, stateName, record.Field,
            layer.Custom is { } custom ? "global::" + custom : kind.RuntimeClass,
            layer.Construction(), callInputs, outputs.ToEquatableArray(),
            kind.Method(bound.Keys.ToList()), kind.TakesContext, kind.Outputs.Count > 1));
        foreach (var (output, value) in streamOutputs) _streamAssignments.Add((step, output, value));
        return step;
    }

    /// <summary>The values a layer reads: <c>in:</c> by name, else the previous layer's output; null after reporting.</summary>
    private List<BoundValue?>? BindLayerInputs(LayerKind kind, YamlScalar key, YamlNode? inNode, ValueScope scope)
    {
        var ports = kind.Inputs;
        var names = new List<YamlScalar>();
        if (inNode is YamlScalar { IsNull: false } one) names.Add(one);
        else if (inNode is YamlSequence list && list.Items.All(i => i is YamlScalar)) names.AddRange(list.Items.Cast<YamlScalar>());
        else if (inNode is not null)
        {
            Report(Diagnostics.WrongType, inNode, $"'in' of layer '{kind.Name}'", "a value name or a list of names", inNode.Describe());
            return null;
        }
        if (names.Count > ports.Count)
        {
            Report(Diagnostics.OutOfRange, names[ports.Count], $"layer '{kind.Name}' reads {ports.Count} value{(ports.Count == 1 ? "" : "s")} ({string.Join(", ", ports.Select(p => p.Name))}), not {names.Count}");
            return null;
        }
        var result = new List<BoundValue?>();
        for (var i = 0; i < ports.Count; i++)
        {
            BoundValue? value;
            if (i < names.Count)
            {
                value = scope.Find(names[i].Value);
                if (value is null)
                {
                    var visible = VisibleValues(scope).ToList();
                    Report(Diagnostics.UnresolvedReference, names[i], $"layer '{kind.Name}' reads '{Names.Clip(names[i].Value)}', but no value of that name is defined before it{Names.Suggest(names[i].Value, visible)}");
                    return null;
                }
                if (value.Type is null && !value.Nullable) return null;
                if (value.Type is null)
                {
                    // A carried value read before its first producer: the port says what it is.
                    value.Type = ports[i].Kind == PortKind.State ? new StateType(ports[i].StateType!) : null;
                    if (value.Type is null)
                    {
                        Report(Diagnostics.UnresolvedReference, names[i], $"'{names[i].Value}' has no value before the first block, and '{ports[i].Name}' of layer '{kind.Name}' needs one");
                        return null;
                    }
                }
            }
            else if (i == 0)
            {
                value = scope.Current;
                if (value is null)
                {
                    Report(Diagnostics.MissingKey, key, $"Layer '{kind.Name}'", "in (there is no earlier value to read)");
                    return null;
                }
            }
            else if (ports[i].Optional)
            {
                result.Add(null);
                continue;
            }
            else
            {
                Report(Diagnostics.MissingKey, key, $"Layer '{kind.Name}'", $"in (its input '{ports[i].Name}' has no default)");
                return null;
            }
            value.Used = true;
            result.Add(value);
        }
        return result;
    }

    private static IEnumerable<YamlScalar> Scalars(YamlNode? node) => node switch
    {
        YamlScalar scalar => [scalar],
        YamlMapping map => map.Entries.Select(e => e.Value).OfType<YamlScalar>(),
        _ => [],
    };

    private static IEnumerable<string> VisibleValues(ValueScope scope)
    {
        for (var s = scope; s is not null; s = s.Outer)
            foreach (var name in s.Values.Keys)
                yield return name;
    }

    /// <summary><c>as: name</c> (the primary output) or <c>as: { port: name }</c>; null after reporting.</summary>
    private Dictionary<string, YamlScalar>? BindAs(LayerKind kind, YamlNode? asNode, ValueScope scope)
    {
        var bound = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
        if (asNode is null) return bound;
        var pairs = new List<(YamlScalar Port, YamlScalar Name)>();
        if (asNode is YamlScalar { IsNull: false } single) pairs.Add((new YamlScalar(kind.Outputs[0].Name, false, single.Span), single));
        else if (asNode is YamlMapping map)
        {
            foreach (var entry in map.Entries)
            {
                if (kind.Output(entry.Key.Value) is null)
                {
                    Report(Diagnostics.UnknownKey, entry.Key, Names.Clip(entry.Key.Value), $"the outputs of layer '{kind.Name}' ({string.Join(", ", kind.Outputs.Select(p => p.Name))})", Names.Suggest(entry.Key.Value, kind.Outputs.Select(p => p.Name)));
                    return null;
                }
                if (ExpectScalar(entry.Value, $"the name of output '{entry.Key.Value}'", "a value name") is not { } name) return null;
                pairs.Add((entry.Key, name));
            }
        }
        else
        {
            Report(Diagnostics.WrongType, asNode, $"'as' of layer '{kind.Name}'", "a value name or a mapping output: name", asNode.Describe());
            return null;
        }
        foreach (var (port, name) in pairs)
        {
            if (ValueLocal(name, "value name") is null) return null;
            if (name.Value == "x" && scope.ResidualDepth > 0)
            {
                Report(Diagnostics.InvalidName, name, "x", "value name", "inside a residual, x is the residual's input; name the branch's value something else");
                return null;
            }
            if (scope.Values.TryGetValue(name.Value, out var existing) && existing.IsInput)
            {
                Report(Diagnostics.DuplicateName, name, name.Value, "an input has this name");
                return null;
            }
            if (bound.Values.Any(n => n.Value == name.Value))
            {
                Report(Diagnostics.DuplicateName, name, name.Value, "another output of this layer has this name");
                return null;
            }
            bound[port.Value] = name;
        }
        return bound;
    }

    private BoundArg? BindArg(ArgInfo info, YamlNode node, LayerKind kind, ValueScope scope, int index)
    {
        var what = $"'{info.Name}' of layer '{kind.Name}'";
        if (node is YamlMapping cycleMap && Get(cycleMap, "cycle") is { } cycleNode)
        {
            if (scope.Kind != MethodKind.Block)
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
            _indexUsed = true;
            var chosen = bound[index % bound.Count]!;
            var element = info.Kind switch
            {
                ArgKind.Int => info.Nullable ? "long?" : "long",
                ArgKind.Float => "double",
                ArgKind.Bool => "bool",
                _ => "string",
            };
            var exprs = bound.Select(b => b!.Expr).ToList();
            var expr = exprs.All(e => e is not null) ? new PickExpr(exprs.Select(e => e!).ToEquatableArray()) : null;
            return chosen with { Node = node, Code = new CycleCode(element, bound.Select(b => b!.Code).ToEquatableArray()), Expr = expr ?? chosen.Expr, UsesIndex = true };
        }
        if (ExpectScalar(node, what, ExpectedWord(info)) is not { } scalar) return null;
        if (scalar.IsNull)
        {
            if (info.Nullable) return new BoundArg(info, scalar, default, null, NullCode.Instance, IsNull: true, UsesIndex: false);
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
                var expr = BindExpression(scalar, what, scope.Kind == MethodKind.Block, index);
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
                if (expr.Value.UsesIndex) _indexUsed = true;
                var asFloat = info.Kind == ArgKind.Float && value.Kind == ValueKind.Int && expr.Value.Expr is IntLiteral;
                return new BoundArg(info, scalar, value, expr.Value.Expr, new ExprCode(expr.Value.Expr, asFloat), false, expr.Value.UsesIndex);
            case ArgKind.Bool:
                var literal = Literal(scalar);
                if (literal.Kind == ValueKind.Bool && !scalar.Quoted)
                    return new BoundArg(info, scalar, literal, new BoolLiteral(literal.Bool), new BoolCode(literal.Bool), false, false);
                if (_values.TryGetValue(scalar.Value, out var configValue) && configValue.Kind == ValueKind.Bool)
                    return new BoundArg(info, scalar, configValue, Ex.Name(scalar.Value), new ExprCode(Ex.Name(scalar.Value)), false, false);
                Report(Diagnostics.WrongType, scalar, what, "true, false or a bool config name", scalar.Describe());
                return null;
            case ArgKind.Enum:
                if (!info.Values!.Contains(scalar.Value))
                {
                    Report(Diagnostics.WrongType, scalar, what, "one of " + string.Join(", ", info.Values!), scalar.Describe() + Names.Suggest(scalar.Value, info.Values!));
                    return null;
                }
                return new BoundArg(info, scalar, Value.Of(scalar.Value), null, new TextCode(scalar.Value), false, false);
            case ArgKind.Reference:
                return new BoundArg(info, scalar, Value.Of(scalar.Value), null, new LayerRefCode(scalar.Value), false, false);
            default:
                // Free text is a custom layer's class, emitted into C# as written: it must be a type name.
                if (!Names.IsQualifiedName(scalar.Value))
                {
                    Report(Diagnostics.InvalidName, scalar, Names.Clip(scalar.Value), "class name", "use a fully qualified C# type name such as MyModels.TokenMixer");
                    return null;
                }
                return new BoundArg(info, scalar, Value.Of(scalar.Value), null, new TypeNameCode(scalar.Value), false, false);
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
        if (Names.IsIdentifier(name.Value) && name.Value.Length <= MaxNameLength) return true;
        Report(Diagnostics.InvalidName, name, Names.Clip(name.Value), "layer name", "it becomes a state-dict key segment: letters, digits and underscores, no dots");
        return false;
    }

    private static string DefaultName(ValueScope scope, string kind)
    {
        scope.KindCounts.TryGetValue(kind, out var n);
        scope.KindCounts[kind] = n + 1;
        var candidate = n == 0 ? kind : $"{kind}_{n}";
        while (scope.Layers.ContainsKey(candidate)) candidate += "_";
        return candidate;
    }

    private bool ClaimLayerName(ValueScope scope, string name, YamlNode at)
    {
        if (scope.Layers.ContainsKey(name) || !scope.Fields.Add(Names.Field(name)))
        {
            Report(Diagnostics.DuplicateName, at, name, "another layer in the same block has this name");
            return false;
        }
        return true;
    }
}
