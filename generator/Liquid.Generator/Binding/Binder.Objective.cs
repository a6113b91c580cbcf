using System;
using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding;

internal sealed partial class Binder
{
    /// <summary>One loss function of the objective: its own arguments and what its target must be.</summary>
    private sealed record TermKind(string Name, string[] Args, TargetRule Target);

    private enum TargetRule
    {
        /// <summary>Class ids: the input is [..., C] logits, the target [...] integers.</summary>
        Classes,
        /// <summary>A tensor of the input's shape.</summary>
        SameShape,
        /// <summary>No target (the input is a log-probability).</summary>
        None,
    }

    private static readonly TermKind[] TermKinds =
    [
        new("cross_entropy", ["label_smoothing", "ignore_index"], TargetRule.Classes),
        new("focal", ["alpha", "gamma", "ignore_index"], TargetRule.Classes),
        new("mse", [], TargetRule.SameShape),
        new("l1", [], TargetRule.SameShape),
        new("smooth_l1", ["beta"], TargetRule.SameShape),
        new("bce_with_logits", [], TargetRule.SameShape),
        new("nll", [], TargetRule.None),
    ];

    private static readonly string[] TermKeys = ["input", "target", "weight"];

    /// <summary>
    /// <c>objective:</c> — loss terms over named outputs and targets, each weighed, plus
    /// <c>aux: { loss: weight }</c> for the auxiliary losses layers produce. A mapping (one term per
    /// kind) or a list of one-key mappings (for several terms of one kind). Returns the terms and the
    /// targets the data must supply.
    /// </summary>
    private (List<ObjectiveTerm> Terms, List<TargetSpec> Targets) BindObjective(YamlNode? node, List<InputSpec> inputs,
        List<(YamlScalar Key, TensorType Type)> declared, List<OutputSpec> outputs, ValueScope scope, YamlNode at)
    {
        var terms = new List<ObjectiveTerm>();
        var targets = declared.Select(d => new TargetSpec(d.Key.Value, Names.Local(d.Key.Value), d.Type, null)).ToList();
        foreach (var loss in _losses)
        {
            if (outputs.Any(o => o.Name == loss || o.Property == Names.Pascal(loss))) continue;
            outputs.Add(new OutputSpec(loss, Names.Pascal(loss), LossType.Instance, Names.Local(loss), IsLoss: true));
        }
        if (ErrorCount > 0) return (terms, targets);

        var entries = new List<(YamlScalar Key, YamlNode Value)>();
        if (node is null)
        {
            var first = outputs.FirstOrDefault(o => !o.IsLoss);
            if (first is null || inputs.Count == 0 || !inputs[0].Type.IsIntegral || inputs[0].Type.Rank != 2)
            {
                Report(Diagnostics.MissingKey, at, "The model file", "objective (there is no default: the first input is not token ids long[B, T])");
                return (terms, targets);
            }
            var target = NextTarget(inputs[0], targets);
            terms.Add(new ObjectiveTerm("cross_entropy", "cross_entropy", first.Name, target.Name, EquatableArray<NamedCode>.Empty, Ex.Int(1)));
            CheckClasses(first, target.Type, at, "cross_entropy");
            return (terms, targets);
        }
        if (node is YamlMapping map) entries.AddRange(map.Entries.Select(e => (e.Key, e.Value)));
        else if (node is YamlSequence list)
        {
            foreach (var item in list.Items)
            {
                if (item is YamlMapping { Entries.Count: 1 } one) entries.Add((one.Entries[0].Key, one.Entries[0].Value));
                else Report(Diagnostics.WrongType, item, "an objective term", "one 'loss: arguments' pair", item.Describe());
            }
        }
        else
        {
            Report(Diagnostics.WrongType, node, "'objective'", "a mapping or a list of loss terms", node.Describe());
            return (terms, targets);
        }

        var known = TermKinds.Select(k => k.Name).Concat(new[] { "aux" }).ToList();
        foreach (var (key, value) in entries)
        {
            if (key.Value == "aux")
            {
                BindAux(value, terms);
                continue;
            }
            var kind = TermKinds.FirstOrDefault(k => k.Name == key.Value);
            if (kind is null)
            {
                Report(Diagnostics.UnknownKey, key, Names.Clip(key.Value), "'objective'", Names.Suggest(key.Value, known));
                continue;
            }
            BindTerm(kind, key, value, inputs, outputs, targets, terms, scope);
        }
        if (terms.Count == 0 && ErrorCount == 0) Report(Diagnostics.MissingKey, node, "'objective'", "a loss term (cross_entropy, focal, mse, l1, smooth_l1, bce_with_logits or nll)");
        return (terms, targets);
    }

