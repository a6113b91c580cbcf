using System.Text;
using System.Text.RegularExpressions;

namespace Liquid.Generator.Tests.Support;

/// <summary>
/// Breaks model files the ways people and tools do: lost or swapped lines, edited values, odd
/// characters, cut-off saves, wrong indentation, repeated keys. Deterministic for a given Random.
/// </summary>
internal static class Mutator
{
    /// <summary>Values that test ranges, types, overflow and the expression language.</summary>
    private static readonly string[] Scalars =
    [
        "0", "-1", "-0", "1", "2", "3", "7", "1.5", "-2.5", "0.999999", "1_000",
        "99999999999999999999", "9223372036854775807", "-9223372036854775808", "1e308", "-1e308", "1e309", "4.9e-324",
        "NaN", ".nan", ".inf", "-.inf", "inf", "Infinity", "", "~", "null", "true", "false", "yes", "0x1F", "0o17", "1.", ".", "1e", "e5",
        "\"\"", "''", "\"text\"", "'quoted'", "\"1\"", "[]", "{}", "[1, 2]", "[null]", "{ cycle: [1, 2] }", "{ cycle: [] }", "{ cycle: [null, 0] }",
        "{ cycle: 3 }", "{ cycle: [1], extra: 2 }", "index", "d_model", "heads", "vocab_size", "context", "layers", "wte", "h",
        "d_model / 0", "d_model // 0", "d_model % 0", "d_model / 3", "-d_model", "- - - 1", "min(1)", "max(1, 2, 3)", "min(d_model, 0)",
        "sqrt(-1)", "sqrt(d_model)", "sqrt()", "2 ** 8", "4 * (d_model", "4 * d_model)", "((((((((((1))))))))))", "d_model * d_model * d_model * d_model * d_model",
        "9223372036854775807 + 1", "-9223372036854775807 - 2", "foo(1)", "1 +", "* 2", "1 2", "d_model heads", "٣", "１２", "𝟙", "d_mödel",
        new string('(', 200) + "1" + new string(')', 200), string.Concat(Enumerable.Repeat("1 + ", 400)) + "1", string.Concat(Enumerable.Repeat("- ", 300)) + "1",
        "long[B, T]", "float[B, T, d_model]", "float[]", "float[B, T, ]", "complex[B]", "float[B, T, V", "gelu", "swiglu", "geglu", "nope",
        "Gpt2", "lowercase", "A.B", "global::X", "X Y", "X;", "System.Object", "\"a\\u0000b\"", "\"\\uD800\"", "|\n  multi\n  line", ">\n  folded",
        "&anchor 1", "*anchor", "!!str 1", "!!binary aGk=", "!custom 1", "? complex", "- item", "a: b", "a, b", "%", "@", "`", "#",
        "\"\\a\"", "\"a\\u0007b\"", "\"</summary>\"", "\"\\u0000\"", "1000000000000000000", "2147483648", "4611686018427387904", "-5",
    ];

    /// <summary>Characters that break naive text handling.</summary>
    private static readonly string[] OddText =
    [
        "\u200F", "\u202E", "\u200B", "\uFEFF", "\u00A0", "\u2028", "\u2029", "\u0085", "\u000B", "\u000C", "\t", "\r", "\0", "\u0001", "\u007F",
        "😀", "👩‍👩‍👧", "\uD800", "\uDC00", "\uDBFF\uDFFF", "e\u0301", "ß", "İ", "ﬁ", "Ω", "中文", "\\", "\"", "'", "\\u0000", "${x}", "{0}", "{{", "}}", "<script>", "&amp;", "*/", "/*", "//",
    ];

    /// <summary>YAML syntax pieces, valid and not.</summary>
    private static readonly string[] YamlBits =
    [
        ": ", ":", "- ", "-", "{", "}", "[", "]", ",", "&a ", "*a", "!!str ", "!!map ", "---\n", "...\n", "? ", "|\n", ">-\n", "# ", "\"", "'",
        "%YAML 1.2\n", "%TAG ! tag:x,2000:\n", "<<: ", "<<: *a", "!!null ", "\n", "\n\n", "  ", ": |", "key: value\n", "- - - ",
    ];

