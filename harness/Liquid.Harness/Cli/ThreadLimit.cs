namespace Liquid.Harness.Cli;

/// <summary>
/// Bounds the intra-op thread count by the cores this process may use: more threads than cores
/// only oversubscribe them (10,000 threads never finish a step), so the count is clamped with a warning.
/// </summary>
internal static class ThreadLimit
{
    /// <summary><paramref name="requested"/>, or the core count when it is larger (said through <paramref name="warn"/>).</summary>
    public static int Clamp(int requested, string option, Action<string> warn, int? cores = null)
    {
        var available = cores ?? Environment.ProcessorCount;
        if (requested < 1) throw new Liquid.Runtime.Models.ConfigException($"{option} must be at least 1, not {requested}");
        if (requested <= available) return requested;
        warn($"{option} {requested} is more than the {available} core{(available == 1 ? "" : "s")} this process can use; using {available}");
        return available;
    }
}