    private void BindTerm(TermKind kind, YamlScalar key, YamlNode value, List<InputSpec> inputs, List<OutputSpec> outputs,
        List<TargetSpec> targets, List<ObjectiveTerm> terms, ValueScope scope)
    {
        var args = value as YamlMapping;
        if (args is null && value is not YamlScalar { IsNull: true })
        {
            Report(Diagnostics.WrongType, value, $"'{kind.Name}'", "a mapping of arguments", value.Describe());
            return;
        }
        var allowed = kind.Args.Concat(TermKeys).Where(k => kind.Target != TargetRule.None || k != "target").ToList();
        if (args is not null) CheckKeys(args, allowed, $"'{kind.Name}'");
        var errors = ErrorCount;

        // The input: a model output, or a value the layers produce (which then becomes an output).
        var firstOutput = outputs.FirstOrDefault(o => !o.IsLoss);
        OutputSpec? input = null;
        YamlNode inputAt = key;
        if (args is not null && Get(args, "input") is { } inputNode)
        {
            if (ExpectScalar(inputNode, $"'input' of {kind.Name}", "a value name") is not { } inputName) return;
            inputAt = inputName;
            input = outputs.FirstOrDefault(o => o.Name == inputName.Value) ?? ExportValue(inputName, scope, outputs);
            if (input is null) return;
        }
        else input = firstOutput;
        if (input is null)
        {
            Report(Diagnostics.MissingKey, key, $"'{kind.Name}'", "input (the model has no output to take it from)");
            return;
        }

        TargetSpec? target = null;
        if (kind.Target != TargetRule.None)
        {
            if (args is not null && Get(args, "target") is { } targetNode)
            {
                if (ExpectScalar(targetNode, $"'target' of {kind.Name}", "a target name or next(input)") is not { } targetName) return;
                target = ResolveTarget(targetName, inputs, targets);
                if (target is null) return;
                CheckTarget(kind, input, target.Type, targetName);
            }
            else if (kind.Target == TargetRule.Classes && inputs.Count > 0 && inputs[0].Type is { IsIntegral: true, Rank: 2 } && targets.All(t => t.NextOf is not null))
            {
                target = NextTarget(inputs[0], targets);
                CheckTarget(kind, input, target.Type, inputAt);
            }
            else if (targets.Count(t => t.NextOf is null) == 1)
            {
                target = targets.Single(t => t.NextOf is null);
                CheckTarget(kind, input, target.Type, inputAt);
            }
            else
            {
                Report(Diagnostics.MissingKey, key, $"'{kind.Name}'", "target (a name under 'targets:', or next(tokens))");
                return;
            }
        }
        if (input.IsLoss || input.Type is not TensorType { IsFloating: true })
        {
            Report(Diagnostics.ShapeMismatch, inputAt, $"{kind.Name} takes a floating-point tensor as input, but '{input.Name}' is {input.Type.Display}");
            return;
        }

        var named = new List<NamedCode>();
        Expr weight = Ex.Int(1);
        if (args is not null)
        {
            foreach (var entry in args.Entries)
            {
                if (!kind.Args.Contains(entry.Key.Value) && entry.Key.Value != "weight") continue;
                var (integral, range) = entry.Key.Value switch
                {
                    "ignore_index" => (true, Range.Any),
                    "label_smoothing" => (false, Range.Fraction),
                    _ => (false, Range.NonNegative),
                };
                if (Number(entry.Value, $"'{entry.Key.Value}' of {kind.Name}", integral, range) is not { } code) continue;
                if (entry.Key.Value == "weight") weight = ((ExprCode)code).Expr;
                else named.Add(new NamedCode(Names.Camel(entry.Key.Value), code));
            }
        }
        if (ErrorCount > errors) return;
        var name = terms.Any(t => t.Name == kind.Name) ? $"{kind.Name}_{input.Name}" : kind.Name;
        terms.Add(new ObjectiveTerm(name, kind.Name, input.Name, target?.Name, named.ToEquatableArray(), weight));
    }

    /// <summary>Makes a value the layers produce an output of the model, so the objective can read it.</summary>
    private OutputSpec? ExportValue(YamlScalar name, ValueScope scope, List<OutputSpec> outputs)
    {
        if (!scope.Values.TryGetValue(name.Value, out var value) || value.Tensor is not { } type)
        {
            Report(Diagnostics.UnresolvedReference, name, $"the objective reads '{Names.Clip(name.Value)}', but no layer produces a tensor of that name{Names.Suggest(name.Value, outputs.Select(o => o.Name).Concat(scope.Values.Keys))}");
            return null;
        }
        value.Used = true;
        value.Exported = true;
        var output = new OutputSpec(name.Value, Names.Pascal(name.Value), type, value.Local, IsLoss: false);
        outputs.Add(output);
        return output;
    }