    /// <summary>
    /// Names that clash with what generated code declares or uses (issue 9): runtime and .NET types,
    /// generated types and members, C# keywords, generated locals, and names that are too long.
    /// </summary>
    private static readonly string[] HostileNames =
    [
        "Tensor", "Module", "Linear", "Attention", "Math", "List", "Enumerable", "ModelInfo", "CompiledModel", "ForwardContext",
        "TinyGptConfig", "TinyGptBlock", "TinyGptOutput", "Gpt2Config", "Net", "NetConfig", "ModelCatalog", "Cycle", "Floor", "Losses",
        "validate", "names", "equals", "to_string", "get_hash_code", "from_overrides", "clone", "Validate", "Names",
        "context", "scope", "state", "block", "index", "config", "output", "loss", "x", "h", "h2", "targets", "inputs",
        "class", "in", "as", "var", "int", "object", "string", "new", "this", "base", "null", "true", "value", "logits", "tokens",
        new string('A', 150), "A" + new string('b', 10_000),
    ];

    private static readonly Regex NamePattern = new(@"(?<=\b(model|name|class|as|in|tied):\s*)([A-Za-z_][A-Za-z0-9_]*)", RegexOptions.Compiled);

    private static readonly Regex KeyPattern = new(@"([A-Za-z_][A-Za-z0-9_]*)(?=:\s)", RegexOptions.Compiled);
    private static readonly Regex ValuePattern = new(@"(?<=:\s)([^\s,{}\[\]#][^,{}\[\]#\n]*?)(?=\s*(,|}|]|\n|$))", RegexOptions.Compiled);

    public delegate string Mutation(string text, Random random);

    /// <summary>The mutations by name, so the test can report how often each ran.</summary>
    public static readonly (string Name, Mutation Apply)[] Mutations =
    [
        ("delete line", DeleteLine),
        ("swap lines", SwapLines),
        ("swap keys", SwapKeys),
        ("replace scalar", ReplaceScalar),
        ("replace scalar", ReplaceScalar),
        ("replace scalar", ReplaceScalar),
        ("truncate", Truncate),
        ("odd unicode", InsertOddText),
        ("indentation", ChangeIndentation),
        ("duplicate line", DuplicateLine),
        ("yaml syntax", InsertYamlSyntax),
        ("misspell key", MisspellKey),
        ("move block", MoveBlock),
        ("line endings", ChangeLineEndings),
        ("hostile name", HostileName),
        ("hostile name", HostileName),
    ];

    /// <summary>One to three mutations of <paramref name="text"/>; <paramref name="applied"/> names them.</summary>
    public static string Mutate(string text, Random random, List<string> applied)
    {
        var count = 1 + random.Next(3);
        for (var i = 0; i < count; i++)
        {
            var (name, apply) = Mutations[random.Next(Mutations.Length)];
            text = apply(text, random);
            applied.Add(name);
        }
        return text;
    }

    private static List<string> Lines(string text) => text.Split('\n').ToList();

    private static string Join(List<string> lines) => string.Join("\n", lines);

    private static string DeleteLine(string text, Random random)
    {
        var lines = Lines(text);
        var count = 1 + (random.Next(4) == 0 ? random.Next(5) : 0);
        for (var i = 0; i < count && lines.Count > 0; i++) lines.RemoveAt(random.Next(lines.Count));
        return Join(lines);
    }

    private static string SwapLines(string text, Random random)
    {
        var lines = Lines(text);
        if (lines.Count < 2) return text;
        var a = random.Next(lines.Count);
        var b = random.Next(2) == 0 ? Math.Min(lines.Count - 1, a + 1) : random.Next(lines.Count);
        (lines[a], lines[b]) = (lines[b], lines[a]);
        return Join(lines);
    }

