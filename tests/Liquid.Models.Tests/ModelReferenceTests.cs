using Liquid.Models.Tests.Support;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;
using Xunit.Abstractions;

namespace Liquid.Models.Tests;

/// <summary>
/// The reference data written by tests/reference/make_models.py: independent plain-PyTorch TinyGpt and
/// TinyLlama with random weights, and their logits, loss and gradients, in float64 and float32.
/// </summary>
public sealed class ReferenceData : IDisposable
{
    public static readonly string FilePath = RepoPaths.Combine("tests", "reference", "data", "models.safetensors");

    public ReferenceData()
    {
        Tensors = TensorFile.Load(FilePath, out var metadata);
        Metadata = metadata;
    }

    public Dictionary<string, Tensor> Tensors { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public Tensor this[string name] =>
        Tensors.TryGetValue(name, out var tensor) ? tensor : throw new KeyNotFoundException($"{FilePath} has no tensor '{name}'");

    /// <summary>The config overrides the script used for <paramref name="model"/> ("name=value,name=value").</summary>
    public Dictionary<string, string> Overrides(string model) =>
        Metadata[model + ".config"].Split(',').Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);

    /// <summary>The tensors whose names start with <paramref name="prefix"/>, keyed by the rest of the name.</summary>
    public Dictionary<string, Tensor> WithPrefix(string prefix) =>
        Tensors.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(t => t.Key[prefix.Length..], t => t.Value, StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var tensor in Tensors.Values) tensor.Dispose();
    }
}

/// <summary>
/// Each compiled model against the independent PyTorch implementation, with the same weights: logits,
/// loss and the gradient of the loss with respect to every parameter.
/// </summary>
/// <remarks>
/// Tolerances (norm-wise relative error, <see cref="Compare.RelativeError"/>, per tensor):
/// float64 ≤ 1e-10 — both sides compute in double; the only differences are summation order and op
/// decomposition (fused vs. repeated GQA heads, scaling before vs. after the matmul), worth ~1e-15 per
/// op (observed: ≤ 2e-15), so 1e-10 leaves five orders of margin yet catches any formula difference
/// (measured on the TinyLlama logits: RMSNorm eps 1e-5 instead of 1e-6 → 4e-5, RoPE θ off by 1% → 9e-4,
/// interleaved instead of rotate-half RoPE → 0.8).
/// float32 ≤ 1e-5 — float32's ~6e-8 unit round-off accumulated through two blocks, the softmax and
/// the backward pass (observed: ≤ 1e-6); it still catches everything but the eps slip.
/// </remarks>
public sealed class ModelReferenceTests(ReferenceData data, ITestOutputHelper log) : IClassFixture<ReferenceData>
{
    private const double Float64Tolerance = 1e-10;
    private const double Float32Tolerance = 1e-5;

    [Theory]
    [InlineData("tiny_gpt", "f64")]
    [InlineData("tiny_gpt", "f32")]
    [InlineData("tiny_llama", "f64")]
    [InlineData("tiny_llama", "f32")]
    public void ForwardLossAndGradientsMatchPyTorch(string model, string precision)
    {
        var tolerance = precision == "f64" ? Float64Tolerance : Float32Tolerance;
        var dtype = precision == "f64" ? DType.Float64 : DType.Float32;
        var prefix = $"{model}.{precision}.";
        var overrides = data.Overrides(model);

        using var compiled = model switch
        {
            "tiny_gpt" => TinyGpt.ModelInfo.Create(overrides),
            "tiny_llama" => TinyLlama.ModelInfo.Create(overrides),
            _ => throw new ArgumentException(model),
        };
        Assert.IsType(model == "tiny_gpt" ? typeof(TinyGpt) : typeof(TinyLlama), compiled);
        if (dtype == DType.Float64) compiled.To(DType.Float64);
        compiled.Eval();

        // Strict: every key of the PyTorch state dict is ours and every one of ours is in the file.
        var weights = data.WithPrefix(prefix + "weight.");
        var report = compiled.LoadStateDict(weights, strict: true);
        Assert.True(report.IsClean, report.ToString());
        foreach (var (name, parameter) in compiled.NamedParameters())
            Assert.True(parameter.DType == dtype, $"{name} is {parameter.DType}, expected {dtype}");

        using var scope = TensorScope.Enter();
        var tokens = data[$"{model}.tokens"];
        var targets = data[$"{model}.targets"];
        compiled.ZeroGrad();
        using var output = compiled.Run(new Dictionary<string, Tensor> { ["tokens"] = tokens });
        Assert.Equal(dtype, output.Output.DType);
        Compare.Close(data[prefix + "logits"], output.Output, tolerance, $"{model} {precision} logits");
        log.WriteLine($"logits: relative error {Compare.RelativeError(data[prefix + "logits"], output.Output):G3}");

        var loss = compiled.Loss(output, targets);
        Compare.Close(data[prefix + "loss"], loss, tolerance, $"{model} {precision} loss");
        log.WriteLine($"loss {loss.Item():R}: relative error {Compare.RelativeError(data[prefix + "loss"], loss):G3}");

        loss.Backward();
        var expectedGradients = data.WithPrefix(prefix + "grad.");
        var names = new List<string>();
        var worst = (Error: 0.0, Name: "");
        foreach (var (name, parameter) in compiled.NamedParameters())
        {
            names.Add(name);
            Assert.True(expectedGradients.ContainsKey(name), $"the reference has no gradient for {name}");
            var gradient = parameter.Grad;
            Assert.True(gradient is not null, $"{name} got no gradient");
            Compare.Close(expectedGradients[name], gradient, tolerance, $"{model} {precision} d loss / d {name}");
            var error = Compare.RelativeError(expectedGradients[name], gradient);
            if (error >= worst.Error) worst = (error, name);
        }
        log.WriteLine($"gradients ({names.Count}): worst relative error {worst.Error:G3} ({worst.Name})");
        Assert.Equal(expectedGradients.Keys.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ReferenceUsesTheSmallConfigsItDeclares()
    {
        // The script's sizes are the YAML defaults made smaller; the keys it declares must be config names.
        Assert.All(data.Overrides("tiny_gpt").Keys, key => Assert.Contains(key, TinyGptConfig.Names));
        Assert.All(data.Overrides("tiny_llama").Keys, key => Assert.Contains(key, TinyLlamaConfig.Names));
        Assert.Equal(new long[] { 2, 16 }, data["tiny_gpt.tokens"].Shape);
        Assert.Equal(new long[] { 2, 16 }, data["tiny_llama.tokens"].Shape);
        Assert.Equal(0.0, new TinyGptConfig().Dropout);
    }
}
