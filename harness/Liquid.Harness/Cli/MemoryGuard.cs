using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Liquid.Runtime;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Cli;

/// <summary>
/// Refuses, before allocating, a model or a batch that cannot fit in the memory the machine has
/// available (<c>--allow-oversubscribe</c> insists). Two estimates:
/// <list type="bullet">
/// <item>Parameters, before the model is built: <see cref="ModelInfo.CountParameters"/> counts them
/// from the config alone; a catalog without it gets an upper bound (see <see cref="EstimateParameters"/>).</item>
/// <item>Activations, once the model exists: one forward pass on one sequence at the run's context,
/// measuring how much native heap the autograd graph holds while the loss is alive
/// (<see cref="NativeHeap.BytesInUse"/>), scaled by the batch and by <see cref="BackwardFactor"/>.
/// Measuring is chosen over a formula because it is right for every layer kind (attention's T²
/// scores, recurrent cells' per-step states, ODE solver stages) without a per-kind table that would
/// drift from the runtime, and it costs one sequence's forward pass.</item>
/// </list>
/// </summary>
internal static class MemoryGuard
{
    /// <summary>The option that turns a refusal into a warning.</summary>
    public const string Insist = "--allow-oversubscribe";

    /// <summary>
    /// Peak of a training step's activations over what the forward pass leaves alive for backward:
    /// backward makes gradients of activations while it frees the saved ones. Measured (native heap
    /// sampled through a whole step, MemoryGuardTests.TheBackwardFactorCoversARealTrainingStep) at
    /// 0.71–0.87 of the probe for tiny-gpt, a wider tiny-gpt at context 256 and tiny-llama; 1.25
    /// leaves room for peaks a sampler misses and for allocator slack.
    /// </summary>
    public const double BackwardFactor = 1.25;

    /// <summary>How the estimate of a model's parameters was made.</summary>
    public readonly record struct ParameterEstimate(long Count, bool Exact);

    /// <summary>
    /// Bytes the process can still allocate: the kernel's MemAvailable, or less when a cgroup
    /// limit is closer; null when neither can be read.
    /// </summary>
    public static long? AvailableBytes()
    {
        long? available = null;
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    available = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        foreach (var (limitFile, usageFile) in CgroupFiles())
        {
            if (ReadNumber(limitFile) is { } limit && ReadNumber(usageFile) is { } usage)
                available = Math.Min(available ?? long.MaxValue, Math.Max(0, limit - usage));
        }
        return available;
    }

    /// <summary>
    /// The parameter count of <paramref name="info"/> built with <paramref name="overrides"/>, without
    /// building it. Exact from <see cref="ModelInfo.CountParameters"/>; otherwise an upper bound:
    /// the config is built (which validates it) and every integer value above its default scales the
    /// default count by (value / default)², since parameters are sums of products in which one config
    /// value appears at most squared (d_model² in a projection) — e.g. layers 4 → 8 bounds tiny-gpt
    /// by 4 × 842,496. Null when the config type cannot be built by reflection either.
    /// </summary>
    public static ParameterEstimate? EstimateParameters(ModelInfo info, IReadOnlyDictionary<string, string> overrides)
    {
        if (info.CountParameters is { } count)
        {
            try
            {
                return new ParameterEstimate(count(overrides), true);
            }
            catch (OverflowException)
            {
                return new ParameterEstimate(long.MaxValue, true); // more than 64 bits count: certainly too large
            }
        }
        var fromOverrides = info.ConfigType.GetMethod("FromOverrides", BindingFlags.Public | BindingFlags.Static, [typeof(IReadOnlyDictionary<string, string>)]);
        if (fromOverrides is null || info.ConfigType.GetConstructor(Type.EmptyTypes) is null) return null;
        object config;
        try
        {
            config = fromOverrides.Invoke(null, [overrides])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
        var defaults = Activator.CreateInstance(info.ConfigType)!;
        var factor = 1.0;
        foreach (var property in info.ConfigType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.PropertyType != typeof(long) && property.PropertyType != typeof(int)) continue;
            var original = Convert.ToDouble(property.GetValue(defaults), CultureInfo.InvariantCulture);
            var value = Convert.ToDouble(property.GetValue(config), CultureInfo.InvariantCulture);
            if (value > Math.Max(original, 1)) factor *= Math.Pow(value / Math.Max(original, 1), 2);
        }
        var bound = info.DefaultParameterCount * factor;
        return new ParameterEstimate(bound >= long.MaxValue ? long.MaxValue : (long)Math.Ceiling(bound), factor == 1.0);
    }

