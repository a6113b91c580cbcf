using System.CommandLine;
using System.Globalization;
using Liquid.Harness.Data;
using Liquid.Harness.Training;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;
using Spectre.Console;

namespace Liquid.Harness.Cli;

/// <summary>The command tree of <c>liquid</c>.</summary>
public static partial class Commands
{
    /// <summary>Shared by every command.</summary>
    internal static readonly Option<bool> Verbose = new("--verbose") { Description = "Print stack traces of errors.", Recursive = true };

    /// <summary>Shared by the commands that build models: go on when the memory estimate says it will not fit.</summary>
    internal static readonly Option<bool> AllowOversubscribe = new(MemoryGuard.Insist)
    {
        Description = "Build the model (or batch) even when its estimated memory exceeds what the machine has available.",
        Recursive = true,
    };

    /// <summary>The root command with every subcommand; notices (checkpoint recovery, warnings) go to standard error.</summary>
    public static RootCommand Root(TextWriter output) => Root(output, Console.Error);

    /// <summary>The root command with every subcommand, writing notices to <paramref name="error"/>.</summary>
    public static RootCommand Root(TextWriter output, TextWriter error)
    {
        var console = CreateConsole(output);
        void Notice(string text) => error.WriteLine($"liquid: {text}");
        var root = new RootCommand("""
            liquid: train, evaluate, sample from, inspect and benchmark models compiled from *.model.yaml.

            Example: liquid train tiny-gpt
            """);
        root.Options.Add(Verbose);
        root.Options.Add(AllowOversubscribe);
        root.Subcommands.Add(ModelsCommand(console));
        root.Subcommands.Add(InspectCommand(console, Notice));
        root.Subcommands.Add(TrainCommand(console));
        root.Subcommands.Add(EvalCommand(output, console, Notice));
        root.Subcommands.Add(GenerateCommand(output, console, Notice));
        root.Subcommands.Add(RunCommand(console, Notice));
        root.Subcommands.Add(TokenizeCommand(output, Notice));
        root.Subcommands.Add(BenchCommand(output, console, Notice));
        return root;
    }

    private static IAnsiConsole CreateConsole(TextWriter output) =>
        ReferenceEquals(output, Console.Out)
            ? AnsiConsole.Console
            : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No });

    /// <summary><c>--set name=value</c> pairs as a dictionary; a malformed pair is a clear error.</summary>
    internal static Dictionary<string, string> ParseSets(string[]? pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var equals = pair.IndexOf('=');
            if (equals <= 0) throw new ConfigException($"--set takes name=value, not '{pair}'");
            result[pair[..equals].Trim()] = pair[(equals + 1)..].Trim();
        }
        return result;
    }

    internal static Option<string[]> SetOption() => new("--set")
    {
        Description = "Override a config value by its YAML name, e.g. --set d_model=256 (repeatable).",
        AllowMultipleArgumentsPerToken = false,
        HelpName = "name=value",
    };

    internal static string Format(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    // ---- models -------------------------------------------------------------------------------

    private static Command ModelsCommand(IAnsiConsole console)
    {
        var command = new Command("models", "List the compiled models: name, summary, parameters.\n\nExample: liquid models");
        command.SetAction(_ =>
        {
            var table = new Table().AddColumns("model", "summary", "parameters");
            table.Columns[2].RightAligned();
            foreach (var model in Liquid.Models.ModelCatalog.All)
                table.AddRow(Markup.Escape(model.Name), Markup.Escape(model.Summary), Format(model.DefaultParameterCount));
            console.Write(table);
            return 0;
        });
        return command;
    }

    // ---- inspect ------------------------------------------------------------------------------

    private static Command InspectCommand(IAnsiConsole console, Action<string> notice)
    {
        var model = new Argument<string>("model") { Description = "Model name (see liquid models)." };
        var sets = SetOption();
        var keys = new Option<bool>("--keys") { Description = "List state-dict keys with shapes instead of layers." };
        var command = new Command("inspect", "Show a model's layers (path, kind, output shape, parameters), totals and FLOPs per token.\n\nExample: liquid inspect gpt2 --set layers=6")
        {
            model, sets, keys,
        };
        command.SetAction(result =>
        {
            var info = Catalog.Find(result.GetValue(model)!);
            var overrides = ParseSets(result.GetValue(sets));
            MemoryGuard.CheckModel(info, overrides, 4, "for its weights", result.GetValue(AllowOversubscribe), notice);
            using var built = info.Create(overrides);
            if (result.GetValue(keys))
            {
                var table = new Table().AddColumns("key", "shape", "dtype");
                using var scope = TensorScope.Enter();
                foreach (var (name, tensor) in built.StateDict().OrderBy(p => p.Key, StringComparer.Ordinal))
                    table.AddRow(Markup.Escape(name), Markup.Escape($"[{string.Join(", ", tensor.Shape)}]"), tensor.DType.Name());
                console.Write(table);
                return 0;
            }
            console.Write(Inspection.LayerTable(built));
            console.WriteLine($"parameters: {Format(built.ParameterCount)}");
            console.WriteLine(Inspection.Describe(Inspection.FlopsPerPosition(built), built.Context));
            return 0;
        });
        return command;
    }
}
