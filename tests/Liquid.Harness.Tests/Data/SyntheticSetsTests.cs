using System.Text.Json;
using Liquid.Harness.Data;

namespace Liquid.Harness.Tests.Data;

/// <summary>
/// The dynamical-system sets checked against their equations rather than against the generator's
/// own code: the spiral against SciPy's solution of dy/dt = (y³)·A, and the oscillator's observations must move as their own velocities say.
/// </summary>
public sealed class SyntheticSetsTests : DataFolderTest
{
    private static readonly FieldSpec[] SpiralFields = [Float("y0", 2), Float("trajectory", 10, 2)];

    [Fact]
    public void SpiralSegmentsAreOverlappingWindowsOfOnePathFromTwoZero()
    {
        var set = ExampleSet.Load("builtin:spiral", SpiralFields);
        var y0 = (float[])set["y0"].Values;
        var path = (float[])set["trajectory"].Values;
        Assert.Equal(1001 - 10 + 1, set.Count);
        Assert.Equal([2f, 0f], y0[..2]);
        for (var s = 0; s < set.Count; s++)
        {
            Assert.Equal(y0[(2 * s)..(2 * s + 2)], path[(20 * s)..(20 * s + 2)]);
            if (s + 1 < set.Count) Assert.Equal(path[(20 * s + 2)..(20 * s + 20)], path[(20 * (s + 1))..(20 * (s + 1) + 18)]);
        }
        Assert.Equal(set.Count, set.Train.Count + set.Validation.Count + set.Test.Count);
    }

    [Fact]
    public void SpiralIsSciPysSolutionOfTheCubicField()
    {
        // tests/reference/data/spiral.json: make_spiral.py, DOP853 at tolerance 1e-12 (every 10th sample).
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(Liquid.Tests.RepositoryRoot.Path, "tests", "reference", "data", "spiral.json")));
        var every = reference.RootElement.GetProperty("every").GetInt32();
        var points = reference.RootElement.GetProperty("points").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var set = ExampleSet.Load("builtin:spiral", [Float("y0", 2), Float("trajectory", 1, 2)]);
        var y0 = (float[])set["y0"].Values;   // with one point per segment, segment k starts at sample k
        Assert.Equal(1001, set.Count);
        for (var i = 0; i < points.Length; i++)
            for (var c = 0; c < 2; c++)
                // float32 storage rounds |y| ≤ 2 to within 1.2e-7; the integrators differ far less.
                Assert.True(Math.Abs(y0[2 * i * every + c] - points[i][c]) <= 2e-7, $"sample {i * every}, component {c}: {y0[2 * i * every + c]} vs {points[i][c]}");
    }

    [Fact]
    public void OscillatorObservationsChainAndMoveWithTheirVelocity()
    {
        var set = ExampleSet.Load("builtin:damped-oscillator", [Float("obs", 32, 2), Float("dt", 32), Float("next_obs", 32, 2)]);
        var x = (float[])set["obs"].Values;
        var dt = (float[])set["dt"].Values;
        var next = (float[])set["next_obs"].Values;
        Assert.Equal(4000, set.Count);
        Assert.All(dt, d => Assert.True(d > 0));
        Assert.InRange(dt.Average(d => (double)d), 0.19, 0.21);   // exponential gaps of mean 0.2, 128,000 of them

        double residual = 0, displacement = 0;
        var counted = 0;
        for (var n = 0; n < set.Count; n++)
            for (var k = 0; k < 32; k++)
            {
                var at = n * 32 + k;
                if (k + 1 < 32) Assert.Equal(next[(2 * at)..(2 * at + 2)], x[(2 * at + 2)..(2 * at + 4)]);
                if (dt[at] is < 0.1f or > 0.3f) continue;
                // Position moves by the trapezoid of the velocities: its error, ω²|v|dt³/12 ≲ 0.01,
                // and the 0.01 observation noise stay well below the displacement itself.
                var moved = next[2 * at] - x[2 * at];
                var trapezoid = 0.5 * (x[2 * at + 1] + next[2 * at + 1]) * dt[at];
                residual += Math.Abs(moved - trapezoid);
                displacement += Math.Abs(trapezoid);
                counted++;
            }
        Assert.True(counted > 10_000);
        Assert.True(residual / counted < 0.03, $"mean |Δx − v̄·dt| = {residual / counted:F4}");
        Assert.True(displacement / counted > 0.05, $"mean |v̄·dt| = {displacement / counted:F4}");
    }

    [Fact]
    public void SetsAreTheSameOnEveryLoad()
    {
        var fields = new[] { Float("obs", 8, 2), Float("dt", 8), Float("next_obs", 8, 2) };
        Assert.Equal((float[])ExampleSet.Load("builtin:damped-oscillator", fields)["obs"].Values, (float[])ExampleSet.Load("builtin:damped-oscillator", fields)["obs"].Values);
    }

    [Fact]
    public void FieldsTheSetDoesNotOfferAreOneLineErrors()
    {
        AssertDataError(() => ExampleSet.Load("builtin:spiral", [Float("y0", 2), Float("velocity", 10, 2)]), "builtin:spiral", "velocity", "y0", "trajectory");
        AssertDataError(() => ExampleSet.Load("builtin:spiral", [Float("y0", 3)]), "builtin:spiral", "y0", "float[2]");
        AssertDataError(() => ExampleSet.Load("builtin:damped-oscillator", [Float("obs", 5000, 2)]), "5000", "1 … 1000");
    }
}
