using System.Globalization;
using Liquid.Models.Tests.Support;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;
using Xunit.Abstractions;

namespace Liquid.Models.Tests;

/// <summary>Incremental decoding with a <see cref="ModelState"/>, a short training run, and weight files.</summary>
public sealed class GenerationTests(ITestOutputHelper log)
{
    // Small configs keep these tests fast; the layers and paths are the default models'.
    private static readonly Dictionary<string, string> SmallGpt = new() { ["vocab_size"] = "64", ["context"] = "32", ["d_model"] = "32", ["layers"] = "2", ["heads"] = "4" };
    private static readonly Dictionary<string, string> SmallLlama = new() { ["vocab_size"] = "64", ["context"] = "32", ["d_model"] = "32", ["layers"] = "2", ["heads"] = "4", ["kv_heads"] = "2", ["hidden"] = "88" };

    private static CompiledModel Build(string name, Dictionary<string, string> overrides, ulong seed)
    {
        Torch.ManualSeed(seed);
        var model = ModelCatalog.Find(name)!.Create(overrides);
        Weights.Randomize(model);
        model.Eval();
        return model;
    }

    /// <summary>
    /// Feeding the tokens one at a time through Forward(token, state) — KV caches, position offsets for
    /// wpe and RoPE, bottom-right causal masks — gives, at every step, the logits of the full forward
    /// pass at that position. Float64, ≤ 1e-9 relative (norm-wise): the two paths only order sums differently.
    /// </summary>
    [Theory]
    [InlineData("tiny-gpt")]
    [InlineData("tiny-llama")]
    public void IncrementalDecodingMatchesTheFullForwardPass(string name)
    {
        using var model = Build(name, name == "tiny-gpt" ? SmallGpt : SmallLlama, seed: 11);
        model.To(DType.Float64);
        using var noGrad = Torch.NoGrad();
        using var scope = TensorScope.Enter();
        Torch.ManualSeed(12);
        const long steps = 12;
        var tokens = Tensor.RandInt(0, 64, [2, steps]);
        var inputs = new Dictionary<string, Tensor> { ["tokens"] = tokens };
        var full = model.Run(inputs).Output; // [2, steps, 64]

        using var state = new ModelState();
        for (long t = 0; t < steps; t++)
        {
            var step = model.Run(new Dictionary<string, Tensor> { ["tokens"] = tokens.Narrow(1, t, 1) }, state).Output;
            Assert.Equal(new long[] { 2, 1, 64 }, step.Shape);
            Compare.Close(full.Narrow(1, t, 1), step, 1e-9, $"{name} position {t}");
        }
        Assert.Equal(steps, state.Position);

        // Chunks of several tokens against a cache behave the same (masks aligned bottom-right).
        using var chunked = new ModelState();
        model.Run(new Dictionary<string, Tensor> { ["tokens"] = tokens.Narrow(1, 0, 5) }, chunked).Dispose();
        var rest = model.Run(new Dictionary<string, Tensor> { ["tokens"] = tokens.Narrow(1, 5, steps - 5) }, chunked).Output;
        Compare.Close(full.Narrow(1, 5, steps - 5), rest, 1e-9, $"{name} second chunk");
    }

    /// <summary>30 AdamW steps on a repeating byte pattern take TinyGpt (default config) well below chance.</summary>
    [Fact]
    public void TinyGptLearnsARepeatingPattern()
    {
        Torch.ManualSeed(3);
        using var model = new TinyGpt();
        model.Train();
        var recipe = model.Recipe;
        using var optimizer = new AdamW(ParameterGroups.DecayAndNoDecay(model, recipe.LearningRate, recipe.EffectiveWeightDecay),
            new AdamOptions(recipe.LearningRate, recipe.Beta1, recipe.Beta2, recipe.Eps));

        // Four windows of 33 bytes from "the quick brown fox " repeated; inputs [4, 32], targets shifted by one.
        var text = string.Concat(Enumerable.Repeat("the quick brown fox ", 12));
        const int batch = 4, steps = 32;
        var windows = Enumerable.Range(0, batch).Select(b => text.Substring(3 * b, steps + 1).Select(c => (long)c).ToArray()).ToArray();
        using var tokens = Tensor.From(windows.SelectMany(w => w.Take(steps)).ToArray(), batch, steps);
        using var targets = Tensor.From(windows.SelectMany(w => w.Skip(1)).ToArray(), batch, steps);

        var losses = new List<double>();
        for (var step = 0; step < 30; step++)
        {
            using var scope = TensorScope.Enter();
            model.ZeroGrad();
            using var output = model.Forward(tokens);
            var loss = model.Loss(output, targets);
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.Item());
        }
        var trace = string.Join(", ", losses.Select(l => l.ToString("F3", CultureInfo.InvariantCulture)));
        log.WriteLine($"losses: {trace}");
        Assert.True(Math.Abs(losses[0] - Math.Log(256)) < 0.5, $"the first loss should be near ln 256 = 5.55: {trace}");
        Assert.True(losses[^1] < 0.5 * losses[0], $"30 steps should at least halve the loss: {trace}");
        Assert.True(losses.TakeLast(5).Average() < losses.Take(5).Average() - 2, trace);
    }

    /// <summary>SaveWeights then LoadWeights into a differently initialised model gives bit-identical logits.</summary>
    [Theory]
    [InlineData("tiny-gpt")]
    [InlineData("tiny-llama")]
    public void WeightFilesRoundTrip(string name)
    {
        using var temp = new TempDirectory();
        var overrides = name == "tiny-gpt" ? SmallGpt : SmallLlama;
        using var original = Build(name, overrides, seed: 21);
        using var copy = Build(name, overrides, seed: 22);
        var path = temp.File(name + ".safetensors");
        original.SaveWeights(path, new Dictionary<string, string> { ["model"] = name });

        using var noGrad = Torch.NoGrad();
        using var scope = TensorScope.Enter();
        Torch.ManualSeed(23);
        var inputs = new Dictionary<string, Tensor> { ["tokens"] = Tensor.RandInt(0, 64, [2, 10]) };
        var before = copy.Run(inputs).Output;
        var expected = original.Run(inputs).Output;
        Assert.False(expected.Equal(before), "differently seeded models should differ before loading");

        var report = copy.LoadWeights(path);
        Assert.True(report.IsClean, report.ToString());
        var after = copy.Run(inputs).Output;
        Assert.True(expected.Equal(after), "logits after loading the saved weights differ");

        // The file holds exactly the state dict (tensors freed by the scope), and the metadata.
        var saved = TensorFile.Load(path, out var metadata);
        Assert.Equal(name, metadata["model"]);
        Assert.Equal(original.StateDict().Keys.Order(StringComparer.Ordinal), saved.Keys.Order(StringComparer.Ordinal));
    }
}