    /// <summary>
    /// Refuses to build <paramref name="info"/> with <paramref name="overrides"/> when its parameters
    /// times <paramref name="bytesPerParameter"/> (4 for float32 weights; more with gradients and
    /// optimizer state) exceed <paramref name="available"/> bytes (default: <see cref="AvailableBytes"/>).
    /// </summary>
    public static void CheckModel(ModelInfo info, IReadOnlyDictionary<string, string> overrides, int bytesPerParameter, string purpose,
        bool insist, Action<string> warn, long? available = null)
    {
        if (EstimateParameters(info, overrides) is not { } estimate) return; // nothing to go by: the runtime's own errors remain
        var free = available ?? AvailableBytes();
        if (free is null) return;
        var need = estimate.Count >= long.MaxValue / bytesPerParameter ? long.MaxValue : estimate.Count * bytesPerParameter;
        if (need <= free) return;
        var settings = overrides.Count == 0 ? "" : " with " + string.Join(" ", overrides.Select(p => $"{p.Key}={p.Value}"));
        var count = estimate.Exact
            ? estimate.Count == long.MaxValue ? "more parameters than a 64-bit count holds" : $"{Commands.Format(estimate.Count)} parameters × {bytesPerParameter} bytes"
            : $"up to {Count(estimate.Count)} parameters × {bytesPerParameter} bytes, an upper bound scaled from the {Commands.Format(info.DefaultParameterCount)} of the default config";
        var size = need == long.MaxValue ? "more than 8 EB" : Bytes(need);
        var message = $"{info.Name}{settings} {(estimate.Exact ? "needs" : "may need")} {(estimate.Exact ? "" : "up to ")}{size} {purpose} ({count}); "
            + $"this machine has {Bytes(free.Value)} available";
        Refuse(message + ". Use a smaller config", insist, warn);
    }

    /// <summary>
    /// Refuses a training step of <paramref name="batch"/> sequences of <paramref name="context"/>
    /// tokens when the model's gradients and <paramref name="optimizerBytesPerParameter"/> of optimizer
    /// state plus the measured activations do not fit in <paramref name="available"/> bytes.
    /// </summary>
    public static void CheckTraining(CompiledModel model, int batch, int context, int optimizerBytesPerParameter, string what,
        bool insist, Action<string> warn, long? available = null)
    {
        var gradients = model.Parameters().Sum(p => p.NumElements * p.DType.SizeOf());
        var fixedBytes = gradients + model.ParameterCount * optimizerBytesPerParameter;
        var rng = Torch.GetRngState();
        var training = model.Training;
        model.Train();
        try
        {
            CheckStep(fixedBytes, t => ForwardOneSequence(model, t), batch, context, what, insist, warn, available);
        }
        finally
        {
            // The probe's dropout drew from the RNG: restored, so training is bit-for-bit what it would be without it.
            if (!training) model.Eval();
            Torch.SetRngState(rng);
        }
    }

    /// <summary>
    /// The check of <see cref="CheckTraining"/> for any forward pass: <paramref name="forward"/> runs
    /// one sequence of the given length and returns what keeps its activations alive;
    /// <paramref name="fixedBytes"/> are the gradients and optimizer state.
    /// </summary>
    public static void CheckStep(long fixedBytes, Func<int, IDisposable> forward, int batch, int context, string what,
        bool insist, Action<string> warn, long? available = null)
    {
        var free = available ?? AvailableBytes();
        if (free is null) return;
        // A forward pass on one sequence may itself not fit (a huge context): probe short ones first.
        var perSequence = ActivationBytesPerSequence(forward, context, free.Value - fixedBytes, out var extrapolated);
        var perStep = perSequence * BackwardFactor;
        var need = fixedBytes + perStep * batch;
        if (need <= free) return;
        var fits = (long)Math.Floor((free.Value - fixedBytes) / Math.Max(perStep, 1));
        var hint = fits >= 1 ? $"use --batch {Commands.Format(fits)} or less (with --accumulate to keep the tokens per step)" : "use a shorter --context or a smaller model";
        var message = $"{what} with batch {Commands.Format(batch)} × context {Commands.Format(context)} needs about {Bytes((long)Math.Min(need, long.MaxValue))} "
            + $"(gradients and optimizer state {Bytes(fixedBytes)}, activations {Bytes((long)perStep)} per sequence, {(extrapolated ? "extrapolated from shorter sequences" : "measured on one sequence")}); "
            + $"this machine has {Bytes(free.Value)} available. {char.ToUpperInvariant(hint[0])}{hint[1..]}";
        Refuse(message, insist, warn);
    }

