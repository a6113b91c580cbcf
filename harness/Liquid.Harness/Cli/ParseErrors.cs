using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Liquid.Harness.Cli;

/// <summary>
/// Turns System.CommandLine's parse errors into the one line a user should see: a value that does
/// not fit its option names the option and the expected form in words ("--steps takes a whole
/// number, not 'abc'"), never a CLR type name, and no help screen follows.
/// </summary>
internal static class ParseErrors
{
    /// <summary>The first error of <paramref name="result"/>, as one line, with a pointer to the command's help.</summary>
    public static string Describe(ParseResult result)
    {
        var error = result.Errors[0];
        var help = $" (see liquid {string.Join(' ', CommandPath(result.CommandResult))}--help)";
        var option = error.SymbolResult switch
        {
            OptionResult o => o,
            ArgumentResult { Parent: OptionResult o } => o,
            _ => null,
        };
        if (option is null) return error.Message + help;
        var name = option.Option.Name;
        var type = Nullable.GetUnderlyingType(option.Option.ValueType) ?? option.Option.ValueType;
        if (type.IsArray) type = type.GetElementType()!;
        var form = Form(type);
        if (form is null) return error.Message + help;
        if (option.Tokens.Count == 0) return $"{name} needs a value: {form}";
        var bad = option.Tokens.Select(t => t.Value).FirstOrDefault(t => !Fits(type, t));
        if (bad is null) return error.Message + help;
        // A whole number too large for its option says so, rather than "not a whole number".
        if (IsInteger(type) && IsDigits(bad) && !bad.StartsWith('-'))
            return $"{name} takes {form} up to {Max(type)}, not '{bad}'";
        return $"{name} takes {form}, not '{bad}'";
    }

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? at = command; at is CommandResult c && c.Parent is not null; at = c.Parent) names.Insert(0, c.Command.Name);
        return names.Count == 0 ? "" : string.Join(' ', names) + " ";
    }

    /// <summary>The expected form of a value of <paramref name="type"/>, in words; null for types parsed as text.</summary>
    internal static string? Form(Type type) =>
        type == typeof(int) || type == typeof(long) ? "a whole number"
        : type == typeof(ulong) || type == typeof(uint) ? "a whole number, 0 or more"
        : type == typeof(double) || type == typeof(float) ? "a number (e.g. 0.001 or 1e-3)"
        : type == typeof(bool) ? "true or false"
        : null;

    private static bool IsInteger(Type type) => type == typeof(int) || type == typeof(long) || type == typeof(ulong) || type == typeof(uint);

    private static bool IsDigits(string text) => text.TrimStart('-', '+') is { Length: > 0 } digits && digits.All(char.IsAsciiDigit);

    private static string Max(Type type) => type == typeof(int) ? int.MaxValue.ToString(CultureInfo.InvariantCulture)
        : type == typeof(uint) ? uint.MaxValue.ToString(CultureInfo.InvariantCulture)
        : type == typeof(long) ? long.MaxValue.ToString(CultureInfo.InvariantCulture) : ulong.MaxValue.ToString(CultureInfo.InvariantCulture);

    private static bool Fits(Type type, string text)
    {
        var c = CultureInfo.InvariantCulture;
        if (type == typeof(int)) return int.TryParse(text, NumberStyles.Integer, c, out _);
        if (type == typeof(long)) return long.TryParse(text, NumberStyles.Integer, c, out _);
        if (type == typeof(uint)) return uint.TryParse(text, NumberStyles.Integer, c, out _);
        if (type == typeof(ulong)) return ulong.TryParse(text, NumberStyles.Integer, c, out _);
        if (type == typeof(double)) return double.TryParse(text, NumberStyles.Float, c, out _);
        if (type == typeof(float)) return float.TryParse(text, NumberStyles.Float, c, out _);
        if (type == typeof(bool)) return bool.TryParse(text, out _);
        return true;
    }
}
