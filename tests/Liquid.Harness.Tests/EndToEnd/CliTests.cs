using System.Text.Json;
using System.Text.Json.Nodes;
using Liquid.Harness.Training;
using Liquid.Runtime.Serialization;

namespace Liquid.Harness.Tests.EndToEnd;

/// <summary>
/// The real command line, end to end, on a tiny model and a tiny text: train, resume, eval,
/// generate, run, and the errors a user meets. Runs call <see cref="Program.Run"/>, the same entry
/// point as the executable, with captured output.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("liquid-cli-").FullName;

    public CliTests() => Environment.SetEnvironmentVariable("LIQUID_CACHE", Path.Combine(_folder, "cache"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A small model and short runs: the point is the plumbing, not the learning.</summary>
    internal static readonly string[] TinyModel =
        ["train", "tiny-gpt", "--set", "d_model=32", "--set", "layers=1", "--set", "heads=2", "--set", "context=32",
         "--tokenizer", "byte", "--context", "16", "--batch", "4", "--threads", "1", "--sample-prompt", ""];

    internal static string WriteCorpus(string folder)
    {
        var path = Path.Combine(folder, "corpus.txt");
        var lines = Enumerable.Range(0, 200).Select(i => $"line {i % 17}: the quick brown fox jumps over the lazy dog {i % 5}.");
        File.WriteAllText(path, string.Join("\n", lines));
        return path;
    }

    private (int Code, string Output, string Error) Liquid(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void TrainResumeEvalGenerateRun()
    {
        var corpus = WriteCorpus(_folder);
        var run = Path.Combine(_folder, "run");

        var train = Liquid([.. TinyModel, "--data", corpus, "--steps", "30", "--eval-every", "10", "--out", run]);
        Assert.True(train.Code == 0, train.Error + train.Output);
        foreach (var file in new[] { "latest/weights.safetensors", "latest/optimizer.safetensors", "latest/checkpoint.json", "latest/tokenizer.json", "best/checkpoint.json", "metrics.jsonl", "curve.svg" })
            Assert.True(File.Exists(Path.Combine(run, file)), $"{file} missing after training");
        var steps = Metrics(run).Where(m => m["train_loss"] is not null).ToList();
        Assert.Equal(30, steps.Count);
        Assert.Equal(30, Checkpoint.ReadInfo(run).Info.Step);

        var resumed = Liquid("train", "--resume", run, "--steps", "40", "--sample-prompt", "");
        Assert.True(resumed.Code == 0, resumed.Error + resumed.Output);
        Assert.Equal(40, Checkpoint.ReadInfo(run).Info.Step);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), Metrics(run).Where(m => m["train_loss"] is not null).Select(m => m["step"]!.GetValue<long>()));

        var eval = Liquid("eval", run, "--json");
        Assert.True(eval.Code == 0, eval.Error);
        var metrics = JsonNode.Parse(eval.Output.Trim().Split('\n').Last())!;
        var loss = metrics["loss"]!.GetValue<double>();
        Assert.InRange(metrics["perplexity"]!.GetValue<double>(), Math.Exp(loss) * 0.999, Math.Exp(loss) * 1.001);
        Assert.True(metrics["tokens"]!.GetValue<long>() > 0);
        var top1 = metrics["top1"]!.GetValue<double>();
        var top10 = metrics["top10"]!.GetValue<double>();
        Assert.InRange(top1, 0, top10);

        var generate = Liquid("generate", run, "--prompt", "line ", "--max-tokens", "20", "--strategy", "greedy");
        Assert.True(generate.Code == 0, generate.Error);
        Assert.StartsWith("line ", generate.Output);
        Assert.Contains("20 tokens", generate.Output);

        var ids = Path.Combine(_folder, "ids.json");
        File.WriteAllText(ids, "[[108, 105, 110, 101], [116, 104, 101, 32]]");
        var outputs = Path.Combine(_folder, "out.safetensors");
        var runResult = Liquid("run", run, "--input", ids, "--out", outputs);
        Assert.True(runResult.Code == 0, runResult.Error);
        var written = TensorFile.Load(outputs);
        Assert.Equal(new long[] { 2, 4, 256 }, written["logits"].Shape);
        foreach (var tensor in written.Values) tensor.Dispose();
    }

    [Fact]
    public void TruncatedCheckpointIsAOneLineError()
    {
        var corpus = WriteCorpus(_folder);
        var run = Path.Combine(_folder, "run");
        Assert.Equal(0, Liquid([.. TinyModel, "--data", corpus, "--steps", "2", "--out", run]).Code);
        var weights = Path.Combine(run, "latest", "weights.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);

        var result = Liquid("generate", run, "--prompt", "x", "--max-tokens", "3");
        Assert.Equal(1, result.Code);
        var line = Assert.Single(result.Error.Trim().Split('\n'));
        Assert.StartsWith("liquid: error: cannot load the weights of checkpoint", line);
        Assert.Contains("weights.safetensors", line);

        File.WriteAllText(Path.Combine(run, "latest", "checkpoint.json"), "{ not json");
        var corrupt = Liquid("eval", run);
        Assert.Equal(1, corrupt.Code);
        Assert.Contains("checkpoint.json is corrupt", corrupt.Error);
    }

    [Fact]
    public void MissingDataFileIsAOneLineError()
    {
        var result = Liquid([.. TinyModel, "--data", Path.Combine(_folder, "nope.txt"), "--steps", "2", "--out", Path.Combine(_folder, "run")]);
        Assert.Equal(1, result.Code);
        Assert.Equal($"liquid: error: data file '{Path.Combine(_folder, "nope.txt")}' does not exist", result.Error.Trim());
    }

    [Fact]
    public void BadArgumentsExplainThemselves()
    {
        var unknownModel = Liquid("inspect", "tiny-gtp");
        Assert.Equal(1, unknownModel.Code);
        Assert.Contains("no model named 'tiny-gtp'", unknownModel.Error);

        var badOverride = Liquid("inspect", "tiny-gpt", "--set", "heads=3");
        Assert.Equal(1, badOverride.Code);
        Assert.Contains("heads (3) must divide d_model (128)", badOverride.Error);

        var temperature = Liquid("generate", Path.Combine(_folder, "missing"), "--temperature", "0");
        Assert.Equal(1, temperature.Code);
        Assert.DoesNotContain("   at ", temperature.Error); // no stack trace without --verbose
    }

    [Fact]
    public void TokenizePrintsGpt2Ids()
    {
        var result = Liquid("tokenize", "--tokenizer", "gpt2", "Hello world");
        Assert.Equal(0, result.Code);
        Assert.Equal("15496 995", result.Output.Trim());
    }

    [Fact]
    public void ModelsAndInspectListTheCatalog()
    {
        var models = Liquid("models");
        Assert.Equal(0, models.Code);
        Assert.Contains("gpt2", models.Output);
        Assert.Contains("124,439,808", models.Output);

        var inspect = Liquid("inspect", "tiny-gpt");
        Assert.Equal(0, inspect.Code);
        Assert.Contains("h.0.attn", inspect.Output);
        // From the modules: per block 2·d·3d (qkv) + 2·d·d (proj) + 2·d·4d·2 (mlp) + 4·context·d
        // (scores and mixing), 4 blocks, plus the tied head 2·d·vocab; d 128, context 128, vocab 256.
        Assert.Contains($"forward FLOPs per position: {4 * (2 * 128 * 384 + 2 * 128 * 128 + 2 * 2 * 128 * 512 + 4 * 128 * 128) + 2 * 128 * 256:N0} (at context 128)", inspect.Output);
        Assert.Contains("token_embedding", inspect.Output); // kinds as the model file names them
        Assert.Contains("float[B, T, 128]", inspect.Output);

        var keys = Liquid("inspect", "tiny-gpt", "--keys");
        Assert.Contains("h.0.attn.qkv.weight", keys.Output);
        Assert.Contains("[384, 128]", keys.Output);
    }

    [Fact]
    public void BenchEndsWithOneJsonLine()
    {
        var result = Liquid("bench", "tiny-gpt", "--set", "d_model=32", "--set", "layers=1", "--set", "heads=2", "--batch", "2", "--context", "16", "--seconds", "0.2", "--json");
        Assert.True(result.Code == 0, result.Error);
        var last = JsonNode.Parse(result.Output.Trim().Split('\n').Last())!;
        Assert.True(last["train_tokens_per_s"]!.GetValue<double>() > 0);
        Assert.True(last["forward_tokens_per_s"]!.GetValue<double>() > 0);
        Assert.True(last["peak_rss_mb"]!.GetValue<double>() > 0);
    }

    [Fact]
    public void EveryCommandHasHelpWithAnExample()
    {
        foreach (var command in new[] { "models", "inspect", "train", "eval", "generate", "run", "tokenize", "bench" })
        {
            var help = Liquid(command, "--help");
            Assert.True(help.Code == 0, command);
            Assert.Contains("Example", help.Output);
        }
    }

    /// <summary>
    /// eval's continuation metrics on a text the model can learn exactly (a period of four bytes). Two
    /// paths meet: greedy generation from each first half, and the teacher-forced pass over the same
    /// window. Greedy decoding reproduces the second half exactly when, and only when, every one of its
    /// tokens is the argmax given the true prefix, so exact match must equal sequence accuracy; a model
    /// that learned the period gets both at 1, and then BLEU-4 and ROUGE-L of identical texts are 1.
    /// </summary>
    [Fact]
    public void EvalContinuesHeldOutText()
    {
        var corpus = Path.Combine(_folder, "period.txt");
        File.WriteAllText(corpus, string.Concat(Enumerable.Repeat("abc ", 2000)));
        var run = Path.Combine(_folder, "period");
        var train = Liquid([.. TinyModel, "--data", corpus, "--steps", "80", "--lr", "3e-3", "--out", run]);
        Assert.True(train.Code == 0, train.Error + train.Output);

        var eval = Liquid("eval", run, "--json", "--continuations", "5", "--half", "16", "--context", "32");
        Assert.True(eval.Code == 0, eval.Error);
        var c = JsonNode.Parse(eval.Output.Trim().Split('\n').Last())!["continuations"]!;
        Assert.Equal(5, c["samples"]!.GetValue<int>());
        var prediction = c["prediction"]!;
        var text = c["text"]!;
        Assert.Equal(80, prediction["tokens"]!.GetValue<long>());   // 5 samples × 16 second-half tokens (4 or 5 words: BLEU-4 has 4-grams)
        Assert.Equal(prediction["sequence_accuracy"]!.GetValue<double>(), text["exact_match"]!.GetValue<double>());
        Assert.Equal(1.0, prediction["token_accuracy"]!.GetValue<double>());
        Assert.Equal(1.0, text["exact_match"]!.GetValue<double>());
        Assert.Equal(1.0, text["bleu"]![3]!.GetValue<double>(), 12);
        Assert.Equal(1.0, text["rouge_l"]!.GetValue<double>(), 12);
    }

    private static List<JsonNode> Metrics(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
}

/// <summary>CLI tests change process-wide state (environment, thread count, RNG): one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "Cli";
}
