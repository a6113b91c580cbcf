using Liquid.Models.Tests.Fixtures;
using Liquid.Models.Tests.Support;
using Liquid.Runtime;
using Liquid.Runtime.Serialization;
using Xunit.Abstractions;

namespace Liquid.Models.Tests;

/// <summary>
/// The language-v2 fixture (tests/Liquid.Generator.Tests/Fixtures/irregular-sensor.model.yaml:
/// a float input and a timestamps input, two outputs, two targets, an auxiliary loss) compiled
/// against the runtime, against the plain-PyTorch model of tests/reference/make_fixtures.py with the
/// same weights: both outputs, the auxiliary loss, each objective term, the total and every gradient.
/// </summary>
/// <remarks>Tolerances as in <see cref="ModelReferenceTests"/>: f64 ≤ 1e-10, f32 ≤ 1e-5 (norm-wise relative).</remarks>
public sealed class FixtureReferenceTests(ITestOutputHelper log) : IDisposable
{
    private readonly Dictionary<string, Tensor> _data = TensorFile.Load(RepoPaths.Combine("tests", "reference", "data", "fixtures.safetensors"));

    [Theory]
    [InlineData("f64")]
    [InlineData("f32")]
    public void OutputsAuxiliaryLossObjectiveAndGradientsMatchPyTorch(string precision)
    {
        var (dtype, tolerance) = precision == "f64" ? (DType.Float64, 1e-10) : (DType.Float32, 1e-5);
        var prefix = $"irregular_sensor.{precision}.";
        using var model = new IrregularSensor();
        if (dtype == DType.Float64) model.To(DType.Float64);
        var report = model.LoadStateDict(_data.Where(p => p.Key.StartsWith(prefix + "weight.", StringComparison.Ordinal))
            .ToDictionary(p => p.Key[(prefix.Length + "weight.".Length)..], p => p.Value), strict: true);
        Assert.True(report.IsClean, report.ToString());

        using var scope = TensorScope.Enter();
        var inputs = new Dictionary<string, Tensor>
        {
            ["readings"] = _data["irregular_sensor.readings"].To(dtype),
            ["dt"] = _data["irregular_sensor.dt"].To(dtype),
        };
        var targets = new Dictionary<string, Tensor>
        {
            ["next_readings"] = _data["irregular_sensor.next_readings"].To(dtype),
            ["label"] = _data["irregular_sensor.label"],
        };
        model.ZeroGrad();
        using var output = (IrregularSensorOutput)model.Run(inputs);
        Compare.Close(_data[prefix + "forecast"], output.Forecast, tolerance, "forecast");
        Compare.Close(_data[prefix + "logits"], output.Logits, tolerance, "logits");
        Compare.Close(_data[prefix + "penalty"], output.ActivityPenalty, tolerance, "activity_penalty (the auxiliary loss)");
        Assert.Same(output.ActivityPenalty, output.Losses["activity_penalty"]);

        using var objective = model.Objective(output, targets);
        Assert.Equal(["mse", "cross_entropy", "activity_penalty"], objective.Terms.Select(t => t.Name));
        Assert.Equal([1.0, 0.5, 1.0], objective.Terms.Select(t => t.Weight));
        Compare.Close(_data[prefix + "mse"], objective.Terms[0].Value, tolerance, "mse term");
        Compare.Close(_data[prefix + "cross_entropy"], objective.Terms[1].Value, tolerance, "cross_entropy term");
        Compare.Close(_data[prefix + "penalty"], objective.Terms[2].Value, tolerance, "aux term");
        Compare.Close(_data[prefix + "loss"], objective.Total, tolerance, "total");
        log.WriteLine($"{precision}: loss {objective.Total.Item():R}, penalty {output.ActivityPenalty.Item():R}");

        objective.Total.Backward();
        foreach (var (name, parameter) in model.NamedParameters())
            Compare.Close(_data[prefix + "grad." + name], parameter.Grad!, tolerance, $"d loss / d {name}");
        Assert.Equal(_data.Keys.Count(k => k.StartsWith(prefix + "grad.", StringComparison.Ordinal)), model.NamedParameters().Count());
    }

    [Fact]
    public void TheAuxiliaryLossReachesTheObjective()
    {
        // Without the activity term the total drops by exactly the penalty: the aux weight is applied to the layer's loss.
        // In float64, so the sums agree to rounding of the order of 1e-16.
        using var model = new IrregularSensor(new IrregularSensorConfig { Activity = 0.5 });
        model.To(DType.Float64);
        using var scope = TensorScope.Enter();
        Torch.ManualSeed(3);
        var inputs = new Dictionary<string, Tensor> { ["readings"] = Tensor.Randn([2, 5, 3]).To(DType.Float64), ["dt"] = Tensor.Rand([2, 5]).To(DType.Float64) };
        var targets = new Dictionary<string, Tensor> { ["next_readings"] = Tensor.Randn([2, 5, 3]).To(DType.Float64), ["label"] = Tensor.From<long>([1, 3], [2]) };
        using var output = (IrregularSensorOutput)model.Run(inputs);
        using var objective = model.Objective(output, targets);
        var withoutAux = objective.Terms[0].Value.Item() + 0.5 * objective.Terms[1].Value.Item();
        Assert.True(output.ActivityPenalty.Item() > 1e-3, "the penalty should be visible at activity 0.5");
        Assert.Equal(withoutAux + output.ActivityPenalty.Item(), objective.Total.Item(), 12);
    }

    public void Dispose()
    {
        foreach (var tensor in _data.Values) tensor.Dispose();
    }
}
