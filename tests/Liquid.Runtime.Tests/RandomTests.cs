namespace Liquid.Runtime.Tests;

/// <summary>
/// libtorch's default generator is process-wide: a test that seeds it and then draws must not
/// interleave with other tests drawing from it. xunit runs collections with
/// <c>DisableParallelization = true</c> alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRandomStateCollection
{
    /// <summary>The collection's name, for <c>[Collection(...)]</c>.</summary>
    public const string Name = "TorchRandomState";
}

[Collection(TorchRandomStateCollection.Name)]
public class RandomTests
{
    private static readonly Dictionary<string, Func<Tensor>> Generators = new()
    {
        ["Rand"] = () => Tensor.Rand([1000]),
        ["RandFloat64"] = () => Tensor.Rand([1000], DType.Float64),
        ["Randn"] = () => Tensor.Randn([1000]),
        ["RandInt"] = () => Tensor.RandInt(0, 1000, [1000]),
        ["RandnLike"] = () => Tensor.Zeros([1000]).RandnLike(),
        ["Uniform_"] = () => Tensor.Empty([1000]).Uniform_(-2, 3),
        ["Normal_"] = () => Tensor.Empty([1000]).Normal_(1, 2),
        ["Bernoulli_"] = () => Tensor.Empty([1000]).Bernoulli_(0.5),
        ["Dropout"] = () => Functional.Dropout(Tensor.Ones([1000]), 0.5, training: true),
        ["Multinomial"] = () => Tensor.Ones([4, 10]).Multinomial(8, replacement: true),
        ["MultinomialWithoutReplacement"] = () => Tensor.Ones([4, 10]).Multinomial(5),
    };

    public static TheoryData<string> GeneratorNames => new(Generators.Keys);

    private static double[] Draw(string generator, ulong? seed = null)
    {
        using var scope = TensorScope.Enter();
        if (seed is { } value) Torch.ManualSeed(value);
        return Generators[generator]().ToArray<double>();
    }

    [Theory, MemberData(nameof(GeneratorNames))]
    public void SameSeedGivesIdenticalResults(string generator)
    {
        var first = Draw(generator, seed: 2024);
        var second = Draw(generator, seed: 2024);
        Assert.Equal(first, second);
    }

    [Theory, MemberData(nameof(GeneratorNames))]
    public void DifferentSeedsGiveDifferentResults(string generator)
    {
        var first = Draw(generator, seed: 1);
        var second = Draw(generator, seed: 2);
        Assert.NotEqual(first, second);
    }

    [Theory, MemberData(nameof(GeneratorNames))]
    public void TheGeneratorAdvancesBetweenDraws(string generator)
    {
        var first = Draw(generator, seed: 7);
        var second = Draw(generator);
        Assert.NotEqual(first, second);
        var replay = Draw(generator, seed: 7);
        Assert.Equal(first, replay);
    }

