using System.Diagnostics;
using System.Globalization;
using Liquid.Models;
using Liquid.Runtime;
using Liquid.Runtime.Nn;

namespace Liquid.Benchmarks;

/// <summary>
/// Our side of benchmarks/long.sh, the compiled liquid-long model at its default configuration, batch 1,
/// one thread, float32, inference mode:
/// <list type="bullet">
/// <item><c>long forward --tokens N [--chunk C]</c>: one N-token sequence fed in calls of C tokens (the
/// model's chunk, 4096) with the state carried, each call's logits dropped after it (a 32k × 50257
/// logit tensor alone would be 6.6 GB); prints the tokens/s and the process's peak resident memory.</item>
/// <item><c>long generate --position P [--tokens K]</c>: feeds P tokens, then times K single-token calls
/// (what <c>liquid generate</c> makes per new token) and prints the median and mean ms per token.</item>
/// </list>
/// Every measurement is its own process, so that VmHWM is the peak of that measurement alone.
/// </summary>
public static class LongSequence
{
    /// <summary>Entry point of the mode; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("long forward|generate …");
        long tokens = 4096, chunk = 4096, position = 100, generated = 32;
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            var value = long.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--tokens": tokens = value; generated = value; break;
                case "--chunk": chunk = value; break;
                case "--position": position = value; break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        Torch.SetThreads(1);
        Torch.ManualSeed(1);
        using var model = new LiquidLong();
        model.Eval();
        using var inference = Torch.InferenceMode();
        var vocab = model.Config.VocabSize;
        var rssModel = Status("VmRSS");

        void Feed(ModelState state, long count)
        {
            for (long done = 0; done < count;)
            {
                var length = Math.Min(chunk, count - done);
                using var scope = TensorScope.Enter();
                var ids = Tensor.RandInt(0, vocab, [1, length]);
                using var output = model.Forward(ids, null, state);
                done += length;
            }
        }

        switch (args[0])
        {
            case "forward":
            {
                using (var warm = new ModelState()) Feed(warm, 64);
                File.WriteAllText("/proc/self/clear_refs", "5"); // VmHWM restarts at the current RSS
                using var state = new ModelState();
                var clock = Stopwatch.StartNew();
                Feed(state, tokens);
                var seconds = clock.Elapsed.TotalSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"case\": \"forward\", \"tokens\": {tokens}, \"chunk\": {chunk}, \"seconds\": {seconds:F3}, \"tokens_per_s\": {tokens / seconds:F1}, \"peak_rss_mb\": {Status("VmHWM") / 1024.0:F1}, \"model_rss_mb\": {rssModel / 1024.0:F1}}}"));
                return 0;
            }
            case "generate":
            {
                using var state = new ModelState();
                Feed(state, position);
                var times = new double[generated];
                using var token = Tensor.RandInt(0, vocab, [1, 1]);
                for (var k = 0; k < generated; k++)
                {
                    var clock = Stopwatch.StartNew();
                    using (var scope = TensorScope.Enter())
                    using (var output = model.Forward(token, null, state))
                        output.Logits.Select(1, 0).ArgMax(-1).Dispose();
                    times[k] = clock.Elapsed.TotalMilliseconds;
                }
                var sorted = times.Order().ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"case\": \"generate\", \"position\": {position}, \"tokens\": {generated}, \"median_ms\": {sorted[sorted.Length / 2]:F3}, \"mean_ms\": {times.Average():F3}, \"max_ms\": {sorted[^1]:F3}}}"));
                return 0;
            }
            default:
                throw new ArgumentException($"unknown long case '{args[0]}'");
        }
    }

    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}
