using System.Globalization;
using System.Text.Json;

namespace Liquid.Harness.Text;

/// <summary>Creates tokenizers from command-line specs and restores them from checkpoints.</summary>
public static class Tokenizers
{
    public const string SpecHelp = "use gpt2, byte, char or bpe:N";

    /// <summary>
    /// <c>gpt2</c> (the shipped GPT-2 vocabulary), <c>byte</c>, <c>char</c> (alphabet of the training text)
    /// or <c>bpe:N</c> (N merges learned from the training text). <paramref name="trainingText"/> is only
    /// called for <c>char</c> and <c>bpe:N</c>.
    /// </summary>
    public static ITokenizer Create(string spec, Func<string> trainingText)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var s = spec.Trim().ToLowerInvariant();
        switch (s)
        {
            case "gpt2":
                return Gpt2Tokenizer.Default;
            case "byte":
                return new ByteTokenizer();
            case "char":
                return CharTokenizer.Train(Training(trainingText, spec));
        }

        if (s.StartsWith("bpe:", StringComparison.Ordinal))
        {
            var n = s["bpe:".Length..];
            if (n.Length == 0 || !n.All(char.IsAsciiDigit) || !int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var merges))
            {
                throw new ArgumentException(
                    $"invalid tokenizer '{spec}': N in bpe:N must be a whole number of merges, 0 to {int.MaxValue - 256}");
            }

            if (merges > int.MaxValue - 256)
            {
                throw new ArgumentException($"invalid tokenizer '{spec}': too many merges");
            }

            return BpeTokenizer.Train(Training(trainingText, spec), merges);
        }

        throw new ArgumentException($"unknown tokenizer '{spec}': {SpecHelp}");
    }

    /// <summary>
    /// Restores a tokenizer saved with <see cref="ITokenizer.Save"/> from <c>directory/tokenizer.json</c>.
    /// Throws <see cref="FileNotFoundException"/> if it is missing and <see cref="InvalidDataException"/>
    /// (naming the file) if it is corrupt.
    /// </summary>
    public static ITokenizer Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var path = Path.Combine(directory, TokenizerFile.FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"tokenizer file not found: '{path}'", path);
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new TokenizerFormatException("expected a JSON object");
            }

            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != TokenizerFile.Format)
            {
                throw new TokenizerFormatException($"\"format\" must be \"{TokenizerFile.Format}\"");
            }

            if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out var v) || v != TokenizerFile.Version)
            {
                throw new TokenizerFormatException($"unsupported \"version\" (this build reads version {TokenizerFile.Version})");
            }

            var kind = root.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
            return kind switch
            {
                "byte" => new ByteTokenizer(),
                "char" => CharTokenizer.FromJson(root),
                "bpe" => BpeTokenizer.FromJson(root),
                "gpt2" => Gpt2Tokenizer.FromFiles(
                    Path.Combine(directory, FileNameProperty(root, "vocab")),
                    Path.Combine(directory, FileNameProperty(root, "merges"))),
                null => throw new TokenizerFormatException("missing \"kind\""),
                _ => throw new TokenizerFormatException($"unknown \"kind\" '{kind}' (expected gpt2, byte, char or bpe)"),
            };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"tokenizer file '{path}' is corrupt: {e.Message}", e);
        }
        catch (TokenizerFormatException e)
        {
            throw new InvalidDataException($"tokenizer file '{path}' is corrupt: {e.Message}", e);
        }
    }

    /// <summary>A GPT-2-style byte-level BPE tokenizer from <c>vocab.json</c>/<c>encoder.json</c> and <c>merges.txt</c>/<c>vocab.bpe</c>.</summary>
    public static ITokenizer FromVocabFiles(string vocabJson, string mergesTxt) => Gpt2Tokenizer.FromFiles(vocabJson, mergesTxt);

    private static string FileNameProperty(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String
            || value.GetString() is not { Length: > 0 } file || Path.GetFileName(file) != file)
        {
            throw new TokenizerFormatException($"a gpt2 tokenizer needs \"{name}\": the name of a file beside tokenizer.json");
        }

        return file;
    }

    private static string Training(Func<string> trainingText, string spec)
    {
        if (trainingText is null)
        {
            throw new ArgumentException($"tokenizer '{spec}' is learned from the training text, but none was given");
        }

        return trainingText() ?? throw new ArgumentException($"tokenizer '{spec}' is learned from the training text, but it is null");
    }
}