    // Asserts |estimate − expected| ≤ 4 standard errors.
    private static void WithinFourStandardErrors(double expected, double estimate, double standardError, string what) =>
        Assert.True(Math.Abs(estimate - expected) <= 4 * standardError,
            $"{what}: {estimate} is more than 4 standard errors ({standardError:G3}) from {expected}");

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void RandValuesLieInTheUnitIntervalAndAreUniform(DType dtype)
    {
        const int n = 100_000;
        Torch.ManualSeed(11);
        using var sample = Tensor.Rand([n], dtype);
        Assert.Equal(dtype, sample.DType);
        var values = sample.ToArray<double>();
        Assert.All(values, v => Assert.True(v >= 0 && v < 1, $"{v} is outside [0, 1)"));
        // Uniform(0, 1): mean 1/2, variance 1/12; P(v < 1/4) = 1/4.
        WithinFourStandardErrors(0.5, values.Average(), Math.Sqrt(1.0 / 12 / n), "mean");
        WithinFourStandardErrors(0.25, values.Count(v => v < 0.25) / (double)n, Math.Sqrt(0.25 * 0.75 / n), "P(v < 1/4)");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void RandnHasMeanZeroAndStdOne(DType dtype)
    {
        const int n = 100_000;
        Torch.ManualSeed(12);
        using var sample = Tensor.Randn([n], dtype);
        var values = sample.ToArray<double>();
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        // Standard errors of a normal sample: σ/√n for the mean, ≈ σ/√(2n) for the standard deviation.
        WithinFourStandardErrors(0, mean, 1 / Math.Sqrt(n), "mean");
        WithinFourStandardErrors(1, std, 1 / Math.Sqrt(2.0 * n), "std");
        // And its shape: P(|v| < 1) = erf(1/√2) ≈ 0.682689.
        const double inside = 0.6826894921370859;
        WithinFourStandardErrors(inside, values.Count(v => Math.Abs(v) < 1) / (double)n, Math.Sqrt(inside * (1 - inside) / n), "P(|v| < 1)");
    }

    [Fact]
    public void NormalAndUniformInPlaceFollowTheirParameters()
    {
        const int n = 100_000;
        Torch.ManualSeed(13);
        using var normal = Tensor.Empty([n], DType.Float64).Normal_(3, 0.5);
        var values = normal.ToArray<double>();
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        WithinFourStandardErrors(3, mean, 0.5 / Math.Sqrt(n), "mean");
        WithinFourStandardErrors(0.5, std, 0.5 / Math.Sqrt(2.0 * n), "std");

        using var uniform = Tensor.Empty([n], DType.Float64).Uniform_(-2, 3);
        var u = uniform.ToArray<double>();
        Assert.All(u, v => Assert.InRange(v, -2, 3));
        WithinFourStandardErrors(0.5, u.Average(), 5 / Math.Sqrt(12.0 * n), "mean");
    }

    [Fact]
    public void RandIntStaysInItsRangeAndHitsEveryValue()
    {
        const int n = 70_000;
        Torch.ManualSeed(14);
        using var sample = Tensor.RandInt(-3, 4, [n]);
        Assert.Equal(DType.Int64, sample.DType);
        var values = sample.ToArray<long>();
        Assert.All(values, v => Assert.InRange(v, -3, 3));
        for (var v = -3; v <= 3; v++)
        {
            var frequency = values.Count(x => x == v) / (double)n;
            WithinFourStandardErrors(1.0 / 7, frequency, Math.Sqrt(1.0 / 7 * 6 / 7 / n), $"P(v = {v})");
        }
    }

    [Fact]
    public void DropoutZeroesAboutPAndScalesTheRest()
    {
        const int n = 100_000;
        const double p = 0.3;
        Torch.ManualSeed(15);
        using var scope = TensorScope.Enter();
        var values = Functional.Dropout(Tensor.Ones([n], DType.Float64), p, training: true).ToArray<double>();
        var zeros = values.Count(v => v == 0);
        Assert.All(values, v => Assert.True(v == 0 || Math.Abs(v - 1 / (1 - p)) < 1e-12, $"{v} is neither 0 nor 1/(1-p)"));
        WithinFourStandardErrors(p, zeros / (double)n, Math.Sqrt(p * (1 - p) / n), "fraction dropped");
        // Not training: the identity.
        Assert.All(Functional.Dropout(Tensor.Ones([100]), p, training: false).ToArray<float>(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void BernoulliFillsWithZerosAndOnesAtRateP()
    {
        const int n = 100_000;
        Torch.ManualSeed(16);
        using var sample = Tensor.Empty([n]).Bernoulli_(0.2);
        var values = sample.ToArray<float>();
        Assert.All(values, v => Assert.True(v == 0 || v == 1));
        WithinFourStandardErrors(0.2, values.Count(v => v == 1) / (double)n, Math.Sqrt(0.2 * 0.8 / n), "P(1)");
    }

    [Fact]
    public void MultinomialFollowsTheProbabilities()
    {
        const int draws = 50_000;
        var weights = new double[] { 1, 0, 3, 6 };       // unnormalized: 0.1, 0, 0.3, 0.6
        Torch.ManualSeed(17);
        using var scope = TensorScope.Enter();
        var samples = Tensor.From(weights).Multinomial(draws, replacement: true).ToArray<long>();
        Assert.Equal(draws, samples.Length);
        Assert.DoesNotContain(1L, samples);
        for (var c = 0; c < weights.Length; c++)
        {
            var p = weights[c] / weights.Sum();
            WithinFourStandardErrors(p, samples.Count(s => s == c) / (double)draws, Math.Sqrt(p * (1 - p) / draws) + 1e-12, $"P({c})");
        }
    }

    [Fact]
    public void MultinomialWithoutReplacementDrawsDistinctPossibleCategories()
    {
        Torch.ManualSeed(18);
        using var scope = TensorScope.Enter();
        var weights = new double[] { 0.2, 0, 0.5, 0.1, 0, 0.2, 0.3, 0.1, 0.4, 0 };
        var probabilities = Tensor.From(weights, 2, 5);
        for (var trial = 0; trial < 200; trial++)
        {
            var samples = probabilities.Multinomial(3).ToArray<long>();
            for (var row = 0; row < 2; row++)
            {
                var picked = samples.Skip(row * 3).Take(3).ToArray();
                Assert.Equal(3, picked.Distinct().Count());
                Assert.All(picked, c => Assert.NotEqual(0.0, weights[row * 5 + c]));
            }
        }
    }
}
