using System.Text;
using System.Text.Json;

namespace Liquid.Harness.Text;

/// <summary>
/// One token per character (Unicode scalar value). Id 0 is <c>&lt;unk&gt;</c>, which any character not seen
/// in training encodes to and which decodes to U+FFFD; ids 1.. are the training text's distinct characters
/// in code point order.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    public const int UnknownId = 0;
    public const string UnknownToken = "<unk>";

    private readonly Rune[] alphabet;
    private readonly Dictionary<int, int> ids;

    /// <param name="alphabet">the characters of ids 1..; distinct (sorted here).</param>
    public CharTokenizer(IEnumerable<Rune> alphabet)
    {
        this.alphabet = alphabet.Distinct().Order().ToArray();
        ids = new Dictionary<int, int>(this.alphabet.Length);
        for (var i = 0; i < this.alphabet.Length; i++)
        {
            ids.Add(this.alphabet[i].Value, i + 1);
        }
    }

    public string Kind => "char";

    public int VocabSize => alphabet.Length + 1;

    /// <summary>The characters of ids 1..VocabSize-1.</summary>
    public IReadOnlyList<Rune> Alphabet => alphabet;

    /// <summary>The alphabet of <paramref name="text"/> (a lone surrogate counts as U+FFFD).</summary>
    public static CharTokenizer Train(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var seen = new HashSet<Rune>();
        foreach (var rune in text.EnumerateRunes())
        {
            seen.Add(rune);
        }

        return new CharTokenizer(seen);
    }

    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            result.Add(ids.TryGetValue(rune.Value, out var id) ? id : UnknownId);
        }

        return result.ToArray();
    }

    public string Decode(ReadOnlySpan<int> tokenIds)
    {
        var text = new StringBuilder(tokenIds.Length);
        Span<char> buffer = stackalloc char[2];
        foreach (var id in tokenIds)
        {
            var written = RuneOf(id).EncodeToUtf16(buffer);
            text.Append(buffer[..written]);
        }

        return text.ToString();
    }

    public byte[] TokenBytes(int id)
    {
        var rune = RuneOf(id);
        var bytes = new byte[rune.Utf8SequenceLength];
        rune.EncodeToUtf8(bytes);
        return bytes;
    }

    public void Save(string directory)
    {
        TokenizerFile.Write(directory, Kind, writer =>
        {
            writer.WriteString("unk", UnknownToken);
            writer.WriteStartArray("chars");
            foreach (var rune in alphabet)
            {
                writer.WriteStringValue(rune.ToString());
            }

            writer.WriteEndArray();
        });
    }

    internal static CharTokenizer FromJson(JsonElement root)
    {
        if (!root.TryGetProperty("chars", out var chars) || chars.ValueKind != JsonValueKind.Array)
        {
            throw new TokenizerFormatException("a char tokenizer needs a \"chars\" array");
        }

        var runes = new List<Rune>(chars.GetArrayLength());
        foreach (var element in chars.EnumerateArray())
        {
            var s = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
            if (s is null || Rune.DecodeFromUtf16(s, out var rune, out var consumed) != System.Buffers.OperationStatus.Done || consumed != s.Length)
            {
                throw new TokenizerFormatException($"\"chars\" must hold single characters, found {element.GetRawText()}");
            }

            runes.Add(rune);
        }

        if (runes.Distinct().Count() != runes.Count)
        {
            throw new TokenizerFormatException("\"chars\" repeats a character");
        }

        return new CharTokenizer(runes);
    }

    private Rune RuneOf(int id)
    {
        if (id == UnknownId)
        {
            return Rune.ReplacementChar;
        }

        if ((uint)(id - 1) >= (uint)alphabet.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is not in the vocabulary (size {VocabSize})");
        }

        return alphabet[id - 1];
    }
}