    /// <summary><c>next(tokens)</c> or a name declared under <c>targets:</c>.</summary>
    private TargetSpec? ResolveTarget(YamlScalar name, List<InputSpec> inputs, List<TargetSpec> targets)
    {
        var text = name.Value.Trim();
        if (text.StartsWith("next(", StringComparison.Ordinal) && text.EndsWith(")", StringComparison.Ordinal))
        {
            var of = text.Substring(5, text.Length - 6).Trim();
            var input = inputs.FirstOrDefault(i => i.Name == of);
            if (input is null || !input.Type.IsIntegral || input.Type.Rank != 2)
            {
                Report(Diagnostics.UnresolvedReference, name, input is null
                    ? $"next({Names.Clip(of)}) needs an input named '{Names.Clip(of)}'{Names.Suggest(of, inputs.Select(i => i.Name))}"
                    : $"next({of}) needs token ids long[B, T], but '{of}' is {input.Type.Display}");
                return null;
            }
            return NextTarget(input, targets);
        }
        var declared = targets.FirstOrDefault(t => t.Name == text && t.NextOf is null);
        if (declared is null)
            Report(Diagnostics.UnresolvedReference, name, $"'{Names.Clip(text)}' is not a target; declare it under 'targets:' (or use next(tokens)){Names.Suggest(text, targets.Select(t => t.Name))}");
        return declared;
    }

    /// <summary>The target "the next token of each position of <paramref name="input"/>", which token corpora supply.</summary>
    private static TargetSpec NextTarget(InputSpec input, List<TargetSpec> targets)
    {
        var existing = targets.FirstOrDefault(t => t.NextOf == input.Name);
        if (existing is not null) return existing;
        var name = "next_" + input.Name;
        var target = new TargetSpec(name, Names.Local(name), input.Type, input.Name);
        targets.Add(target);
        return target;
    }

    private void CheckTarget(TermKind kind, OutputSpec input, TensorType target, YamlNode at)
    {
        if (kind.Target == TargetRule.Classes) CheckClasses(input, target, at, kind.Name);
        else if (input.Type is TensorType actual && (!target.IsFloating || !target.Matches(actual)))
            Report(Diagnostics.ShapeMismatch, at, $"{kind.Name} compares tensors of one shape: '{input.Name}' is {Concrete(actual)} but the target is {Concrete(target)}");
    }

    /// <summary>Class logits [..., C] against integer ids [...]: per token ([B, T, V] and [B, T]) or per sequence ([B, C] and [B]).</summary>
    private void CheckClasses(OutputSpec input, TensorType target, YamlNode at, string kind)
    {
        if (input.Type is not TensorType logits) return;
        var leading = logits.Dims.Take(logits.Rank - 1).ToList();
        if (!target.IsIntegral || target.Rank != leading.Count || !leading.Zip(target.Dims, (a, b) => a.Matches(b)).All(m => m))
            Report(Diagnostics.ShapeMismatch, at, $"{kind} takes logits [..., C] and class ids of the leading shape: '{input.Name}' is {Concrete(logits)} but the target is {Concrete(target)}");
    }

    /// <summary><c>aux: { loss: weight }</c>: auxiliary losses of layers, by the names their <c>as:</c> gave them.</summary>
    private void BindAux(YamlNode node, List<ObjectiveTerm> terms)
    {
        if (ExpectMapping(node, "'aux'") is not { } map) return;
        foreach (var entry in map.Entries)
        {
            if (!_losses.Contains(entry.Key.Value))
            {
                Report(Diagnostics.UnresolvedReference, entry.Key, _losses.Count == 0
                    ? $"no layer of this model produces an auxiliary loss named '{Names.Clip(entry.Key.Value)}'"
                    : $"no layer produces an auxiliary loss named '{Names.Clip(entry.Key.Value)}'{Names.Suggest(entry.Key.Value, _losses)} (the losses are {string.Join(", ", _losses)})");
                continue;
            }
            if (Number(entry.Value, $"the weight of '{entry.Key.Value}'", integral: false) is ExprCode weight)
                terms.Add(new ObjectiveTerm(entry.Key.Value, "aux", entry.Key.Value, null, EquatableArray<NamedCode>.Empty, weight.Expr));
        }
    }
}
