using System.Globalization;

namespace Liquid.Runtime.Models;

/// <summary>Per-index choice for layers of a repeat block (<c>{ cycle: [a, b] }</c> in YAML).</summary>
public static class Cycle
{
    /// <summary><paramref name="values"/>[index mod count].</summary>
    public static T Pick<T>(int index, params T[] values) => values[index % values.Length];
}

/// <summary>Python-style floor division and modulo (<c>//</c> and <c>%</c> in model expressions).</summary>
public static class Floor
{
    /// <summary>⌊a / b⌋.</summary>
    public static long Divide(long a, long b) => a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);

    /// <summary>a − b·⌊a / b⌋ (sign of the divisor).</summary>
    public static long Modulo(long a, long b) => a - b * Divide(a, b);

    /// <summary>⌊a / b⌋ for floats.</summary>
    public static double Divide(double a, double b) => Math.Floor(a / b);

    /// <summary>a − b·⌊a / b⌋ for floats.</summary>
    public static double Modulo(double a, double b) => a - b * Math.Floor(a / b);
}

/// <summary>Parsing of <c>name=value</c> config overrides, with one-line errors.</summary>
public static class ConfigValue
{
    /// <summary>An integer override.</summary>
    public static long ParseInt(string name, string text) =>
        long.TryParse(text.Replace("_", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ConfigException($"{name} must be an integer, not '{text}'");

    /// <summary>A floating-point override.</summary>
    public static double ParseFloat(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new ConfigException($"{name} must be a number, not '{text}'");

    /// <summary>A boolean override (true/false).</summary>
    public static bool ParseBool(string name, string text) => text.Trim().ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new ConfigException($"{name} must be true or false, not '{text}'"),
    };

    /// <summary>The error for an override of a name the config does not have.</summary>
    public static ConfigException Unknown(string model, string name, IReadOnlyList<string> names)
    {
        var closest = names.OrderBy(n => Distance(n, name)).ThenBy(n => n, StringComparer.Ordinal).FirstOrDefault();
        var hint = closest is not null && Distance(closest, name) <= Math.Max(2, name.Length / 3) ? $"; did you mean '{closest}'?" : "";
        return new ConfigException($"{model} has no config value '{name}'{hint} (it has {string.Join(", ", names)})");
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
