using System.Text.Json;

namespace Liquid.Harness.Text;

/// <summary>
/// Byte-level BPE learned from a text: ids 0..255 are the bytes, id 256 + i is the i-th learned merge.
/// Encoding is GPT-2's (same pre-tokenization, merges applied by rank).
/// </summary>
public sealed class BpeTokenizer : ITokenizer
{
    private readonly (int Left, int Right)[] merges;
    private readonly BytePairModel model;

    /// <param name="merges">(left id, right id) of ids 256, 257, …; each id must be smaller than the one it makes.</param>
    public BpeTokenizer(IReadOnlyList<(int Left, int Right)> merges)
    {
        ArgumentNullException.ThrowIfNull(merges);
        this.merges = merges.ToArray();
        var bytes = new byte[]?[256 + this.merges.Length];
        var byteToId = new int[256];
        for (var b = 0; b < 256; b++)
        {
            bytes[b] = [(byte)b];
            byteToId[b] = b;
        }

        var rules = new (int, int, int)[this.merges.Length];
        for (var i = 0; i < this.merges.Length; i++)
        {
            var (left, right) = this.merges[i];
            var id = 256 + i;
            if ((uint)left >= (uint)id || (uint)right >= (uint)id)
            {
                throw new ArgumentException($"merge {i} ({left}, {right}) must join ids below {id}", nameof(merges));
            }

            bytes[id] = [.. bytes[left]!, .. bytes[right]!];
            rules[i] = (left, right, id);
        }

        model = new BytePairModel(bytes, byteToId, rules);
    }

    public string Kind => "bpe";

    public int VocabSize => 256 + merges.Length;

    /// <summary>The learned merges; merge i makes id 256 + i.</summary>
    public IReadOnlyList<(int Left, int Right)> Merges => merges;

    /// <summary>
    /// Learns up to <paramref name="mergeCount"/> merges from <paramref name="text"/>: split the text with
    /// GPT-2's pre-tokenizer, start every piece as its UTF-8 bytes, then repeatedly merge the adjacent pair
    /// that occurs most often (ties: the smaller left id, then the smaller right id). Stops early when no
    /// piece has two tokens left. Deterministic.
    /// </summary>
    public static BpeTokenizer Train(string text, int mergeCount)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(mergeCount);
        return new BpeTokenizer(BpeTrainer.Learn(text, mergeCount));
    }

    public int[] Encode(string text) => model.Encode(text);

    public string Decode(ReadOnlySpan<int> ids) => model.Decode(ids);

    public byte[] TokenBytes(int id) => model.TokenBytes(id);

    public void Save(string directory)
    {
        TokenizerFile.Write(directory, Kind, writer =>
        {
            writer.WriteStartArray("merges");
            foreach (var (left, right) in merges)
            {
                writer.WriteStartArray();
                writer.WriteNumberValue(left);
                writer.WriteNumberValue(right);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        });
    }

    internal static BpeTokenizer FromJson(JsonElement root)
    {
        if (!root.TryGetProperty("merges", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new TokenizerFormatException("a bpe tokenizer needs a \"merges\" array of [left, right] id pairs");
        }

        var merges = new List<(int, int)>(array.GetArrayLength());
        foreach (var pair in array.EnumerateArray())
        {
            if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
                || !pair[0].TryGetInt32(out var left) || !pair[1].TryGetInt32(out var right))
            {
                throw new TokenizerFormatException($"merge {merges.Count} must be a [left, right] pair of ids, found {pair.GetRawText()}");
            }

            var id = 256 + merges.Count;
            if ((uint)left >= (uint)id || (uint)right >= (uint)id)
            {
                throw new TokenizerFormatException($"merge {merges.Count} [{left}, {right}] must join ids below {id}");
            }

            merges.Add((left, right));
        }

        return new BpeTokenizer(merges);
    }
}