    /// <summary>
    /// Native heap held by what <paramref name="forward"/> returns for one sequence of
    /// <paramref name="context"/> tokens (for a model: its autograd graph while the loss is alive).
    /// Contexts above 128 are first extrapolated from 32, 64 and 128 tokens (c + a·T + b·T²,
    /// attention's scores being the T² part, small bookkeeping the constant); when even one sequence
    /// would not fit in <paramref name="budget"/>, the extrapolation is returned instead of running it.
    /// </summary>
    public static double ActivationBytesPerSequence(Func<int, IDisposable> forward, int context, double budget, out bool extrapolated)
    {
        extrapolated = false;
        if (NativeHeap.BytesInUse is null) return 0;
        // Tensors that earlier work leaked are freed by the finalizer thread, and a free during a probe
        // reads as a smaller graph: let those go first.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // The first pass also JIT-compiles code and fills caches, which allocate natively too: not counted.
        Measure(forward, Math.Min(context, 8));
        if (context > 128)
        {
            // The heap counter is process-wide, so a background thread's allocation lands in a probe;
            // the quadratic term comes from a second difference, which magnifies that, so each short
            // probe is the median of three.
            double a1 = MedianOfThree(forward, 32), a2 = MedianOfThree(forward, 64), a3 = MedianOfThree(forward, 128);
            double d1 = a2 - a1, d2 = a3 - a2;
            var b = Math.Max(0, (d2 - 2 * d1) / 6144);
            var a = Math.Max(0, (d1 - 3072 * b) / 32);
            var c = Math.Max(0, a1 - 32 * a - 1024 * b);
            var predicted = Math.Max(a3, c + a * context + b * (double)context * context);
            if (predicted * BackwardFactor > budget)
            {
                extrapolated = true;
                return predicted;
            }
        }
        return Measure(forward, context);
    }

    /// <summary>One sequence of zeros through <paramref name="model"/> and its loss; disposing frees the graph.</summary>
    public static IDisposable ForwardOneSequence(CompiledModel model, int context)
    {
        var scope = TensorScope.Enter();
        try
        {
            // One example of every input and target, by the model's own names: zeros are valid token
            // ids and class labels, and open dimensions other than the batch take the context.
            Tensor Zeros(TensorInfo info) => Tensor.Zeros(info.Shape.Select((d, i) => i == 0 ? 1 : d ?? context).ToArray(), info.DType);
            var inputs = model.Inputs.Where(i => !i.Optional).ToDictionary(i => i.Name, Zeros, StringComparer.Ordinal);
            var targets = model.Targets.ToDictionary(t => t.Name, Zeros, StringComparer.Ordinal);
            var output = model.Run(inputs);
            using var objective = model.Objective(output, targets);
            var loss = objective.TakeTotal();
            return new Held(scope, output, loss);
        }
        catch
        {
            scope.Dispose();
            throw;
        }
    }

    private sealed class Held(TensorScope scope, ModelOutput output, Tensor loss) : IDisposable
    {
        public void Dispose()
        {
            loss.Dispose();
            output.Dispose();
            scope.Dispose();
        }
    }

    private static long MedianOfThree(Func<int, IDisposable> forward, int context)
    {
        long x = Measure(forward, context), y = Measure(forward, context), z = Measure(forward, context);
        return Math.Max(Math.Min(x, y), Math.Min(Math.Max(x, y), z));
    }

    private static long Measure(Func<int, IDisposable> forward, int context)
    {
        var before = NativeHeap.BytesInUse!.Value;
        using var alive = forward(context);
        return Math.Max(0, NativeHeap.BytesInUse!.Value - before);
    }

    private static void Refuse(string message, bool insist, Action<string> warn)
    {
        if (!insist) throw new ConfigException($"{message}, or pass {Insist} to try anyway");
        warn($"{message}; going on because of {Insist}");
    }

    /// <summary>Bytes in binary units, e.g. "1.5 GB" (GiB, written as people read them).</summary>
    internal static string Bytes(long bytes)
    {
        string[] units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} bytes" : value.ToString(value < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private static string Count(long count) => count >= 1e9 ? count.ToString("0.##e0", CultureInfo.InvariantCulture) : Commands.Format(count);

    private static IEnumerable<(string Limit, string Usage)> CgroupFiles()
    {
        yield return ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current");
        yield return ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes");
        string? own = null;
        try
        {
            own = File.ReadLines("/proc/self/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        if (own is { Length: > 1 }) yield return ($"/sys/fs/cgroup{own}/memory.max", $"/sys/fs/cgroup{own}/memory.current");
    }

    private static long? ReadNumber(string path)
    {
        try
        {
            return File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
