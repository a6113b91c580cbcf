using Liquid.Models.Tests.Support;
using Liquid.Runtime;
using Liquid.Runtime.Serialization;
using Xunit.Abstractions;

namespace Liquid.Models.Tests;

/// <summary>
/// models/liquid-foundation-tiny.model.yaml, compiled, against the independent plain-PyTorch decoder of
/// tests/reference/make_foundation_model.py at tiny sizes (config overrides from the file's metadata)
/// with the same random weights, loaded strictly: logits, the reconstruction loss, the mixtures'
/// auxiliary loss summed over the blocks, each objective term (cross-entropy with label smoothing,
/// focal, the two auxiliary terms), the total, every gradient, and what the layers report per step
/// (expert usage, mean k, the embedding's compression ratio).
/// </summary>
/// <remarks>
/// Tolerances as in <see cref="ModelReferenceTests"/> (norm-wise relative error per tensor, which
/// scales with the tensor's largest entry): f64 ≤ 1e-10, f32 ≤ 1e-5. The reference's discrete
/// decisions (dynamic k, experts chosen, significant FFT bins, floors of the deformable offsets) keep
/// margins of at least 1e-4 from their boundaries (the script checks and records them), so float32
/// rounding here cannot flip one. The two sides differ in form: the runtime attends through the band
/// kernel, dispatches tokens to their experts and samples deformable taps by index_select; the
/// reference runs dense masked attention, every expert on every token, and a loop over taps.
/// </remarks>
public sealed class FoundationModelReferenceTests : IDisposable
{
    private readonly ITestOutputHelper _log;
    private readonly Dictionary<string, Tensor> _data;
    private readonly IReadOnlyDictionary<string, string> _metadata;

    public FoundationModelReferenceTests(ITestOutputHelper log)
    {
        _log = log;
        _data = TensorFile.Load(RepoPaths.Combine("tests", "reference", "data", "foundation_model.safetensors"), out var metadata);
        _metadata = metadata;
    }

    private Dictionary<string, string> Overrides() =>
        _metadata["foundation_model.config"].Split(',').Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);

    [Theory]
    [InlineData("f64")]
    [InlineData("f32")]
    public void LogitsLossesObjectiveGradientsAndReportsMatchPyTorch(string precision)
    {
        var (dtype, tolerance) = precision == "f64" ? (DType.Float64, 1e-10) : (DType.Float32, 1e-5);
        var prefix = $"foundation_model.{precision}.";
        var live = Torch.LiveTensors;
        using (var model = new LiquidFoundationTiny(LiquidFoundationTinyConfig.FromOverrides(Overrides())))
        {
            if (dtype == DType.Float64) model.To(DType.Float64);
            model.Eval(); // the reference has no dropout
            var report = model.LoadStateDict(_data.Where(p => p.Key.StartsWith(prefix + "weight.", StringComparison.Ordinal))
                .ToDictionary(p => p.Key[(prefix.Length + "weight.".Length)..], p => p.Value), strict: true);
            Assert.True(report.IsClean, report.ToString());

            using var scope = TensorScope.Enter();
            model.ZeroGrad();
            using var output = model.Forward(_data["foundation_model.tokens"]);
            Compare.Close(_data[prefix + "logits"], output.Logits, tolerance, "logits");
            Compare.Close(_data[prefix + "reconstruction"], output.Reconstruction, tolerance, "reconstruction (the embedding's auxiliary loss)");
            Compare.Close(_data[prefix + "moe_aux"], output.MoeAux, tolerance, "moe_aux (summed over both blocks)");

            using var objective = model.Objective(output, _data["foundation_model.next_tokens"]);
            Assert.Equal(["cross_entropy", "focal", "reconstruction", "moe_aux"], objective.Terms.Select(t => t.Name));
            Assert.Equal([1.0, 1.0, 1.0, 1.0], objective.Terms.Select(t => t.Weight));
            Compare.Close(_data[prefix + "cross_entropy"], objective.Terms[0].Value, tolerance, "cross_entropy term (label smoothing 0.1)");
            Compare.Close(_data[prefix + "focal"], objective.Terms[1].Value, tolerance, "focal term (α 1, γ 2)");
            Compare.Close(_data[prefix + "reconstruction"], objective.Terms[2].Value, tolerance, "reconstruction term");
            Compare.Close(_data[prefix + "moe_aux"], objective.Terms[3].Value, tolerance, "moe_aux term");
            Compare.Close(_data[prefix + "loss"], objective.Total, tolerance, "total");
            _log.WriteLine($"{precision}: loss {objective.Total.Item():R}; seed {_metadata["foundation_model.seed"]}, k in {_metadata["foundation_model.k"]}, margins {_metadata["foundation_model.margins"]}");

            // Reports: counts and ratios, exact up to the division that makes them shares.
            foreach (var metric in _data.Keys.Where(k => k.StartsWith(prefix + "metric.", StringComparison.Ordinal)))
            {
                var name = metric[(prefix.Length + "metric.".Length)..];
                Assert.True(output.Metrics.TryGetValue(name, out var reported), $"the model reports no '{name}'; it reports {string.Join(", ", output.Metrics.Keys)}");
                var expected = _data[metric].ToArray<double>();
                var actual = reported!.To(DType.Float64).ToArray<double>();
                Assert.Equal(expected.Length, actual.Length);
                for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 6);
            }

            objective.Total.Backward();
            foreach (var (name, parameter) in model.NamedParameters())
                Compare.Close(_data[prefix + "grad." + name], parameter.Grad!, tolerance, $"d loss / d {name}");
            Assert.Equal(_data.Keys.Count(k => k.StartsWith(prefix + "grad.", StringComparison.Ordinal)), model.NamedParameters().Count());
        }
        Assert.Equal(live, Torch.LiveTensors);
    }

    public void Dispose()
    {
        foreach (var tensor in _data.Values) tensor.Dispose();
    }
}
