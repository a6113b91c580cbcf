using System.Globalization;
using System.Text.Json;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Tests.Serialization;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>
/// Learning-rate schedules against the sequences torch.optim.lr_scheduler produces
/// (tests/reference/make_schedules.py → data/schedules.json). PyTorch mostly computes them
/// recursively (lr_t from lr_{t−1}); ours are closed forms, so they agree to rounding.
/// </summary>
public sealed class ScheduleTests
{
    private const double Rtol = 1e-12;

    private static readonly Lazy<JsonElement> s_cases = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllText(RepoPaths.Combine("tests", "reference", "data", "schedules.json")));
        return document.RootElement.GetProperty("cases").Clone();
    });

    private static JsonElement Case(string name) => s_cases.Value.GetProperty(name);

    private static double Option(JsonElement c, string key) => c.GetProperty("options").GetProperty(key).GetDouble();

    private static long LongOption(JsonElement c, string key) => c.GetProperty("options").GetProperty(key).GetInt64();

    private static double[] Rates(JsonElement c) => c.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static readonly string[] s_closedFormCases = ["constant", "linear", "warmup_cosine", "warm_restarts", "warm_restarts_fixed", "step"];

    public static TheoryData<string> ClosedFormCases
    {
        get
        {
            var rows = new TheoryData<string>();
            foreach (var name in s_closedFormCases) rows.Add(name);
            return rows;
        }
    }

    [Fact]
    public void Every_reference_case_is_tested()
    {
        string[] tested = [.. s_closedFormCases, "cosine", "plateau"];
        Assert.Equal(
            s_cases.Value.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal),
            tested.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ClosedFormCases))]
    public void Schedule_matches_torch_lr_scheduler(string name)
    {
        var c = Case(name);
        var expected = Rates(c);
        Assert.True(expected.Length >= 60);
        AssertRates(name, expected, Schedule(name, c), 0, expected.Length);
    }

    /// <summary>
    /// CosineAnnealingLR agrees on steps 0…T_max. After T_max PyTorch's rate climbs back up (its
    /// closed form is periodic); CosineSchedule holds eta_min, as documented (the LLM recipe
    /// decays once and stays at the floor). The reference keeps PyTorch's continuation so the
    /// difference stays visible.
    /// </summary>
    [Fact]
    public void Cosine_matches_CosineAnnealingLR_up_to_T_max_then_holds_the_floor()
    {
        var c = Case("cosine");
        var expected = Rates(c);
        var tMax = LongOption(c, "T_max");
        var schedule = new CosineSchedule(Option(c, "lr"), Option(c, "eta_min"), tMax);
        Assert.True(tMax < expected.Length - 1, "the reference runs past T_max");
        AssertRates("cosine", expected, schedule, 0, (int)tMax + 1);
        Assert.Equal(Option(c, "eta_min"), expected[tMax]);
        for (var t = tMax + 1; t < expected.Length; t++)
        {
            Assert.Equal(Option(c, "eta_min"), schedule.LearningRate(t));
            Assert.True(expected[t] > Option(c, "eta_min"), "PyTorch's CosineAnnealingLR rises again after T_max");
        }
    }

    [Fact]
    public void ReduceOnPlateau_matches_ReduceLROnPlateau()
    {
        var c = Case("plateau");
        var expected = Rates(c);
        var metrics = c.GetProperty("metrics").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(expected.Length, metrics.Length);
        var schedule = new ReduceOnPlateauSchedule(Option(c, "lr"), Option(c, "factor"), (int)LongOption(c, "patience"), Option(c, "min_lr"),
            (int)LongOption(c, "cooldown"), Option(c, "threshold"), Option(c, "eps"));
        Assert.Equal(Option(c, "lr"), schedule.Rate);
        for (var t = 0; t < metrics.Length; t++)
        {
            var rate = schedule.Observe(metrics[t]);
            Assert.Equal(rate, schedule.Rate);
            // Products of the factor: exact.
            if (rate != expected[t])
                Assert.Fail(string.Format(CultureInfo.InvariantCulture, "plateau, metric {0} ({1:R}): expected lr {2:R}, got {3:R}", t, metrics[t], expected[t], rate));
        }
        Assert.True(expected.Distinct().Count() >= 4, "the metric curve exercises several reductions");
    }

    private static ILearningRateSchedule Schedule(string name, JsonElement c) => name switch
    {
        "constant" => new ConstantSchedule(Option(c, "lr") * Option(c, "factor")),
        "linear" => new LinearWarmupSchedule(Option(c, "lr"), LongOption(c, "total_iters"), Option(c, "start_factor")),
        "warmup_cosine" => new WarmupCosineSchedule(Option(c, "lr"), Option(c, "eta_min"), LongOption(c, "warmup"), LongOption(c, "total"), Option(c, "start_factor")),
        "warm_restarts" or "warm_restarts_fixed" => new CosineWarmRestartsSchedule(Option(c, "lr"), Option(c, "eta_min"), LongOption(c, "T_0"), LongOption(c, "T_mult")),
        "step" => new StepSchedule(Option(c, "lr"), LongOption(c, "step_size"), Option(c, "gamma")),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no schedule for this case"),
    };

    private static void AssertRates(string name, double[] expected, ILearningRateSchedule schedule, int from, int to)
    {
        for (var t = from; t < to; t++)
        {
            var actual = schedule.LearningRate(t);
            if (Math.Abs(actual - expected[t]) > Rtol * Math.Abs(expected[t]))
                Assert.Fail(string.Format(CultureInfo.InvariantCulture, "{0}, step {1}: expected lr {2:R}, got {3:R} (relative error {4:G3} > {5:G3})",
                    name, t, expected[t], actual, Math.Abs(actual - expected[t]) / Math.Abs(expected[t]), Rtol));
        }
    }
}
