using System.CommandLine;
using System.Globalization;
using Liquid.Harness.Training;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Spectre.Console;

namespace Liquid.Harness.Cli;

public static partial class Commands
{
    // ---- train --------------------------------------------------------------------------------

    private static Command TrainCommand(IAnsiConsole console)
    {
        var model = new Argument<string?>("model") { Description = "Model to train (see liquid models); omit with --resume.", Arity = ArgumentArity.ZeroOrOne };
        var data = new Option<string?>("--data") { Description = "Language models: a text file or folder, WikiText folder, .jsonl, or builtin:fortunes / builtin:fortunes-es. Other models: examples by name in .csv/.tsv, .jsonl or .safetensors, or builtin:fashion-mnist. Default: the model's train: data, else builtin:fortunes." };
        var field = new Option<string?>("--field") { Description = "JSONL field holding the text (default: text)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Language models: gpt2, byte, char or bpe:N (N merges learned on the data); byte reads files as bytes, lossless for any file. Default: the model's train: tokenizer, else byte." };
        var sets = SetOption();
        var steps = new Option<long?>("--steps") { Description = "Optimizer steps (default: the model's recipe). With --resume: the new total; a cosine schedule is stretched to it." };
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the training tokens, instead of --steps." };
        var batch = new Option<int?>("--batch") { Description = "Sequences per micro-batch." };
        var context = new Option<int?>("--context") { Description = "Tokens per sequence." };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (positive)." };
        var warmup = new Option<long?>("--warmup") { Description = "Warmup steps (0 or more)." };
        var schedule = new Option<string?>("--schedule") { Description = "constant, cosine, cosine-restarts or plateau." };
        var clip = new Option<double?>("--clip") { Description = "Global gradient-norm clip (0 for none)." };
        var accumulate = new Option<int?>("--accumulate") { Description = "Micro-batches per optimizer step." };
        var evalEvery = new Option<int?>("--eval-every") { Description = "Validate every N steps (0: ten times per run)." };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Save latest/ every N steps (0: at every evaluation)." };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<model>-<time>). Not with --resume: a resumed run continues in its own folder." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder (or checkpoint) with its saved settings; only --steps, --threads, --monitor and --sample-prompt apply." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of weights, data order and dropout.", DefaultValueFactory = _ => 1337 };
        var threads = new Option<int>("--threads") { Description = "Intra-op CPU threads (at most the cores).", DefaultValueFactory = _ => Torch.DefaultThreads };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" };
        var patience = new Option<int?>("--patience") { Description = "Stop after N evaluations without improvement." };
        var minDelta = new Option<double?>("--min-delta") { Description = "Smallest validation improvement that counts (0 or more)." };
        var sample = new Option<string>("--sample-prompt") { Description = "Prompt of the sample printed at the end (empty: none).", DefaultValueFactory = _ => "The " };
        var force = new Option<bool>("--force") { Description = "Write the run folder even if another run holds its lock, or start over in a folder that holds a run." };
        var monitor = new Option<int?>("--monitor")
        {
            Description = "Record every Linear, Conv and attention module's output (mean, std, max |x|) and every gradient norm every N steps (default 10), and the first non-finite value, in activations.jsonl and activations.svg.",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "N",
            CustomParser = r => r.Tokens.Count == 0 ? MonitorEveryByDefault
                : int.TryParse(r.Tokens[0].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var every) ? every
                : Invalid(r, $"--monitor takes a whole number, not '{r.Tokens[0].Value}'"),
        };
        var command = new Command("train", """
            Train a model; saves latest/ and best/ checkpoints, metrics.jsonl and curve.svg in the run folder
            (with --monitor also activations.jsonl and activations.svg).
            Defaults come from the model's train: section.

            Ctrl-C (or SIGTERM) finishes the current step, saves latest/ and exits 130 (143); a second
            Ctrl-C quits at once. A run folder is locked while a run writes it. A NaN or infinite loss
            or gradient skips the step; 3 in a row restore latest/ with half the learning rate.

            Examples:
              liquid train tiny-gpt
              liquid train tiny-llama --data notes.txt --tokenizer bpe:500 --steps 200 --out runs/notes
              liquid train --resume runs/notes --steps 400
            """)
        {
            model, data, field, tokenizer, sets, steps, epochs, batch, context, lr, warmup, schedule, clip, accumulate,
            evalEvery, checkpointEvery, output, resume, seed, threads, device, patience, minDelta, monitor, sample, force,
        };
        Option[] fixedByTheRun = [data, field, tokenizer, sets, epochs, batch, context, lr, warmup, schedule, clip, accumulate, evalEvery, checkpointEvery, output, seed, device, patience, minDelta];
        command.SetAction((result, cancellation) =>
        {
            var observer = new ConsoleObserver(console);
            void Warn(string text) => observer.Message($"warning: {text}");
            var insist = result.GetValue(AllowOversubscribe);
            Trainer trainer;
            RunLock runLock;
            if (result.GetValue(resume) is { } from)
            {
                ResumeChecks.RejectOptions(result, fixedByTheRun, from);
                runLock = RunLock.Acquire(ResumeChecks.RunFolder(from), result.GetValue(force), observer.Message);
                try
                {
                    var (_, info) = Checkpoint.ReadInfo(from, observer.Message);
                    if (result.GetValue(model) is { } named && Catalog.Find(named).Name != info.Model)
                        throw new ConfigException($"--resume {from} continues a {info.Model} run, not {named}; omit the model name");
                    var total = result.GetValue(steps);
                    if (ResumeChecks.NothingToDo(info, total, observer.Message))
                    {
                        runLock.Dispose();
                        return Task.FromResult(0);
                    }
                    ResumeChecks.ReportScheduleChange(info, total, observer.Message);
                    MemoryGuard.CheckModel(Catalog.Find(info.Model), info.Config, 16, "to train (weights, gradients and optimizer state)", insist, Warn);
                    var threadCount = ThreadLimit.Clamp(Given(result, threads) ? result.GetValue(threads) : info.Settings.Threads, "--threads", Warn);
                    var monitorEvery = result.GetValue(monitor);
                    OptionChecks.AtLeast(monitorEvery, 1, "--monitor", "at least 1 (record every N-th step)");
                    trainer = Trainer.Resume(from, observer, total, threadCount, monitorEvery);
                }
                catch
                {
                    runLock.Dispose();
                    throw;
                }
            }
            else
            {
                var name = result.GetValue(model) ?? throw new ConfigException("train needs a model name (see liquid models) or --resume DIR");
                var info = Catalog.Find(name);
                var config = ParseSets(result.GetValue(sets));
                MemoryGuard.CheckModel(info, config, 16, "to train (weights, gradients and optimizer state)", insist, Warn);
                TrainSettings settings;
                using (var probe = info.Create(config))
                {
                    settings = TrainingSetup.Settings(probe.Recipe, probe.Context, new TrainingSetup.Overrides(
                        result.GetValue(data), result.GetValue(field), result.GetValue(tokenizer), result.GetValue(steps), result.GetValue(epochs),
                        result.GetValue(batch), result.GetValue(context), result.GetValue(lr), result.GetValue(warmup), result.GetValue(schedule),
                        result.GetValue(clip), result.GetValue(accumulate), result.GetValue(evalEvery), result.GetValue(checkpointEvery),
                        result.GetValue(seed), result.GetValue(threads), result.GetValue(device)!, result.GetValue(patience), result.GetValue(minDelta), result.GetValue(monitor)));
                }
                settings = settings with { Threads = ThreadLimit.Clamp(settings.Threads, "--threads", Warn) };
                var folder = result.GetValue(output) ?? Path.Combine("runs", $"{info.Name}-{DateTime.Now:yyyyMMdd-HHmmss}");
                runLock = RunLock.Acquire(folder, result.GetValue(force), observer.Message);
                try
                {
                    ResumeChecks.RefuseToOverwrite(folder, result.GetValue(force), observer.Message);
                }
                catch
                {
                    runLock.Dispose();
                    throw;
                }
                trainer = new Trainer(info.Name, config, settings, folder, observer);
            }
            trainer.BeforeTraining = (built, s) => MemoryGuard.CheckTraining(built, s.Batch, s.Context, OptimizerStateBytes(s.Optimizer, s.Momentum),
                $"training {built.Info.Name}", insist, Warn);
            TrainResult outcome;
            using (runLock)
            using (SignalHandling.AcceptStop())
                outcome = observer.Run(() => trainer.Run(cancellation));
            console.WriteLine($"{outcome.Outcome.ToString().ToLowerInvariant()} at step {outcome.Step}: loss {outcome.LastLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a"}, best validation {outcome.BestValidationLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a"}; run folder {outcome.OutputDirectory}");
            if (outcome.Outcome != TrainOutcome.Interrupted && result.GetValue(sample) is { Length: > 0 } prompt)
                Sampling.PrintSample(console, Path.Combine(outcome.OutputDirectory, "latest"), prompt);
            return Task.FromResult(outcome.Outcome == TrainOutcome.Interrupted ? Program.Interrupted : 0);
        });
        return command;
    }

    /// <summary>Steps between records of a bare <c>--monitor</c>.</summary>
    internal const int MonitorEveryByDefault = 10;

    private static int? Invalid(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError(message);
        return null;
    }

    /// <summary>True when <paramref name="option"/> was typed on the command line (not a default).</summary>
    internal static bool Given(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    /// <summary>Optimizer state per parameter in bytes (float32): Adam's two moments, SGD's momentum buffer.</summary>
    private static int OptimizerStateBytes(OptimizerKind kind, double momentum) => kind switch
    {
        OptimizerKind.Sgd => momentum != 0 ? 4 : 0,
        _ => 8,
    };
}
