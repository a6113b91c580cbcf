using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
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
        var data = new Option<string?>("--data") { Description = "Data to evaluate on (default: the run's own). Language models: text; other models: examples with their inputs and targets." };
        var field = new Option<string?>("--field") { Description = "JSONL field holding the text (language models)." };
        var split = new Option<string>("--split") { Description = "Which split of example data: test, validation or train (language models use the run's validation split).", DefaultValueFactory = _ => "test" };
        var context = new Option<int?>("--context") { Description = "Window length of a language model (default: the run's context)." };
        var stride = new Option<int?>("--stride") { Description = "Window step; each token is scored once, with up to context − stride tokens of history (default: context)." };
        var maxTokens = new Option<long?>("--max-tokens") { Description = "Score at most this many tokens." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var continuations = new Option<int>("--continuations") { Description = "Language models: held-out samples the model continues (greedy) for the text metrics; 0 skips them.", DefaultValueFactory = _ => 16 };
        var half = new Option<int?>("--half") { Description = "Tokens in each half of a continuation sample: the model reads the first half and writes as many (default: 32, at most half the context)." };
        var command = new Command("eval", """
            The model's objective on held-out data, and what its terms measure: for a language model perplexity and
            token / top-k accuracy; for a classifier accuracy and top-k accuracy; for a regression MSE and MAE.
            A language model also continues the first half of held-out samples, compared with the second half:
            token and sequence accuracy of the second halves, and BLEU-1…4, ROUGE-1/2/L, METEOR, distinct-1/2,
            exact match and mean length of its greedy continuations (over lower-cased words and punctuation).

            Examples:
              liquid eval runs/tiny-gpt-20261122/latest --data notes.txt
              liquid eval runs/fmnist-gru-20261204            (the test split of the run's data)
            """)
        {
            checkpoint, data, field, split, context, stride, maxTokens, json, continuations, half,
        };
        command.SetAction(result =>
        {
            OptionChecks.AtLeast(result.GetValue(maxTokens), 1, "--max-tokens", "at least 1");
            OptionChecks.AtLeast(result.GetValue(context), 1, "--context", "at least 1");
            OptionChecks.AtLeast(result.GetValue(stride), 1, "--stride", "at least 1");
            OptionChecks.AtLeast(result.GetValue(continuations), 0, "--continuations", "at least 0");
            OptionChecks.AtLeast(result.GetValue(half), 1, "--half", "at least 1");
            var (_, info, tokenizer, loaded) = OpenCheckpoint(result.GetValue(checkpoint)!, result, notice);
            using var model = loaded;
            var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
            var table = new Table().AddColumns("metric", "value");
            if (TrainingData.LanguageModel(model.Inputs, model.Targets) is not null)
            {
                var text = tokenizer ?? throw new CheckpointException("this language model's checkpoint has no tokenizer");
                var ids = result.GetValue(data) is { } spec
                    ? TokenCorpus.EncodeTrain(new DataSource(spec, result.GetValue(field)).Read(), text)
                    : ValidationIds(info, text);
                if (result.GetValue(maxTokens) is { } limit && ids.Length > limit + 1) ids = ids[..(int)(limit + 1)];
                var window = result.GetValue(context) ?? info.Settings.Context;
                var metrics = Evaluation.ScoreTokens(model, ids, window, result.GetValue(stride) ?? window);
                var halfTokens = result.GetValue(half) ?? Math.Max(1, Math.Min(32, (window + 1) / 2));
                if (2 * halfTokens - 1 > window) throw new ConfigException($"--half {halfTokens}: a sample of two halves (less its last token) must fit the context ({window})");
                var continued = result.GetValue(continuations) is > 0 and var count && ids.Length >= 2 * halfTokens
                    ? Evaluation.ScoreContinuations(model, text, ids, count, halfTokens)
                    : null;
                if (result.GetValue(json))
                {
                    // Plain writer: the console would wrap the line at its width.
                    var node = JsonSerializer.SerializeToNode(metrics, options)!.AsObject();
                    if (continued is not null)
                        node["continuations"] = JsonSerializer.SerializeToNode(continued, new JsonSerializerOptions(options) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) } });
                    output.WriteLine(node.ToJsonString());
                    return 0;
                }
                table.AddRow("tokens scored", Format(metrics.Tokens));
                table.AddRow("loss", metrics.Loss.ToString("F4", CultureInfo.InvariantCulture));
                table.AddRow("perplexity", metrics.Perplexity.ToString("F2", CultureInfo.InvariantCulture));
                table.AddRow("token accuracy", metrics.Top1.ToString("P2", CultureInfo.InvariantCulture));
                table.AddRow("top-3 accuracy", metrics.Top3.ToString("P2", CultureInfo.InvariantCulture));
                table.AddRow("top-5 accuracy", metrics.Top5.ToString("P2", CultureInfo.InvariantCulture));
                table.AddRow("top-10 accuracy", metrics.Top10.ToString("P2", CultureInfo.InvariantCulture));
                if (continued is not null) AddContinuationRows(table, continued);
                console.Write(table);
                return 0;
            }

            var which = result.GetValue(split) switch
            {
                "test" => Split.Test,
                "validation" or "valid" => Split.Validation,
                "train" => Split.Train,
                var other => throw new ConfigException($"--split takes test, validation or train, not '{other}'"),
            };
            var source = result.GetValue(data) ?? info.Settings.Data;
            var set = ExampleSet.Load(source, TrainingData.Fields(model.Inputs, model.Targets),
                new LoadOptions(ValidationShare: info.Settings.ValidationShare, TestShare: info.Settings.ValidationShare), notice);
            var inputs = model.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            var examples = Evaluation.ScoreExamples(model, Batches(set[which], inputs, info.Settings.Batch));
            if (result.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["split"] = which.ToString().ToLowerInvariant(),
                    ["examples"] = examples.Examples,
                    ["loss"] = examples.Loss,
                    ["terms"] = examples.Terms,
                    ["accuracy"] = examples.Accuracy,
                    ["top_k"] = examples.TopK?.ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value),
                    ["mse"] = examples.MeanSquaredError,
                    ["mae"] = examples.MeanAbsoluteError,
                }, options));
                return 0;
            }
            table.AddRow("split", $"{which.ToString().ToLowerInvariant()} of {Markup.Escape(source)}");
            table.AddRow("examples", Format(examples.Examples));
            table.AddRow("loss", examples.Loss.ToString("F4", CultureInfo.InvariantCulture));
            if (examples.Terms.Count > 1)
                foreach (var (name, value) in examples.Terms) table.AddRow($"  {Markup.Escape(name)}", value.ToString("F4", CultureInfo.InvariantCulture));
            if (examples.Accuracy is { } accuracy) table.AddRow("accuracy", accuracy.ToString("P2", CultureInfo.InvariantCulture));
            if (examples.TopK is { } topK)
                foreach (var k in new[] { 3, 5 }) table.AddRow($"top-{k} accuracy", topK[k].ToString("P2", CultureInfo.InvariantCulture));
            if (examples.MeanSquaredError is { } mse) table.AddRow("MSE", mse.ToString("G5", CultureInfo.InvariantCulture));
            if (examples.MeanAbsoluteError is { } mae) table.AddRow("MAE", mae.ToString("G5", CultureInfo.InvariantCulture));
            console.Write(table);
            return 0;
        });
        return command;
    }

    private static void AddContinuationRows(Table table, Evaluation.ContinuationMetrics c)
    {
        static string P(double v) => v.ToString("P2", CultureInfo.InvariantCulture);
        static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
        table.AddRow($"continuations ({c.Samples} samples, {c.PromptTokens} + {c.ContinuationTokens} tokens)", "");
        table.AddRow("  token accuracy (second halves)", P(c.Prediction.TokenAccuracy));
        table.AddRow("  sequence accuracy", P(c.Prediction.SequenceAccuracy));
        foreach (var k in new[] { 3, 5, 10 }) table.AddRow($"  top-{k} accuracy", P(c.Prediction.TopK[k]));
        table.AddRow("  perplexity (second halves)", c.Prediction.Perplexity.ToString("F2", CultureInfo.InvariantCulture));
        var t = c.Text;
        table.AddRow("  exact match", P(t.ExactMatch));
        table.AddRow("  mean length (words)", t.MeanLength.ToString("F1", CultureInfo.InvariantCulture));
        table.AddRow("  distinct-1 / distinct-2", $"{F(t.Distinct1)} / {F(t.Distinct2)}");
        table.AddRow("  BLEU-1 … BLEU-4", string.Join(" / ", t.Bleu.Select(F)));
        table.AddRow("  ROUGE-1 / ROUGE-2 / ROUGE-L (F1)", $"{F(t.Rouge1)} / {F(t.Rouge2)} / {F(t.RougeL)}");
        table.AddRow(t.MeteorSynonyms ? "  METEOR" : "  METEOR (no WordNet: exact and stem matches only)", F(t.Meteor));
    }

    /// <summary>A split's examples in order, as batches of inputs and targets.</summary>
    private static IEnumerable<Batch> Batches(ExampleSplit split, IReadOnlySet<string> inputs, int size)
    {
        foreach (var tensors in ExampleBatcher.Sequential(split, size))
        {
            var batch = new Batch(new Dictionary<string, Tensor>(StringComparer.Ordinal), new Dictionary<string, Tensor>(StringComparer.Ordinal), (int)tensors.Values.First().Size(0));
            foreach (var (name, tensor) in tensors) (inputs.Contains(name) ? batch.Inputs : batch.Targets)[name] = tensor;
            yield return batch;
        }
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
            // Options first: a bad one is reported before a checkpoint is read.
            var sampling = options.Read(result);
            var (_, _, tokenizer, loaded) = OpenCheckpoint(result.GetValue(checkpoint)!, result, notice);
            using var model = loaded;
            var text = result.GetValue(prompt)!;
            output.Write(text);
            var generated = Sampling.Generate(model, tokenizer ?? throw new CheckpointException($"{model.Info.Name} reads named examples, not text: there is nothing to generate"),
                text, sampling, chunk => output.Write(chunk));
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
        var input = new Option<string?>("--input") { Description = "Token ids as JSON ([1, 2, 3] or [[…], […]] for a batch), or named inputs: a JSON object {\"image\": [[…]]} or a .safetensors file, each with the batch dimension first." };
        var text = new Option<string?>("--text") { Description = "Text to tokenize (needs a checkpoint's tokenizer, or --tokenizer)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer for --text with a model name: gpt2 or byte." };
        var output = new Option<string>("--out") { Description = "Where to write the outputs (safetensors).", Required = true };
        var command = new Command("run", """
            One forward pass; writes the inputs, every output and auxiliary loss (loss.NAME) to a safetensors file,
            so other tools can compare their own implementation with ours.

            Examples:
              liquid run tiny-gpt --weights w.safetensors --input ids.json --out out.safetensors
              liquid run runs/fmnist-gru-20261204 --input images.safetensors --out out.safetensors
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
                model.Eval();
                using var noGrad = Torch.NoGrad();
                using var scope = TensorScope.Enter();
                var inputs = ReadInputs(model, result.GetValue(input), result.GetValue(text), tokens);
                using var outputs = model.Run(inputs);
                var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                foreach (var (key, value) in inputs) tensors[key] = value;
                foreach (var (key, value) in outputs.Values) tensors[key] = value;
                foreach (var (key, value) in outputs.Losses) tensors["loss." + key] = value;
                TensorFile.Save(result.GetValue(output)!, tensors, new Dictionary<string, string> { ["model"] = model.Info.Name });
                console.WriteLine($"wrote {string.Join(", ", tensors.Select(p => $"{p.Key} [{string.Join(", ", p.Value.Shape)}]"))} to {result.GetValue(output)}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The inputs of one forward pass, by the model's names: token ids for a language model (a JSON
    /// array, or text through the tokenizer), else named tensors (a JSON object of nested arrays or a
    /// safetensors file), each checked against the model's declared type.
    /// </summary>
    private static Dictionary<string, Tensor> ReadInputs(CompiledModel model, string? file, string? text, ITokenizer? tokenizer)
    {
        var language = TrainingData.LanguageModel(model.Inputs, model.Targets);
        if (language is { } lm && file is null)
        {
            var ids = text is null ? throw new ConfigException("run needs --input FILE or --text \"…\"")
                : (tokenizer ?? throw new ConfigException("--text needs a tokenizer: pass a checkpoint or --tokenizer")).Encode(text).Select(i => (long)i).ToArray();
            return new Dictionary<string, Tensor> { [lm.Input.Name] = Tensor.From<long>(ids, [1, ids.Length]) };
        }
        if (file is null) throw new ConfigException($"run needs --input FILE with {string.Join(", ", model.Inputs.Select(i => $"{i.Name} {i}"))}");
        if (!File.Exists(file)) throw new DataException($"input file '{file}' does not exist");
        Dictionary<string, Tensor> inputs;
        if (file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            inputs = TensorFile.Load(file);
        }
        else
        {
            using var document = ParseJson(file);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                if (language is not { } lm2) throw new DataException($"{file}: {model.Info.Name} takes named inputs ({string.Join(", ", model.Inputs.Select(i => i.Name))}); write a JSON object of them");
                var rows = ReadIds(file, root);
                inputs = new Dictionary<string, Tensor> { [lm2.Input.Name] = Tensor.From<long>(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]) };
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                foreach (var property in root.EnumerateObject())
                {
                    var declared = model.Inputs.FirstOrDefault(i => i.Name == property.Name)
                        ?? throw new DataException($"{file}: '{property.Name}' is not an input of {model.Info.Name} (its inputs: {string.Join(", ", model.Inputs.Select(i => i.Name))})");
                    inputs[property.Name] = JsonTensor(file, property.Name, property.Value, declared.DType);
                }
            }
            else throw new DataException($"{file}: expected a JSON array of token ids or an object of named inputs");
        }
        foreach (var declared in model.Inputs)
        {
            if (!inputs.TryGetValue(declared.Name, out var tensor))
            {
                if (declared.Optional) continue;
                throw new DataException($"{file}: no input '{declared.Name}' (the model takes {string.Join(", ", model.Inputs.Select(i => $"{i.Name} {i}"))})");
            }
            if (tensor.Rank != declared.Shape.Count || declared.Shape.Select((d, i) => d is null || d == tensor.Size(i)).Any(ok => !ok))
                throw new DataException($"{file}: input '{declared.Name}' is [{string.Join(", ", tensor.Shape)}] but the model takes {declared}");
            if (tensor.DType != declared.DType) inputs[declared.Name] = tensor.To(declared.DType);
        }
        return inputs;
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new DataException($"{path}: not valid JSON ({e.Message})");
        }
    }

    /// <summary>A nested JSON array as a tensor: rectangular, numbers only.</summary>
    private static Tensor JsonTensor(string file, string name, JsonElement value, DType dtype)
    {
        var shape = new List<long>();
        for (var e = value; e.ValueKind == JsonValueKind.Array; e = e.GetArrayLength() > 0 ? e[0] : default) shape.Add(e.GetArrayLength());
        var numbers = new List<double>();
        void Walk(JsonElement e, int depth)
        {
            if (depth == shape.Count)
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var x) || !double.IsFinite(x))
                    throw new DataException($"{file}: '{name}' holds {e.ValueKind.ToString().ToLowerInvariant()} where a finite number belongs");
                numbers.Add(x);
                return;
            }
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != shape[depth])
                throw new DataException($"{file}: '{name}' is not rectangular: its dimension {depth} should have {shape[depth]} entries");
            foreach (var item in e.EnumerateArray()) Walk(item, depth + 1);
        }
        Walk(value, 0);
        using var values = Tensor.From(numbers.ToArray(), shape.ToArray());
        return values.To(dtype);
    }

    private static long[][] ReadIds(string path, JsonElement root)
    {
        try
        {
            if (root.GetArrayLength() == 0) throw new DataException($"{path}: expected a JSON array of token ids");
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
                    [$"train_{measured.Unit}_per_s"] = Math.Round(measured.TrainPerSecond, 1),
                    [$"forward_{measured.Unit}_per_s"] = Math.Round(measured.ForwardPerSecond, 1),
                    ["peak_rss_mb"] = Math.Round(measured.PeakRssMegabytes, 1),
                }));
                return 0;
            }
            var table = new Table().AddColumns("measure", "value");
            table.AddRow($"forward {measured.Unit}/s", measured.ForwardPerSecond.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow($"train-step {measured.Unit}/s", measured.TrainPerSecond.ToString("N0", CultureInfo.InvariantCulture));
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
    private static (string Directory, CheckpointInfo Info, ITokenizer? Tokenizer, CompiledModel Model) OpenCheckpoint(string path, ParseResult result, Action<string> notice)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (directory, info) = Checkpoint.ReadInfo(path, notice);
            try
            {
                var tokenizer = Checkpoint.TryLoadTokenizer(directory);
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
