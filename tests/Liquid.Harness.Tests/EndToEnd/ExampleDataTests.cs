using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Liquid.Harness.Training;
using Liquid.Runtime;
using Liquid.Runtime.Serialization;

namespace Liquid.Harness.Tests.EndToEnd;

/// <summary>
/// A model that is not a language model, through the real command line: fmnist-gru (float images
/// in, a per-sequence class label as target) trained on a tiny JSONL file of examples, evaluated on
/// its test split, and run on named inputs from JSON and from safetensors.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ExampleDataTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("liquid-examples-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] Small = ["--set", "hidden=16", "--batch", "8", "--threads", "1"];

    /// <summary>Images that are all bright for label 1 and dark for label 0: learnable in a few steps.</summary>
    private string WriteExamples(int count)
    {
        var path = Path.Combine(_folder, "images.jsonl");
        var random = new Random(5);
        var lines = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var label = i % 2;
            var rows = Enumerable.Range(0, 28).Select(_ => "[" + string.Join(",", Enumerable.Range(0, 28).Select(_ =>
                (label * 0.6 + 0.4 * random.NextDouble()).ToString("F3", CultureInfo.InvariantCulture))) + "]");
            lines.Append($"{{\"image\": [{string.Join(",", rows)}], \"label\": {label}}}\n");
        }
        File.WriteAllText(path, lines.ToString());
        return path;
    }

    private static (int Code, string Output, string Error) Liquid(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void TrainEvaluateAndRunAClassifierOnNamedExamples()
    {
        var data = WriteExamples(120);
        var run = Path.Combine(_folder, "run");
        var train = Liquid(["train", "fmnist-gru", "--data", data, "--steps", "40", "--eval-every", "20", "--lr", "0.01", "--out", run, .. Small]);
        Assert.True(train.Code == 0, train.Error + train.Output);
        Assert.Contains("ex/s", train.Output);                        // examples, not tokens
        Assert.Contains("accuracy", train.Output);                    // classification measured at validation
        Assert.False(File.Exists(Path.Combine(run, "latest", "tokenizer.json")), "a model that reads examples needs no tokenizer");
        var metrics = File.ReadLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(40, metrics.Count(m => m["train_loss"] is not null));
        Assert.All(metrics.Where(m => m["train_loss"] is not null), m => Assert.NotNull(m["examples_per_s"]));
        Assert.Contains(metrics, m => m["val_accuracy"] is not null);

        var eval = Liquid("eval", run, "--json");
        Assert.True(eval.Code == 0, eval.Error + eval.Output);
        var result = JsonNode.Parse(eval.Output.Trim().Split('\n')[^1])!;
        Assert.Equal("test", result["split"]!.GetValue<string>());
        Assert.Equal(6, result["examples"]!.GetValue<long>());        // 5 % of 120, carved from the file
        Assert.Equal(1.0, result["accuracy"]!.GetValue<double>());    // bright against dark: every test image right
        Assert.Equal(result["terms"]!["cross_entropy"]!.GetValue<double>(), result["loss"]!.GetValue<double>(), 12);

        // Named inputs from JSON: one bright and one dark image, and the logits back in a safetensors file.
        var input = Path.Combine(_folder, "input.json");
        string Image(double value) => "[" + string.Join(",", Enumerable.Repeat("[" + string.Join(",", Enumerable.Repeat(value.ToString(CultureInfo.InvariantCulture), 28)) + "]", 28)) + "]";
        File.WriteAllText(input, $"{{\"image\": [{Image(0.9)}, {Image(0.1)}]}}");
        var output = Path.Combine(_folder, "out.safetensors");
        var ran = Liquid("run", run, "--input", input, "--out", output);
        Assert.True(ran.Code == 0, ran.Error + ran.Output);
        var logits = TensorFile.Load(output)["logits"];
        Assert.Equal(new long[] { 2, 10 }, logits.Shape);
        var predicted = logits.ArgMax(-1).ToArray<long>();
        Assert.Equal(new long[] { 1, 0 }, predicted);

        // The same through a safetensors file of named inputs.
        var images = Path.Combine(_folder, "images.safetensors");
        using (var scope = TensorScope.Enter())
            TensorFile.Save(images, new Dictionary<string, Tensor> { ["image"] = TensorFile.Load(output)["image"] });
        var again = Liquid("run", run, "--input", images, "--out", Path.Combine(_folder, "again.safetensors"));
        Assert.True(again.Code == 0, again.Error + again.Output);
        Assert.Equal(predicted, TensorFile.Load(Path.Combine(_folder, "again.safetensors"))["logits"].ArgMax(-1).ToArray<long>());
    }

    [Fact]
    public void BadNamedInputsAreOneLineErrors()
    {
        var data = WriteExamples(40);
        var run = Path.Combine(_folder, "run");
        Assert.Equal(0, Liquid(["train", "fmnist-gru", "--data", data, "--steps", "2", "--out", run, .. Small]).Code);

        var wrongName = Path.Combine(_folder, "wrong.json");
        File.WriteAllText(wrongName, "{\"picture\": [[[0.5]]]}");
        var named = Liquid("run", run, "--input", wrongName, "--out", Path.Combine(_folder, "x.safetensors"));
        Assert.Equal(1, named.Code);
        Assert.Contains("'picture' is not an input of fmnist-gru (its inputs: image)", named.Error);

        var wrongShape = Path.Combine(_folder, "shape.json");
        File.WriteAllText(wrongShape, "{\"image\": [[[0.5, 0.5]]]}");
        var shaped = Liquid("run", run, "--input", wrongShape, "--out", Path.Combine(_folder, "x.safetensors"));
        Assert.Equal(1, shaped.Code);
        Assert.Contains("input 'image' is [1, 1, 2] but the model takes float32[?, 28, 28]", shaped.Error);

        var ragged = Path.Combine(_folder, "ragged.json");
        File.WriteAllText(ragged, "{\"image\": [[[0.5, 0.5], [0.5]]]}");
        var raggedRun = Liquid("run", run, "--input", ragged, "--out", Path.Combine(_folder, "x.safetensors"));
        Assert.Equal(1, raggedRun.Code);
        Assert.Contains("is not rectangular", raggedRun.Error);

        var generate = Liquid("generate", run, "--prompt", "x");
        Assert.Equal(1, generate.Code);
        Assert.Contains("reads named examples, not text", generate.Error);
    }
}
