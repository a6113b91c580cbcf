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

    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand Root(TextWriter output)
    {
        var console = CreateConsole(output);
        var root = new RootCommand("""
            liquid: train, evaluate, sample from, inspect and benchmark models compiled from *.model.yaml.

            Example: liquid train tiny-gpt
            """);
        root.Options.Add(Verbose);
        root.Subcommands.Add(ModelsCommand(console));
        root.Subcommands.Add(InspectCommand(console));
        root.Subcommands.Add(TrainCommand(console));
        root.Subcommands.Add(EvalCommand(output, console));
        root.Subcommands.Add(GenerateCommand(output, console));
        root.Subcommands.Add(RunCommand(console));
        root.Subcommands.Add(TokenizeCommand(output));
        root.Subcommands.Add(BenchCommand(output, console));
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

    private static Command InspectCommand(IAnsiConsole console)
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
            using var built = Catalog.Create(result.GetValue(model)!, ParseSets(result.GetValue(sets)));
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

    // ---- train --------------------------------------------------------------------------------

    private static Command TrainCommand(IAnsiConsole console)
    {
        var model = new Argument<string?>("model") { Description = "Model to train (see liquid models); omit with --resume.", Arity = ArgumentArity.ZeroOrOne };
        var data = new Option<string>("--data") { Description = "Text file or folder, WikiText folder, .jsonl, or builtin:fortunes / builtin:fortunes-es.", DefaultValueFactory = _ => "builtin:fortunes" };
        var field = new Option<string?>("--field") { Description = "JSONL field holding the text (default: text)." };
        var tokenizer = new Option<string>("--tokenizer") { Description = "gpt2, byte, char or bpe:N (N merges learned on the data).", DefaultValueFactory = _ => "byte" };
        var sets = SetOption();
        var steps = new Option<long?>("--steps") { Description = "Optimizer steps (default: the model's recipe)." };
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the training tokens, instead of --steps." };
        var batch = new Option<int?>("--batch") { Description = "Sequences per micro-batch." };
        var context = new Option<int?>("--context") { Description = "Tokens per sequence." };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate." };
        var warmup = new Option<long?>("--warmup") { Description = "Warmup steps." };
        var schedule = new Option<string?>("--schedule") { Description = "constant, cosine, cosine-restarts or plateau." };
        var clip = new Option<double?>("--clip") { Description = "Global gradient-norm clip (0 for none)." };
        var accumulate = new Option<int?>("--accumulate") { Description = "Micro-batches per optimizer step." };
        var evalEvery = new Option<int?>("--eval-every") { Description = "Validate every N steps." };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Save latest/ every N steps." };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<model>-<time>)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder (or checkpoint)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of weights, data order and dropout.", DefaultValueFactory = _ => 1337 };
        var threads = new Option<int>("--threads") { Description = "Intra-op CPU threads.", DefaultValueFactory = _ => Torch.DefaultThreads };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var patience = new Option<int?>("--patience") { Description = "Stop after N evaluations without improvement." };
        var minDelta = new Option<double?>("--min-delta") { Description = "Smallest validation improvement that counts." };
        var sample = new Option<string>("--sample-prompt") { Description = "Prompt of the sample printed at the end (empty: none).", DefaultValueFactory = _ => "The " };
        var command = new Command("train", """
            Train a model; saves latest/ and best/ checkpoints, metrics.jsonl and curve.svg in the run folder.
            Defaults come from the model's train: section.

            Examples:
              liquid train tiny-gpt
              liquid train tiny-llama --data notes.txt --tokenizer bpe:500 --steps 200 --out runs/notes
              liquid train --resume runs/notes
            """)
        {
            model, data, field, tokenizer, sets, steps, epochs, batch, context, lr, warmup, schedule, clip, accumulate,
            evalEvery, checkpointEvery, output, resume, seed, threads, device, patience, minDelta, sample,
        };
        command.SetAction((result, cancellation) =>
        {
            var observer = new ConsoleObserver(console);
            Trainer trainer;
            if (result.GetValue(resume) is { } from)
            {
                trainer = Trainer.Resume(from, observer, result.GetValue(steps));
            }
            else
            {
                var name = result.GetValue(model) ?? throw new ConfigException("train needs a model name (see liquid models) or --resume DIR");
                var info = Catalog.Find(name);
                var config = ParseSets(result.GetValue(sets));
                using var probe = info.Create(config);
                var recipe = probe.Recipe;
                var settings = TrainingSetup.Settings(recipe, probe.Context, new TrainingSetup.Overrides(
                    result.GetValue(data)!, result.GetValue(field), result.GetValue(tokenizer)!, result.GetValue(steps), result.GetValue(epochs),
                    result.GetValue(batch), result.GetValue(context), result.GetValue(lr), result.GetValue(warmup), result.GetValue(schedule),
                    result.GetValue(clip), result.GetValue(accumulate), result.GetValue(evalEvery), result.GetValue(checkpointEvery),
                    result.GetValue(seed), result.GetValue(threads), result.GetValue(device)!, result.GetValue(patience), result.GetValue(minDelta)));
                var folder = result.GetValue(output) ?? Path.Combine("runs", $"{info.Name}-{DateTime.Now:yyyyMMdd-HHmmss}");
                trainer = new Trainer(info.Name, config, settings, folder, observer);
            }
            var outcome = observer.Run(() => trainer.Run(cancellation));
            console.WriteLine($"{outcome.Outcome.ToString().ToLowerInvariant()} at step {outcome.Step}: loss {outcome.LastLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a"}, best validation {outcome.BestValidationLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a"}; run folder {outcome.OutputDirectory}");
            if (outcome.Outcome != TrainOutcome.Interrupted && result.GetValue(sample) is { Length: > 0 } prompt)
                Sampling.PrintSample(console, Path.Combine(outcome.OutputDirectory, "latest"), prompt);
            return Task.FromResult(outcome.Outcome == TrainOutcome.Interrupted ? Program.Interrupted : 0);
        });
        return command;
    }
}
