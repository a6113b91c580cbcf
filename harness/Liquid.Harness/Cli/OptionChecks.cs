using System.Globalization;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Cli;

/// <summary>
/// Range checks of numeric options, each a one-line <see cref="ConfigException"/> naming the option
/// and what it takes. NaN and infinities are refused wherever they appear: no option means anything
/// with them (an infinite --clip is "no clipping", which is --clip 0).
/// </summary>
internal static class OptionChecks
{
    /// <summary>A value that must be &gt; 0 and finite (null: not given).</summary>
    public static void Positive(double? value, string name)
    {
        if (value is { } v && !(double.IsFinite(v) && v > 0)) throw new ConfigException($"{name} must be a positive number, not {Show(v)}");
    }

    /// <summary>A value that must be ≥ 0 and finite.</summary>
    public static void NotNegative(double? value, string name, string takes)
    {
        if (value is { } v && !(double.IsFinite(v) && v >= 0)) throw new ConfigException($"{name} must be {takes}, not {Show(v)}");
    }

    /// <summary>A whole number that must be ≥ <paramref name="minimum"/>.</summary>
    public static void AtLeast(long? value, long minimum, string name, string takes)
    {
        if (value is { } v && v < minimum) throw new ConfigException($"{name} must be {takes}, not {v.ToString(CultureInfo.InvariantCulture)}");
    }

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
}
