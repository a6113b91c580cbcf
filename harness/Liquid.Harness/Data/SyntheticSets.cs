namespace Liquid.Harness.Data;

/// <summary>
/// Built-in data sets computed from known dynamics, the same on every machine (SplitMix64 seeds,
/// double-precision integration), so the dynamical-system demos need nothing downloaded:
/// <list type="bullet">
/// <item><c>builtin:spiral</c> — the neural-ODE demo of Chen et al. (2018) as torchdiffeq's example
/// has it: dy/dt = (y³)·A with A = [[−0.1, 2], [−2, −0.1]] from y(0) = (2, 0), sampled every 0.025 over
/// [0, 25]. Each example is a segment of it: <c>y0</c> float[2] (its first point) and
/// <c>trajectory</c> float[N, 2] (N points 0.025 apart, N from the model's field, default 10).</item>
/// <item><c>builtin:damped-oscillator</c> — damped harmonic oscillators x'' + 2ζωx' + ω²x = 0 with a
/// frequency ω ∈ [1, 3] and damping ζ ∈ [0.05, 0.3] drawn per sequence, observed at irregular times
/// (exponential gaps of mean 0.2): <c>obs</c> float[T, 2] (position and velocity, plus N(0, 0.01²)
/// noise), <c>dt</c> float[T] (the time from each observation to the next) and <c>next_obs</c>
/// float[T, 2] (the next observation), T from the model's fields (default 32).</item>
/// </list>
/// </summary>
internal static class SyntheticSets
{
    public const string Spiral = "builtin:spiral";
    public const string Oscillator = "builtin:damped-oscillator";

    /// <summary>The spiral's sampling step: a model's time span for N points is (N − 1)·0.025.</summary>
    public const double SpiralStep = 0.025;

    private const int SpiralPoints = 1001;
    private const int Sequences = 4000;

    public static List<(Split? Split, ExampleTable Table)> ReadSpiral(IReadOnlyList<FieldSpec> fields, Action<string>? log)
    {
        var points = Length(fields, "trajectory", 10, Spiral, [("y0", [2]), ("trajectory", [null, 2])]);
        var path = SpiralPath();
        var count = SpiralPoints - points + 1;
        var y0 = new float[count * 2];
        var trajectory = new float[count * points * 2];
        for (var start = 0; start < count; start++)
        {
            y0[start * 2] = (float)path[start, 0];
            y0[start * 2 + 1] = (float)path[start, 1];
            for (var k = 0; k < points; k++)
            {
                trajectory[(start * points + k) * 2] = (float)path[start + k, 0];
                trajectory[(start * points + k) * 2 + 1] = (float)path[start + k, 1];
            }
        }
        var table = new ExampleTable($"{Spiral} ({count} segments of {points} points)", count, Pick(fields, new()
        {
            ["y0"] = ([2], y0),
            ["trajectory"] = ([points, 2], trajectory),
        }));
        return [(null, table)];
    }

    /// <summary>The true spiral at t = 0, 0.025, …, 25, by RK4 with 20 substeps per sample (error far below float32's).</summary>
    private static double[,] SpiralPath()
    {
        static (double, double) Field(double a, double b)
        {
            // (y³)·A, A = [[-0.1, 2], [-2, -0.1]]: row vector times matrix.
            double a3 = a * a * a, b3 = b * b * b;
            return (-0.1 * a3 - 2 * b3, 2 * a3 - 0.1 * b3);
        }
        var path = new double[SpiralPoints, 2];
        double y1 = 2, y2 = 0;
        const int substeps = 20;
        const double h = SpiralStep / substeps;
        for (var i = 0; i < SpiralPoints; i++)
        {
            path[i, 0] = y1;
            path[i, 1] = y2;
            for (var s = 0; s < substeps; s++)
            {
                var (k1a, k1b) = Field(y1, y2);
                var (k2a, k2b) = Field(y1 + h / 2 * k1a, y2 + h / 2 * k1b);
                var (k3a, k3b) = Field(y1 + h / 2 * k2a, y2 + h / 2 * k2b);
                var (k4a, k4b) = Field(y1 + h * k3a, y2 + h * k3b);
                y1 += h / 6 * (k1a + 2 * k2a + 2 * k3a + k4a);
                y2 += h / 6 * (k1b + 2 * k2b + 2 * k3b + k4b);
            }
        }
        return path;
    }

