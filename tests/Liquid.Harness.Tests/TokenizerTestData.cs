using System.Text.Json;

namespace Liquid.Harness.Tests.Tokenization;

internal static class TokenizerTestData
{
    public const string FortunesDirectory = "/usr/share/games/fortunes";

    /// <summary>Texts every tokenizer must round-trip.</summary>
    public static readonly string[] RoundTripTexts =
    [
        "",
        "Hello world",
        "The quick brown fox jumps over the lazy dog. It's 3:45pm; don't panic!",
        "¿Dónde está el niño? ¡Mañana! Él comió pingüino y açaí en Córdoba — «ñandú».",
        "emoji: 🦙🚀👍🏽 👨‍👩‍👧 ❤️ and flags 🇪🇸🇺🇸",
        "   leading, trailing   \n\n\n\t\ttabs  \r\n  crlf \u00a0nbsp\u3000ideographic   ",
        "for (var i = 0; i < n; i++)\n{\n    sum += a[i] * b[i]; // dot\n}\n",
        "日本語のテキスト、中文文本，한국어 텍스트",
        "𝐇𝐞𝐥𝐥𝐨 𝟏𝟐𝟑 — mathematical letters outside the BMP",
        "Ελληνικά, русский, עברית, العربية, हिन्दी",
        "'s't're've'm'll'd ''' 'S 'T",
        "a\u0085b\ufeffc\u200bd\x1ce\x00f",
    ];

    public static string ReferencePath => Path.Combine(AppContext.BaseDirectory, "Data", "gpt2_reference.json");

    public static IReadOnlyList<ReferenceText> Reference => LazyReference.Value;

    private static readonly Lazy<IReadOnlyList<ReferenceText>> LazyReference = new(() =>
        JsonSerializer.Deserialize<List<ReferenceText>>(File.ReadAllText(ReferencePath), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
        ?? throw new InvalidDataException(ReferencePath));

    /// <summary>All English and Spanish fortunes (not the offensive ones), or an empty list if Debian's fortunes are not installed.</summary>
    public static IReadOnlyList<string> FortunesCorpus()
    {
        if (!Directory.Exists(FortunesDirectory))
        {
            return [];
        }

        var files = Directory.GetFiles(FortunesDirectory)
            .Concat(Directory.Exists(Path.Combine(FortunesDirectory, "es")) ? Directory.GetFiles(Path.Combine(FortunesDirectory, "es")) : [])
            .Where(f => !f.EndsWith(".dat", StringComparison.Ordinal) && !f.EndsWith(".u8", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        var texts = new List<string>();
        foreach (var file in files)
        {
            texts.AddRange(File.ReadAllText(file).Split("\n%\n").Where(t => t.Trim().Length > 0));
        }

        return texts;
    }
}

/// <summary>A fresh directory under the temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "liquid-tokenizer-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal sealed record ReferenceText(string Source, string Label, string Text, int[] Ids);
