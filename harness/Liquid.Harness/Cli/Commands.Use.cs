using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Liquid.Harness.Data;
using Liquid.Harness.Text;
using Liquid.Harness.Training;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;
using Spectre.Console;

namespace Liquid.Harness.Cli;

public static partial class Commands
{
    // ---- eval ---------------------------------------------------------------------------------

    private static Command EvalCommand(TextWriter output, IAnsiConsole console, Action<string> notice)
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Checkpoint folder (or run folder: uses latest/)." };
        var data = new Option<string?>("--data") { Description = "Text to evaluate on (default: the run's validation split)." };
        var field = new Option<string?>("--field") { Description = "JSONL field holding the text." };
        var context = new Option<int?>("--context") { Description = "Window length (default: the run's context)." };
        var stride = new Option<int?>("--stride") { Description = "Window step; each token is scored once, with up to context − stride tokens of history (default: context)." };
        var maxTokens = new Option<long?>("--max-tokens") { Description = "Score at most this many tokens." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("eval", "Validation loss, perplexity and token / top-k accuracy of a checkpoint.\n\nExample: liquid eval runs/tiny-gpt-20261122/latest --data notes.txt")
        {
            checkpoint, data, field, context, stride, maxTokens, json,
        };
        command.SetAction(result =>
        {
            OptionChecks.AtLeast(result.GetValue(maxTokens), 1, "--max-tokens", "at least 1");
            OptionChecks.AtLeast(result.GetValue(context), 1, "--context", "at least 1");
            OptionChecks.AtLeast(result.GetValue(stride), 1, "--stride", "at least 1");
            var (_, info, tokenizer, loaded) = OpenCheckpoint(result.GetValue(checkpoint)!, result, notice);
            using var model = loaded;
            var ids = result.GetValue(data) is { } spec
                ? TokenCorpus.EncodeTrain(new DataSource(spec, result.GetValue(field)).Read(), tokenizer)
                : ValidationIds(info, tokenizer);
            if (result.GetValue(maxTokens) is { } limit && ids.Length > limit + 1) ids = ids[..(int)(limit + 1)];
            var window = result.GetValue(context) ?? info.Settings.Context;
            var metrics = Evaluation.Score(model, ids, window, result.GetValue(stride) ?? window);
            if (result.GetValue(json))
            {
                // Plain writer: the console would wrap the line at its width.
                output.WriteLine(JsonSerializer.Serialize(metrics, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return 0;
            }
            var table = new Table().AddColumns("metric", "value");
            table.AddRow("tokens scored", Format(metrics.Tokens));
            table.AddRow("loss", metrics.Loss.ToString("F4", CultureInfo.InvariantCulture));
            table.AddRow("perplexity", metrics.Perplexity.ToString("F2", CultureInfo.InvariantCulture));
            table.AddRow("token accuracy", metrics.Top1.ToString("P2", CultureInfo.InvariantCulture));
            table.AddRow("top-3 accuracy", metrics.Top3.ToString("P2", CultureInfo.InvariantCulture));
            table.AddRow("top-5 accuracy", metrics.Top5.ToString("P2", CultureInfo.InvariantCulture));
            table.AddRow("top-10 accuracy", metrics.Top10.ToString("P2", CultureInfo.InvariantCulture));
            console.Write(table);
            return 0;
        });
        return command;
    }

    /// <summary>The run's own validation tokens, re-derived from its data source and tokenizer.</summary>
    private static int[] ValidationIds(CheckpointInfo info, ITokenizer tokenizer)
    {
        var texts = new DataSource(info.Settings.Data, info.Settings.Field).Read();
        using var corpus = TokenCorpus.Load(texts, tokenizer, Trainer.TokenizerKey(tokenizer), Trainer.CacheDirectory(), info.Settings.ValidationShare);
        var ids = new int[corpus.ValidationCount];
        corpus.ReadValidation(0, ids);
        return ids;
    }

    // ---- generate -----------------------------------------------------------------------------

    private static Command GenerateCommand(TextWriter output, IAnsiConsole console, Action<string> notice)
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "Checkpoint folder (or run folder: uses latest/)." };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue.", DefaultValueFactory = _ => "" };
        var options = Sampling.Options();
        var command = new Command("generate", """
            Continue a prompt, streaming tokens as they come (KV cache for attention models).

            Examples:
              liquid generate runs/tiny-gpt-20261122 --prompt "The " --max-tokens 200
              liquid generate runs/tiny-gpt-20261122 --prompt "Q:" --strategy sample --temperature 0.8 --top-p 0.9 --seed 7
            """)
        {
            checkpoint, prompt,
        };
        foreach (var option in options.All) command.Options.Add(option);
        command.SetAction(result =>
        {
            var (_, _, tokenizer, loaded) = OpenCheckpoint(result.GetValue(checkpoint)!, result, notice);
            using var model = loaded;
            var text = result.GetValue(prompt)!;
            output.Write(text);
            var generated = Sampling.Generate(model, tokenizer, text, options.Read(result), chunk => output.Write(chunk));
            output.WriteLine();
            console.WriteLine($"[{generated.Tokens.Count} tokens, stopped by {generated.Reason.ToString().ToLowerInvariant()}]");
            return 0;
        });
        return command;
    }

