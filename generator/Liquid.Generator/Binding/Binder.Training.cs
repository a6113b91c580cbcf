using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding;

internal sealed partial class Binder
{
    private static readonly ObjectiveSpec DefaultObjective = new("cross_entropy", EquatableArray<ArgValue>.Empty, EquatableArray<ArgValue>.Empty);

    private static readonly Dictionary<string, string[]> LossArgs = new(StringComparer.Ordinal)
    {
        ["cross_entropy"] = ["label_smoothing", "ignore_index"],
        ["focal"] = ["alpha", "gamma", "ignore_index"],
    };

    /// <summary>
    /// <c>objective: { cross_entropy: { label_smoothing, ignore_index } | focal: { alpha, gamma, ignore_index }, aux: { name: weight } }</c>.
    /// </summary>
    private ObjectiveSpec BindObjective(YamlNode node)
    {
        if (ExpectMapping(node, "'objective'") is not { } mapping) return DefaultObjective;
        CheckKeys(mapping, LossArgs.Keys.Concat(new[] { "aux" }).ToList(), "'objective'");
        var losses = mapping.Entries.Where(e => LossArgs.ContainsKey(e.Key.Value)).ToList();
        if (losses.Count != 1)
        {
            Report(losses.Count == 0 ? Diagnostics.MissingKey : Diagnostics.DuplicateName, mapping,
                losses.Count == 0 ? new[] { "'objective'", "one main loss (cross_entropy or focal)" } : new[] { losses[1].Key.Value, "an objective has one main loss" });
            return DefaultObjective;
        }
        var kind = losses[0].Key.Value;
        var args = new List<ArgValue>();
        if (losses[0].Value is YamlMapping lossArgs)
        {
            CheckKeys(lossArgs, LossArgs[kind], $"'{kind}'");
            foreach (var entry in lossArgs.Entries)
            {
                if (!LossArgs[kind].Contains(entry.Key.Value)) continue;
                var integral = entry.Key.Value == "ignore_index";
                if (Number(entry.Value, $"'{entry.Key.Value}' of {kind}", integral) is { } value) args.Add(new ArgValue(entry.Key.Value, value));
            }
        }
        else if (losses[0].Value is not YamlScalar { IsNull: true })
        {
            Report(Diagnostics.WrongType, losses[0].Value, $"'{kind}'", "a mapping of arguments", losses[0].Value.Describe());
        }

        var aux = new List<ArgValue>();
        if (Get(mapping, "aux") is { } auxNode && ExpectMapping(auxNode, "'aux'") is { } auxMap)
        {
            foreach (var entry in auxMap.Entries)
            {
                // No layer kind of this version produces auxiliary losses; the section is part of the
                // language so models of the next kinds (MoE, reconstruction) need no new syntax.
                Report(Diagnostics.UnresolvedReference, entry.Key, $"no layer of this model produces an auxiliary loss named '{entry.Key.Value}'");
            }
        }
        return new ObjectiveSpec(kind, args.ToEquatableArray(), aux.ToEquatableArray());
    }

    private static readonly string[] TrainKeys = ["optimizer", "schedule", "clip_grad_norm", "accumulate", "batch", "context", "steps", "epochs", "early_stopping"];
    private static readonly Dictionary<string, string[]> OptimizerArgs = new(StringComparer.Ordinal)
    {
        ["adamw"] = ["lr", "betas", "eps", "weight_decay"],
        ["adam"] = ["lr", "betas", "eps", "weight_decay"],
        ["sgd"] = ["lr", "momentum", "weight_decay"],
    };
    private static readonly Dictionary<string, string[]> ScheduleArgs = new(StringComparer.Ordinal)
    {
        ["constant"] = [],
        ["cosine"] = ["min_lr"],
        ["cosine_restarts"] = ["t0", "t_mult", "min_lr"],
        ["plateau"] = ["factor", "patience"],
    };