    private static string SwapKeys(string text, Random random)
    {
        var keys = KeyPattern.Matches(text).ToList();
        if (keys.Count < 2) return text;
        var first = keys[random.Next(keys.Count)];
        var second = keys[random.Next(keys.Count)];
        if (first.Index == second.Index) return text;
        if (first.Index > second.Index) (first, second) = (second, first);
        return text[..first.Index] + second.Value + text[(first.Index + first.Length)..second.Index] + first.Value + text[(second.Index + second.Length)..];
    }

    private static string ReplaceScalar(string text, Random random)
    {
        var values = ValuePattern.Matches(text).ToList();
        if (values.Count == 0) return text;
        var target = values[random.Next(values.Count)];
        var replacement = Scalars[random.Next(Scalars.Length)];
        return string.Concat(text.AsSpan(0, target.Index), replacement, text.AsSpan(target.Index + target.Length));
    }

    private static string Truncate(string text, Random random) => text.Length == 0 ? text : text[..random.Next(text.Length)];

    private static string InsertOddText(string text, Random random)
    {
        var at = random.Next(text.Length + 1);
        return text.Insert(at, OddText[random.Next(OddText.Length)]);
    }

    private static string ChangeIndentation(string text, Random random)
    {
        var lines = Lines(text);
        var i = random.Next(lines.Count);
        lines[i] = random.Next(4) switch
        {
            0 => lines[i].TrimStart(),
            1 => new string(' ', 1 + random.Next(3)) + lines[i],
            2 => "\t" + lines[i],
            _ => lines[i].StartsWith(' ') ? lines[i][1..] : " " + lines[i],
        };
        return Join(lines);
    }

    private static string DuplicateLine(string text, Random random)
    {
        var lines = Lines(text);
        var i = random.Next(lines.Count);
        lines.Insert(random.Next(2) == 0 ? i : random.Next(lines.Count + 1), lines[i]);
        return Join(lines);
    }

    private static string InsertYamlSyntax(string text, Random random)
    {
        var at = random.Next(text.Length + 1);
        return text.Insert(at, YamlBits[random.Next(YamlBits.Length)]);
    }

    private static string MisspellKey(string text, Random random)
    {
        var keys = KeyPattern.Matches(text).ToList();
        if (keys.Count == 0) return text;
        var key = keys[random.Next(keys.Count)];
        var chars = new StringBuilder(key.Value);
        var position = random.Next(chars.Length);
        switch (random.Next(3))
        {
            case 0: chars.Remove(position, 1); break;
            case 1: chars.Insert(position, (char)('a' + random.Next(26))); break;
            default: chars[position] = char.ToUpperInvariant(chars[position]); break;
        }
        return string.Concat(text.AsSpan(0, key.Index), chars.ToString(), text.AsSpan(key.Index + key.Length));
    }

    private static string MoveBlock(string text, Random random)
    {
        var lines = Lines(text);
        if (lines.Count < 3) return text;
        var start = random.Next(lines.Count);
        var length = Math.Min(lines.Count - start, 1 + random.Next(6));
        var block = lines.GetRange(start, length);
        if (random.Next(2) == 0) lines.RemoveRange(start, length);
        lines.InsertRange(random.Next(lines.Count + 1), block);
        return Join(lines);
    }

    private static string HostileName(string text, Random random)
    {
        // A name after model:/name:/class:/as:/in:/tied:, or any key (config names, output names …).
        var names = NamePattern.Matches(text).Concat(KeyPattern.Matches(text)).ToList();
        if (names.Count == 0) return text;
        var target = names[random.Next(names.Count)];
        return string.Concat(text.AsSpan(0, target.Index), HostileNames[random.Next(HostileNames.Length)], text.AsSpan(target.Index + target.Length));
    }

    private static string ChangeLineEndings(string text, Random random) => random.Next(3) switch
    {
        0 => text.Replace("\n", "\r\n"),
        1 => text.Replace("\n", "\r"),
        _ => text.Replace("\n", "\n\n"),
    };
}