    // ---- run ----------------------------------------------------------------------------------

    private static Command RunCommand(IAnsiConsole console, Action<string> notice)
    {
        var target = new Argument<string>("model") { Description = "Model name or checkpoint folder." };
        var weights = new Option<string?>("--weights") { Description = "Weights to load (safetensors; required for a model name)." };
        var sets = SetOption();
        var input = new Option<string?>("--input") { Description = "JSON file with token ids: [1, 2, 3] or [[…], […]] for a batch." };
        var text = new Option<string?>("--text") { Description = "Text to tokenize (needs a checkpoint's tokenizer, or --tokenizer)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer for --text with a model name: gpt2 or byte." };
        var output = new Option<string>("--out") { Description = "Where to write the outputs (safetensors).", Required = true };
        var command = new Command("run", """
            One forward pass; writes the logits (and any extra outputs and auxiliary losses) to a safetensors file, so
            other tools can compare their own implementation with ours.

            Example: liquid run tiny-gpt --weights w.safetensors --input ids.json --out out.safetensors
            """)
        {
            target, weights, sets, input, text, tokenizer, output,
        };
        command.SetAction(result =>
        {
            var name = result.GetValue(target)!;
            CompiledModel model;
            ITokenizer? tokens = null;
            // A path that is not a folder may still be a checkpoint a killed save left half-moved.
            if (Directory.Exists(name) || Liquid.Models.ModelCatalog.Find(name) is null && name.Contains('/'))
            {
                (_, _, tokens, model) = OpenCheckpoint(name, result, notice);
            }
            else
            {
                var info = Catalog.Find(name);
                var overrides = ParseSets(result.GetValue(sets));
                var path = result.GetValue(weights) ?? throw new ConfigException("run with a model name needs --weights FILE.safetensors");
                if (!File.Exists(path)) throw new DataException($"weights file '{path}' does not exist");
                MemoryGuard.CheckModel(info, overrides, 8, "to load (its weights and the file read into memory)", result.GetValue(AllowOversubscribe), notice);
                model = info.Create(overrides);
                try
                {
                    model.LoadWeights(path);
                }
                catch
                {
                    model.Dispose();
                    throw;
                }
            }
            using (model)
            {
                if (result.GetValue(tokenizer) is { } spec) tokens = Tokenizers.Create(spec, () => throw new ConfigException($"--tokenizer {spec} must be trained; use a checkpoint's tokenizer"));
                var ids = result.GetValue(input) is { } file ? ReadIds(file)
                    : result.GetValue(text) is { } t ? [(tokens ?? throw new ConfigException("--text needs a tokenizer: pass a checkpoint or --tokenizer")).Encode(t).Select(i => (long)i).ToArray()]
                    : throw new ConfigException("run needs --input ids.json or --text \"…\"");
                model.Eval();
                using var noGrad = Torch.NoGrad();
                using var scope = TensorScope.Enter();
                var flat = ids.SelectMany(row => row).ToArray();
                var batch = Tensor.From<long>(flat, [ids.Length, ids[0].Length]);
                using var outputs = model.Run(new Dictionary<string, Tensor> { ["tokens"] = batch });
                var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["logits"] = outputs.Output, ["tokens"] = batch };
                foreach (var (key, value) in outputs.Values) tensors[key] = value;
                foreach (var (key, value) in outputs.Losses) tensors["loss." + key] = value;
                TensorFile.Save(result.GetValue(output)!, tensors, new Dictionary<string, string> { ["model"] = model.Info.Name });
                console.WriteLine($"wrote {string.Join(", ", tensors.Select(p => $"{p.Key} [{string.Join(", ", p.Value.Shape)}]"))} to {result.GetValue(output)}");
            }
            return 0;
        });
        return command;
    }

    private static long[][] ReadIds(string path)
    {
        if (!File.Exists(path)) throw new DataException($"input file '{path}' does not exist");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0) throw new DataException($"{path}: expected a JSON array of token ids");
            long[] Row(JsonElement row) => row.EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var rows = root[0].ValueKind == JsonValueKind.Array ? root.EnumerateArray().Select(Row).ToArray() : [Row(root)];
            if (rows.Any(r => r.Length != rows[0].Length || r.Length == 0)) throw new DataException($"{path}: every row needs the same, non-zero number of ids");
            return rows;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new DataException($"{path}: not a JSON array of integer token ids ({e.Message})");
        }
    }

    // ---- tokenize -----------------------------------------------------------------------------

    private static Command TokenizeCommand(TextWriter output, Action<string> notice)
    {
        var text = new Argument<string?>("text") { Description = "Text to encode.", Arity = ArgumentArity.ZeroOrOne };
        var tokenizer = new Option<string>("--tokenizer") { Description = "gpt2 or byte, or a checkpoint folder's tokenizer.", DefaultValueFactory = _ => "gpt2" };
        var file = new Option<string?>("--file") { Description = "Encode this file instead." };
        var command = new Command("tokenize", "Print the token ids of a text, separated by spaces.\n\nExample: liquid tokenize --tokenizer gpt2 \"Hello world\"")
        {
            text, tokenizer, file,
        };
        command.SetAction(result =>
        {
            var spec = result.GetValue(tokenizer)!;
            var tokens = Directory.Exists(spec) ? Checkpoint.LoadTokenizer(Checkpoint.ReadInfo(spec, notice).Directory)
                : Tokenizers.Create(spec, () => throw new ConfigException($"tokenizer '{spec}' is trained on data; tokenize with a checkpoint folder instead"));
            int[] ids;
            if (result.GetValue(file) is { } path)
            {
                if (!File.Exists(path)) throw new DataException($"file '{path}' does not exist");
                // The byte tokenizer reads the file's bytes, so any file (invalid UTF-8 too) round-trips.
                ids = tokens is ByteTokenizer bytes ? bytes.EncodeBytes(File.ReadAllBytes(path)) : tokens.Encode(File.ReadAllText(path));
            }
            else
            {
                ids = tokens.Encode(result.GetValue(text) ?? throw new ConfigException("tokenize needs a text or --file PATH"));
            }
            output.WriteLine(string.Join(" ", ids));
            return 0;
        });
        return command;
    }

    // ---- bench --------------------------------------------------------------------------------

    private static Command BenchCommand(TextWriter output, IAnsiConsole console, Action<string> notice)
    {
        var model = new Argument<string>("model") { Description = "Model name." };
        var sets = SetOption();
        var batch = new Option<int>("--batch") { Description = "Sequences per batch.", DefaultValueFactory = _ => 8 };
        var context = new Option<int?>("--context") { Description = "Tokens per sequence (default: min(model context, 256))." };
        var threads = new Option<int>("--threads") { Description = "Intra-op CPU threads.", DefaultValueFactory = _ => Torch.DefaultThreads };
        var seconds = new Option<double>("--seconds") { Description = "Measuring time per phase.", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "End with one JSON line: train_tokens_per_s, forward_tokens_per_s, peak_rss_mb." };
        var command = new Command("bench", "Forward and train-step throughput (tokens/s) and peak memory of a model on random tokens.\n\nExample: liquid bench tiny-gpt --batch 8 --context 128 --json")
        {
            model, sets, batch, context, threads, seconds, json,
        };
        command.SetAction(result =>
        {
            OptionChecks.AtLeast(result.GetValue(batch), 1, "--batch", "at least 1");
            OptionChecks.AtLeast(result.GetValue(context), 1, "--context", "at least 1");
            OptionChecks.Positive(result.GetValue(seconds), "--seconds");
            var threadCount = ThreadLimit.Clamp(result.GetValue(threads), "--threads", notice);
            Torch.SetThreads(threadCount);
            Torch.ManualSeed(0);
            var info = Catalog.Find(result.GetValue(model)!);
            var overrides = ParseSets(result.GetValue(sets));
            var insist = result.GetValue(AllowOversubscribe);
            MemoryGuard.CheckModel(info, overrides, 16, "to benchmark training (weights, gradients and AdamW state)", insist, notice);
            using var built = info.Create(overrides);
            var length = result.GetValue(context) ?? (int)Math.Min(built.Context ?? 256, 256);
            if (built.Context is { } limit && length > limit)
                throw new ConfigException($"--context {length} exceeds {info.Name}'s context of {limit}; use --context {limit} or --set context={length}");
            MemoryGuard.CheckTraining(built, result.GetValue(batch), length, 8, $"benchmarking {info.Name}", insist, notice);
            var measured = Benchmark.Measure(built, result.GetValue(batch), length, result.GetValue(seconds));
            if (result.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["model"] = built.Info.Name,
                    ["batch"] = result.GetValue(batch),
                    ["context"] = length,
                    ["threads"] = threadCount,
                    ["train_tokens_per_s"] = Math.Round(measured.TrainTokensPerSecond, 1),
                    ["forward_tokens_per_s"] = Math.Round(measured.ForwardTokensPerSecond, 1),
                    ["peak_rss_mb"] = Math.Round(measured.PeakRssMegabytes, 1),
                }));
                return 0;
            }
            var table = new Table().AddColumns("measure", "value");
            table.AddRow("forward tokens/s", measured.ForwardTokensPerSecond.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow("train-step tokens/s", measured.TrainTokensPerSecond.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow("peak RSS", $"{measured.PeakRssMegabytes:F0} MB");
            console.Write(table);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// A checkpoint's info, tokenizer and model. Reading a run that is training right now can land
    /// on the moment it swaps latest/ in (files vanish between two reads); such a read is tried again.
    /// </summary>
    private static (string Directory, CheckpointInfo Info, ITokenizer Tokenizer, CompiledModel Model) OpenCheckpoint(string path, ParseResult result, Action<string> notice)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (directory, info) = Checkpoint.ReadInfo(path, notice);
            try
            {
                var tokenizer = Checkpoint.LoadTokenizer(directory);
                return (directory, info, tokenizer, LoadChecked(directory, info, result, notice));
            }
            catch (CheckpointException) when (attempt < 5 && RunLock.HeldByAnother(Path.GetDirectoryName(directory)!, out _))
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>Loads a checkpoint's model after checking it fits in memory, and applies its thread count (bounded by the cores).</summary>
    private static CompiledModel LoadChecked(string directory, CheckpointInfo info, ParseResult result, Action<string> notice)
    {
        MemoryGuard.CheckModel(Catalog.Find(info.Model), info.Config, 8, "to load (its weights and the file read into memory)", result.GetValue(AllowOversubscribe), notice);
        var model = Checkpoint.LoadModel(directory, info);
        Torch.SetThreads(ThreadLimit.Clamp(info.Settings.Threads, "the checkpoint's thread count", notice));
        return model;
    }
}