    /// <summary>The <c>train:</c> section as initializers of the runtime's TrainingRecipe.</summary>
    private List<RecipeField> BindRecipe(YamlNode node)
    {
        var fields = new List<RecipeField>();
        if (ExpectMapping(node, "'train'") is not { } train) return fields;
        CheckKeys(train, TrainKeys, "'train'");

        if (Get(train, "optimizer") is { } optimizerNode && ExpectMapping(optimizerNode, "'optimizer'") is { } optimizer)
        {
            CheckKeys(optimizer, OptimizerArgs.Keys.ToList(), "'optimizer'");
            var chosen = optimizer.Entries.Where(e => OptimizerArgs.ContainsKey(e.Key.Value)).ToList();
            if (chosen.Count != 1) Report(Diagnostics.MissingKey, optimizer, "'optimizer'", "exactly one of adamw, adam, sgd");
            else
            {
                var kind = chosen[0].Key.Value;
                fields.Add(new RecipeField("Optimizer", kind switch { "adam" => "OptimizerKind.Adam", "sgd" => "OptimizerKind.Sgd", _ => "OptimizerKind.AdamW" }));
                if (chosen[0].Value is YamlMapping args)
                {
                    CheckKeys(args, OptimizerArgs[kind], $"'{kind}'");
                    Field(fields, args, "lr", "LearningRate");
                    Field(fields, args, "eps", "Eps");
                    Field(fields, args, "weight_decay", "WeightDecay");
                    Field(fields, args, "momentum", "Momentum");
                    if (Get(args, "betas") is { } betas)
                    {
                        if (betas is YamlSequence { Items.Count: 2 } pair)
                        {
                            if (Number(pair.Items[0], "beta1", false) is { } b1) fields.Add(new RecipeField("Beta1", b1));
                            if (Number(pair.Items[1], "beta2", false) is { } b2) fields.Add(new RecipeField("Beta2", b2));
                        }
                        else Report(Diagnostics.WrongType, betas, "'betas'", "a list of two numbers", betas.Describe());
                    }
                }
            }
        }

        if (Get(train, "schedule") is { } scheduleNode && ExpectMapping(scheduleNode, "'schedule'") is { } schedule)
        {
            var allowed = ScheduleArgs.Keys.Concat(new[] { "warmup" }).ToList();
            CheckKeys(schedule, allowed, "'schedule'");
            if (Get(schedule, "warmup") is { } warmup && ExpectScalar(warmup, "'warmup'", "steps or a percentage like 5%") is { } warmupScalar)
            {
                var text = warmupScalar.Value.Trim();
                if (text.EndsWith("%", StringComparison.Ordinal) &&
                    double.TryParse(text.Substring(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100)
                    fields.Add(new RecipeField("WarmupFraction", Render.CSharpDouble(percent / 100)));
                else if (Number(warmupScalar, "'warmup'", true) is { } steps) fields.Add(new RecipeField("Warmup", steps));
            }
            var kinds = schedule.Entries.Where(e => ScheduleArgs.ContainsKey(e.Key.Value)).ToList();
            if (kinds.Count > 1) Report(Diagnostics.DuplicateName, kinds[1].Key, kinds[1].Key.Value, "a schedule has one shape after warmup");
            else if (kinds.Count == 1)
            {
                var kind = kinds[0].Key.Value;
                fields.Add(new RecipeField("Schedule", kind switch
                {
                    "constant" => "ScheduleKind.Constant",
                    "cosine_restarts" => "ScheduleKind.CosineRestarts",
                    "plateau" => "ScheduleKind.Plateau",
                    _ => "ScheduleKind.Cosine",
                }));
                if (kinds[0].Value is YamlMapping args)
                {
                    CheckKeys(args, ScheduleArgs[kind], $"'{kind}'");
                    Field(fields, args, "min_lr", "MinLearningRate");
                    Field(fields, args, "t0", "RestartPeriod", integral: true);
                    Field(fields, args, "t_mult", "RestartMultiplier", integral: true);
                    Field(fields, args, "factor", "PlateauFactor");
                    Field(fields, args, "patience", "PlateauPatience", integral: true, cast: "(int)");
                }
            }
        }

        Field(fields, train, "clip_grad_norm", "ClipGradNorm");
        Field(fields, train, "accumulate", "Accumulate", integral: true, cast: "(int)");
        Field(fields, train, "batch", "Batch", integral: true, cast: "(int)");
        Field(fields, train, "context", "Context", integral: true);
        Field(fields, train, "steps", "Steps", integral: true);
        Field(fields, train, "epochs", "Epochs", integral: true, cast: "(int)");
        if (Get(train, "early_stopping") is { } stopping && ExpectMapping(stopping, "'early_stopping'") is { } stop)
        {
            CheckKeys(stop, ["patience", "min_delta"], "'early_stopping'");
            Field(fields, stop, "patience", "EarlyStoppingPatience", integral: true, cast: "(int)");
            Field(fields, stop, "min_delta", "EarlyStoppingMinDelta");
        }
        return fields;
    }

    private void Field(List<RecipeField> fields, YamlMapping mapping, string key, string property, bool integral = false, string cast = "")
    {
        if (Get(mapping, key) is not { } node) return;
        if (node is YamlScalar { IsNull: true }) return;
        if (Number(node, $"'{key}'", integral) is { } value)
            fields.Add(new RecipeField(property, cast.Length == 0 || value.All(char.IsDigit) ? value : $"{cast}({value})"));
    }

    /// <summary>A number (or expression over config) as C#, or null after reporting.</summary>
    private string? Number(YamlNode node, string what, bool integral)
    {
        if (ExpectScalar(node, what, integral ? "an integer" : "a number") is not { } scalar) return null;
        var bound = BindExpression(scalar, what, LayerScope.Root);
        if (bound is null) return null;
        if (integral && bound.Value.Default.Kind != ValueKind.Int)
        {
            Report(Diagnostics.WrongType, scalar, what, "an integer", scalar.Describe());
            return null;
        }
        if (bound.Value.Default.Kind is not (ValueKind.Int or ValueKind.Float))
        {
            Report(Diagnostics.WrongType, scalar, what, "a number", scalar.Describe());
            return null;
        }
        return !integral && bound.Value.Expr is IntLiteral literal ? Render.CSharpDouble(literal.Value) : bound.Value.Module;
    }
}
