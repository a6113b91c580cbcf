using System.Text.Json;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;
using Liquid.Runtime.Tests.Serialization;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>
/// Losses against PyTorch (tests/reference/make_losses.py → data/losses.safetensors): values and
/// gradients in float64. Focal loss is compared with its definition written out in Python.
/// </summary>
public sealed class LossTests(LossTests.Reference reference) : IClassFixture<LossTests.Reference>
{
    private const double Rtol = 1e-10;
    private const double Atol = 1e-14;

    /// <summary>The reference file, loaded once for the class.</summary>
    public sealed class Reference : IDisposable
    {
        public Reference()
        {
            Tensors = TensorFile.Load(RepoPaths.Combine("tests", "reference", "data", "losses.safetensors"), out var metadata);
            using var cases = JsonDocument.Parse(metadata["cases"]);
            Cases = cases.RootElement.Clone();
        }

        public Dictionary<string, Tensor> Tensors { get; }

        /// <summary>name → {kind, reduction, ignore_index, …}.</summary>
        public JsonElement Cases { get; }

        public Tensor this[string name] =>
            Tensors.TryGetValue(name, out var tensor) ? tensor : throw new KeyNotFoundException($"losses.safetensors has no tensor '{name}'");

        public Tensor? Optional(string name) => Tensors.GetValueOrDefault(name);

        public void Dispose()
        {
            foreach (var tensor in Tensors.Values) tensor.Dispose();
        }
    }

    private static readonly string[] s_cases =
    [
        "ce_mean", "ce_smoothing", "ce_custom_ignore_sum", "ce_none", "ce_3d",
        "focal_g2_a025", "focal_g05", "focal_g0", "focal_g15_custom_ignore", "focal_g3_confident",
        "mse_mean", "mse_sum", "mse_none",
        "smooth_l1_beta05_mean", "smooth_l1_beta1_sum", "smooth_l1_beta2_none",
        "cosine_margin0_mean", "cosine_margin02_sum", "cosine_margin_neg_none",
    ];

    public static TheoryData<string> Cases
    {
        get
        {
            var rows = new TheoryData<string>();
            foreach (var name in s_cases) rows.Add(name);
            return rows;
        }
    }

    [Fact]
    public void Every_reference_case_is_tested() =>
        Assert.Equal(
            reference.Cases.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal),
            s_cases.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_and_gradients_match_pytorch(string name)
    {
        var options = reference.Cases.GetProperty(name);
        using var scope = TensorScope.Enter();
        Tensor Leaf(string key) => reference[$"{name}.{key}"].Clone().RequiresGrad_();
        Tensor Input(string key) => reference[$"{name}.{key}"];

        Tensor loss;
        (string Name, Tensor Leaf)[] leaves;
        switch (options.GetProperty("kind").GetString())
        {
            case "cross_entropy":
            {
                var logits = Leaf("logits");
                loss = Losses.CrossEntropy(logits, Input("target"), Long(options, "ignore_index"), Double(options, "label_smoothing"), ReductionOf(options));
                leaves = [("logits", logits)];
                break;
            }
            case "focal":
            {
                var logits = Leaf("logits");
                loss = Losses.Focal(logits, Input("target"), Double(options, "alpha"), Double(options, "gamma"), Long(options, "ignore_index"));
                leaves = [("logits", logits)];
                break;
            }
            case "mse":
            {
                var input = Leaf("input");
                loss = Losses.Mse(input, Input("target"), ReductionOf(options));
                leaves = [("input", input)];
                break;
            }
            case "smooth_l1":
            {
                var input = Leaf("input");
                loss = Losses.SmoothL1(input, Input("target"), Double(options, "beta"), ReductionOf(options));
                leaves = [("input", input)];
                break;
            }
            case "cosine_embedding":
            {
                var a = Leaf("a");
                var b = Leaf("b");
                loss = Losses.CosineEmbedding(a, b, Input("target"), Double(options, "margin"), ReductionOf(options));
                leaves = [("a", a), ("b", b)];
                break;
            }
            default:
                throw new InvalidDataException($"unknown loss kind in losses.safetensors: {options}");
        }

        Assert.Equal(DType.Float64, loss.DType);
        TensorAssert.Close(Input("loss"), loss, Rtol, Atol);
        loss.Backward(reference.Optional($"{name}.upstream"));
        foreach (var (key, leaf) in leaves)
        {
            var grad = leaf.Grad ?? throw new Xunit.Sdk.XunitException($"{name}: no gradient reached {key}");
            try
            {
                TensorAssert.Close(Input($"grad.{key}"), grad, Rtol, Atol);
            }
            catch (Xunit.Sdk.XunitException error)
            {
                throw new Xunit.Sdk.XunitException($"{name}, d loss / d {key}: {error.Message}");
            }
        }
    }

    /// <summary>γ = 0, α = 1 is cross-entropy, and ignored tokens get exactly zero gradient for any γ.</summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void Focal_ignores_ignored_tokens(double gamma)
    {
        using var scope = TensorScope.Enter();
        var logits = reference["focal_g05.logits"].Clone().RequiresGrad_();
        var target = reference["focal_g05.target"];
        var focal = Losses.Focal(logits, target, alpha: 1, gamma: gamma);
        focal.Backward();
        var grad = logits.Grad!.ToArray<double>();
        Assert.All(grad, g => Assert.True(double.IsFinite(g)));
        var targets = target.ToArray<long>();
        var classes = logits.Size(1);
        for (var row = 0; row < targets.Length; row++)
            if (targets[row] == -100)
                for (var k = 0; k < classes; k++) Assert.Equal(0.0, grad[row * classes + k]);
        if (gamma == 0)
            TensorAssert.Close(Losses.CrossEntropy(logits, target), focal, 1e-14, 0);
    }

    private static long Long(JsonElement options, string key) => options.GetProperty(key).GetInt64();

    private static double Double(JsonElement options, string key) => options.GetProperty(key).GetDouble();

    private static Reduction ReductionOf(JsonElement options) => options.GetProperty("reduction").GetString() switch
    {
        "none" => Reduction.None,
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        var other => throw new InvalidDataException($"unknown reduction {other}"),
    };
}