    public static List<(Split? Split, ExampleTable Table)> ReadOscillator(IReadOnlyList<FieldSpec> fields, Action<string>? log)
    {
        var steps = Length(fields, "obs", 32, Oscillator, [("obs", [null, 2]), ("dt", [null]), ("next_obs", [null, 2])]);
        var x = new float[Sequences * steps * 2];
        var dt = new float[Sequences * steps];
        var next = new float[Sequences * steps * 2];
        var state = 20_261_204UL;
        double Uniform() => (Shuffle.SplitMix64(ref state) >> 11) * (1.0 / (1UL << 53));
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - Uniform())) * Math.Cos(2 * Math.PI * Uniform());
        for (var n = 0; n < Sequences; n++)
        {
            var omega = 1 + 2 * Uniform();
            var zeta = 0.05 + 0.25 * Uniform();
            var (position, velocity) = (2 * Uniform() - 1, 2 * Uniform() - 1);
            var time = 0.0;
            var observations = new (double Position, double Velocity, double Time)[steps + 1];
            for (var k = 0; k <= steps; k++)
            {
                if (k > 0) time += -0.2 * Math.Log(1 - Uniform());
                var (p, v) = Damped(position, velocity, omega, zeta, time);
                observations[k] = (p + 0.01 * Gaussian(), v + 0.01 * Gaussian(), time);
            }
            for (var k = 0; k < steps; k++)
            {
                var at = n * steps + k;
                x[at * 2] = (float)observations[k].Position;
                x[at * 2 + 1] = (float)observations[k].Velocity;
                dt[at] = (float)(observations[k + 1].Time - observations[k].Time);
                next[at * 2] = (float)observations[k + 1].Position;
                next[at * 2 + 1] = (float)observations[k + 1].Velocity;
            }
        }
        var table = new ExampleTable($"{Oscillator} ({Sequences} sequences of {steps} irregular observations)", Sequences, Pick(fields, new()
        {
            ["obs"] = ([steps, 2], x),
            ["dt"] = ([steps], dt),
            ["next_obs"] = ([steps, 2], next),
        }));
        return [(null, table)];
    }

    /// <summary>The underdamped oscillator's closed form from (x0, v0) at t = 0.</summary>
    private static (double Position, double Velocity) Damped(double x0, double v0, double omega, double zeta, double t)
    {
        var decay = zeta * omega;
        var wd = omega * Math.Sqrt(1 - zeta * zeta);
        var (c1, c2) = (x0, (v0 + decay * x0) / wd);
        var e = Math.Exp(-decay * t);
        var (cos, sin) = (Math.Cos(wd * t), Math.Sin(wd * t));
        var position = e * (c1 * cos + c2 * sin);
        var velocity = e * ((-decay * c1 + wd * c2) * cos + (-decay * c2 - wd * c1) * sin);
        return (position, velocity);
    }

    /// <summary>
    /// The length the model asks for (the first dimension of <paramref name="field"/>, or
    /// <paramref name="fallback"/> when open), after checking every field is one the set offers.
    /// </summary>
    private static int Length(IReadOnlyList<FieldSpec> fields, string field, int fallback, string name, (string Name, long?[] Shape)[] offered)
    {
        var length = fallback;
        foreach (var spec in fields)
        {
            var match = offered.FirstOrDefault(o => o.Name == spec.Name);
            if (match.Name is null)
                throw new DataException($"{name} has no field '{spec.Name}'; it offers {string.Join(", ", offered.Select(o => $"{o.Name}: float[{string.Join(", ", o.Shape.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "N"))}]"))}");
            if (spec.Type != FieldType.Float32 || spec.Shape.Count != match.Shape.Length
                || spec.Shape.Zip(match.Shape, (a, b) => b is null || a is null || a == b).Any(ok => !ok))
                throw new DataException($"{name}: field '{spec.Name}' is float[{string.Join(", ", match.Shape.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "N"))}], but the model expects {spec}");
            if (spec.Name == field && spec.Shape[0] is { } given) length = (int)given;
            else if (match.Shape[0] is null && spec.Shape[0] is { } other) length = (int)other;
        }
        if (length < 1 || length > 1000) throw new DataException($"{name}: sequences of {length} points are outside 1 … 1000");
        return length;
    }

    private static IReadOnlyDictionary<string, (long[] Shape, Array Values)> Pick(IReadOnlyList<FieldSpec> fields, Dictionary<string, (long[] Shape, Array Values)> all) =>
        fields.ToDictionary(f => f.Name, f => all[f.Name], StringComparer.Ordinal);
}
