using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Liquid.Runtime;

namespace Liquid.Benchmarks;

/// <summary>
/// Our side of benchmarks/compare.sh: <c>compare [--threads N] [--quick] CASE...</c> times each case with
/// the same rule as benchmarks/pytorch/compare.py and prints one JSON line per case.
/// </summary>
/// <remarks>
/// Cases: <c>sgemm-N</c>; <c>linear|mlp|attention[-gqa|-window]-dD[-fwd]</c> (forward + backward unless
/// <c>-fwd</c>); <c>MODEL/forward|train|generate</c> for the models of <see cref="ModelWorkload"/>.
/// </remarks>
public static class Compare
{
    /// <summary>Entry point of the mode; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        var threads = 1;
        var quick = false;
        double? seconds = null;
        var cases = new List<string>();
        for (var k = 0; k < args.Length; k++)
        {
            switch (args[k])
            {
                case "--threads":
                    threads = int.Parse(args[++k], CultureInfo.InvariantCulture);
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--seconds": // time each case this long (for profiling under perf)
                    seconds = double.Parse(args[++k], CultureInfo.InvariantCulture);
                    break;
                default:
                    cases.Add(args[k]);
                    break;
            }
        }
        if (cases.Count == 0)
        {
            Console.Error.WriteLine("usage: Liquid.Benchmarks compare [--threads N] [--quick] [--seconds S] CASE...");
            return 2;
        }
        Torch.SetThreads(threads);
        foreach (var name in cases) RunCase(name, quick, seconds);
        return 0;
    }

    /// <summary>Builds the workload a case name describes.</summary>
    public static Workload Create(string name)
    {
        if (name.StartsWith("sgemm-", StringComparison.Ordinal)) return new SgemmWorkload(long.Parse(name[6..], CultureInfo.InvariantCulture));
        if (name.Split('/') is [var model, var task])
            return new ModelWorkload(model, task switch
            {
                "forward" => ModelTask.Forward,
                "train" => ModelTask.Train,
                "generate" => ModelTask.Generate,
                "adamw" => ModelTask.AdamW,
                _ => throw new ArgumentException($"unknown task '{task}' in case '{name}'"),
            });
        var parts = name.Split('-');
        var kind = (parts[0], parts.Contains("gqa"), parts.Contains("window")) switch
        {
            ("linear", false, false) => LayerKind.Linear,
            ("mlp", false, false) => LayerKind.Mlp,
            ("attention", false, false) => LayerKind.Attention,
            ("attention", true, false) => LayerKind.AttentionGqa,
            ("attention", false, true) => LayerKind.AttentionWindow,
            _ => throw new ArgumentException($"unknown case '{name}'"),
        };
        var d = parts.FirstOrDefault(p => p.Length > 1 && p[0] == 'd' && char.IsAsciiDigit(p[1]))
            ?? throw new ArgumentException($"case '{name}' names no width (d64, d512, …)");
        return new LayerWorkload(kind, long.Parse(d[1..], CultureInfo.InvariantCulture), backward: !parts.Contains("fwd"));
    }

    private static void RunCase(string name, bool quick, double? seconds)
    {
        var (warm, measure, warmCalls, callsMin) = quick ? (0.05, 0.2, 2, 2) : (0.15, 0.4, 2, 2);
        // Calls take seconds: one warm-up call, then one measured call per round (the rounds supply the
        // repetitions), as compare.py does.
        if (name.StartsWith("gpt2-spanish", StringComparison.Ordinal) && !name.EndsWith("/adamw", StringComparison.Ordinal))
            (warm, measure, warmCalls, callsMin) = (0, 0, 1, 1);
        if (seconds is { } s) measure = s;

        using var workload = Create(name);
        var (ms, cpuMs, calls) = Time(workload.Run, warm, measure, warmCalls, callsMin);
        var json = new StringBuilder();
        json.Append(CultureInfo.InvariantCulture, $"{{\"case\": \"{name}\", \"side\": \"ours\", \"ms\": {ms:F4}, \"cpu_ms\": {cpuMs:F4}, \"calls\": {calls}");
        if (workload.Tokens is { } tokens) json.Append(CultureInfo.InvariantCulture, $", \"tokens_per_s\": {tokens / (ms / 1e3):F1}");
        if (workload.Flops is { } flops) json.Append(CultureInfo.InvariantCulture, $", \"gflops\": {flops / (ms / 1e3) / 1e9:F2}");
        json.Append('}');
        Console.WriteLine(json.ToString());
    }

    /// <summary>
    /// Warm up for at least <paramref name="warm"/> seconds and <paramref name="warmCalls"/> calls, then call until at least
    /// <paramref name="measure"/> seconds and <paramref name="callsMin"/> calls have passed; the mean wall-clock milliseconds per
    /// call and the mean CPU milliseconds of this thread per call (with one intra-op thread all the
    /// work runs on it, so that figure is less disturbed by other processes on a busy machine).
    /// </summary>
    public static (double Milliseconds, double CpuMilliseconds, int Calls) Time(Action body, double warm, double measure, int warmCalls = 2, int callsMin = 2)
    {
        var calls = 0;
        var clock = Stopwatch.StartNew();
        while (calls < warmCalls || clock.Elapsed.TotalSeconds < warm)
        {
            body();
            calls++;
        }
        calls = 0;
        var cpu = ThreadCpuMilliseconds();
        clock.Restart();
        while (calls < callsMin || clock.Elapsed.TotalSeconds < measure)
        {
            body();
            calls++;
        }
        var wall = clock.Elapsed.TotalMilliseconds;
        return (wall / calls, (ThreadCpuMilliseconds() - cpu) / calls, calls);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID on Linux

    private static double ThreadCpuMilliseconds() =>
        ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? t.Seconds * 1e3 + t.Nanoseconds / 1e6 : double.NaN;
}
