using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding;

internal sealed partial class Binder
{
    private static readonly string[] TrainKeys = ["data", "tokenizer", "optimizer", "schedule", "clip_grad_norm", "accumulate", "batch", "context", "steps", "epochs", "early_stopping"];
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

    /// <summary>How a recipe number must look: a C# type to fit and the smallest value that makes sense.</summary>
    private enum Range
    {
        /// <summary>A finite number ≥ 0 (learning rates, decay, clip).</summary>
        NonNegative,
        /// <summary>A positive whole number that fits an int (batch, accumulate, epochs, patience).</summary>
        PositiveInt,
        /// <summary>A positive whole number (steps, context, restart periods).</summary>
        PositiveLong,
        /// <summary>A number in [0, 1) (betas, label smoothing).</summary>
        Fraction,
        /// <summary>Any finite number (an ignored class id may be −1).</summary>
        Any,
    }

    /// <summary>The <c>train:</c> section as properties of the runtime's TrainingRecipe.</summary>
    private List<RecipeField> BindRecipe(YamlNode node)
    {
        var fields = new List<RecipeField>();
        if (ExpectMapping(node, "'train'") is not { } train) return fields;
        CheckKeys(train, TrainKeys, "'train'");

        // What to train on and how to read it, unless the command line says otherwise.
        foreach (var (key, property) in new[] { ("data", "Data"), ("tokenizer", "Tokenizer") })
        {
            if (Get(train, key) is not { } given || ExpectScalar(given, $"'{key}'", "text") is not { } text) continue;
            if (text.IsNull || text.Value.Trim().Length == 0 || text.Value.Length > MaxSummaryLength)
                Report(Diagnostics.OutOfRange, text, $"'{key}' must be a data spec of 1 to {MaxSummaryLength} characters (a path or builtin:NAME)");
            else fields.Add(new RecipeField(property, new TextCode(text.Value.Trim())));
        }

        if (Get(train, "optimizer") is { } optimizerNode && ExpectMapping(optimizerNode, "'optimizer'") is { } optimizer)
        {
            CheckKeys(optimizer, OptimizerArgs.Keys.ToList(), "'optimizer'");
            var chosen = optimizer.Entries.Where(e => OptimizerArgs.ContainsKey(e.Key.Value)).ToList();
            if (chosen.Count != 1) Report(Diagnostics.MissingKey, optimizer, "'optimizer'", "exactly one of adamw, adam, sgd");
            else
            {
                var kind = chosen[0].Key.Value;
                fields.Add(new RecipeField("Optimizer", new EnumCode("OptimizerKind", kind switch { "adam" => "Adam", "sgd" => "Sgd", _ => "AdamW" })));
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
                            if (Number(pair.Items[0], "beta1", false, Range.Fraction) is { } b1) fields.Add(new RecipeField("Beta1", b1));
                            if (Number(pair.Items[1], "beta2", false, Range.Fraction) is { } b2) fields.Add(new RecipeField("Beta2", b2));
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
                if (text.EndsWith("%", StringComparison.Ordinal))
                {
                    if (double.TryParse(text.Substring(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100)
                        fields.Add(new RecipeField("WarmupFraction", new ExprCode(new FloatLiteral(percent / 100, Render.CSharpDouble(percent / 100)))));
                    else Report(Diagnostics.OutOfRange, warmupScalar, $"warmup '{Names.Clip(text)}' must be a percentage from 0% to 100%");
                }
                else if (Number(warmupScalar, "'warmup'", true, Range.NonNegative) is { } steps) fields.Add(new RecipeField("Warmup", steps));
            }
            var kinds = schedule.Entries.Where(e => ScheduleArgs.ContainsKey(e.Key.Value)).ToList();
            if (kinds.Count > 1) Report(Diagnostics.DuplicateName, kinds[1].Key, kinds[1].Key.Value, "a schedule has one shape after warmup");
            else if (kinds.Count == 1)
            {
                var kind = kinds[0].Key.Value;
                fields.Add(new RecipeField("Schedule", new EnumCode("ScheduleKind", kind switch
                {
                    "constant" => "Constant",
                    "cosine_restarts" => "CosineRestarts",
                    "plateau" => "Plateau",
                    _ => "Cosine",
                })));
                if (kinds[0].Value is YamlMapping args)
                {
                    CheckKeys(args, ScheduleArgs[kind], $"'{kind}'");
                    Field(fields, args, "min_lr", "MinLearningRate");
                    Field(fields, args, "t0", "RestartPeriod", Range.PositiveLong);
                    Field(fields, args, "t_mult", "RestartMultiplier", Range.PositiveLong);
                    Field(fields, args, "factor", "PlateauFactor", Range.Fraction);
                    Field(fields, args, "patience", "PlateauPatience", Range.PositiveInt);
                }
            }
        }

        Field(fields, train, "clip_grad_norm", "ClipGradNorm");
        Field(fields, train, "accumulate", "Accumulate", Range.PositiveInt);
        Field(fields, train, "batch", "Batch", Range.PositiveInt);
        Field(fields, train, "context", "Context", Range.PositiveLong);
        Field(fields, train, "steps", "Steps", Range.PositiveLong);
        Field(fields, train, "epochs", "Epochs", Range.PositiveInt);
        if (Get(train, "early_stopping") is { } stopping && ExpectMapping(stopping, "'early_stopping'") is { } stop)
        {
            CheckKeys(stop, ["patience", "min_delta"], "'early_stopping'");
            Field(fields, stop, "patience", "EarlyStoppingPatience", Range.PositiveInt);
            Field(fields, stop, "min_delta", "EarlyStoppingMinDelta");
        }
        return fields;
    }

    private void Field(List<RecipeField> fields, YamlMapping mapping, string key, string property, Range range = Range.NonNegative)
    {
        if (Get(mapping, key) is not { } node) return;
        if (node is YamlScalar { IsNull: true }) return;
        if (Number(node, $"'{key}'", range is Range.PositiveInt or Range.PositiveLong, range) is { } value)
            fields.Add(new RecipeField(property, range == Range.PositiveInt ? new ExprCode(new CastExpr("int", ((ExprCode)value).Expr)) : value));
    }

    /// <summary>A number (or expression over config) in <paramref name="range"/> with the default config; null after reporting.</summary>
    private Code? Number(YamlNode node, string what, bool integral, Range range = Range.NonNegative)
    {
        if (ExpectScalar(node, what, integral ? "an integer" : "a number") is not { } scalar) return null;
        var bound = BindExpression(scalar, what, inBlock: false);
        if (bound is null) return null;
        var value = bound.Value.Default;
        if (integral && value.Kind != ValueKind.Int)
        {
            Report(Diagnostics.WrongType, scalar, what, "an integer", scalar.Describe());
            return null;
        }
        if (value.Kind is not (ValueKind.Int or ValueKind.Float))
        {
            Report(Diagnostics.WrongType, scalar, what, "a number", scalar.Describe());
            return null;
        }
        var problem = range switch
        {
            Range.PositiveInt when value.Int < 1 || value.Int > int.MaxValue => $"a whole number from 1 to {int.MaxValue}",
            Range.PositiveLong when value.Int < 1 => "a whole number of at least 1",
            Range.Fraction when value.AsDouble is < 0 or >= 1 => "in [0, 1)",
            Range.NonNegative when value.AsDouble < 0 => "at least 0",
            _ => null,
        };
        if (problem is not null)
        {
            Report(Diagnostics.OutOfRange, scalar, $"{what} must be {problem}, not {value}");
            return null;
        }
        if (range == Range.PositiveInt && bound.Value.Expr is not IntLiteral)
            AddCheck(Ex.Or(Ex.Less(bound.Value.Expr, Ex.Int(1)), new CompareExpr(">", bound.Value.Expr, Ex.Int(int.MaxValue))),
                MessagePart.Of($"{what.Trim('\'')} = {Render.Expression(bound.Value.Expr)} must be from 1 to {int.MaxValue}, not "), MessagePart.Of(bound.Value.Expr));
        return new ExprCode(bound.Value.Expr, AsFloat: !integral && bound.Value.Expr is IntLiteral);
    }
}
