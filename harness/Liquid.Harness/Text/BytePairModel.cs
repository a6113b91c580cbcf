using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace Liquid.Harness.Text;

/// <summary>
/// The byte-level BPE engine shared by <see cref="Gpt2Tokenizer"/> and <see cref="BpeTokenizer"/>: GPT-2
/// pre-tokenization, then within each piece start from one token per UTF-8 byte and repeatedly merge
/// every occurrence (left to right) of the adjacent pair with the lowest merge rank, exactly like
/// <c>bpe()</c> in OpenAI's encoder.py. Results are cached per piece; thread-safe.
/// </summary>
internal sealed class BytePairModel
{
    private const int CacheLimit = 1 << 20;

    private readonly byte[]?[] tokenBytes;
    private readonly int[] byteToId;
    private readonly PairRankTable ranks;
    private readonly (int Left, int Right, int Merged)[] merges;
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> cacheLookup;
    private int cacheAdds;

    /// <param name="tokenBytes">bytes of each id (null for an unused id).</param>
    /// <param name="byteToId">the id of each single byte.</param>
    /// <param name="merges">merges in rank order: (left id, right id, merged id).</param>
    public BytePairModel(byte[]?[] tokenBytes, int[] byteToId, (int Left, int Right, int Merged)[] merges)
    {
        if (byteToId.Length != 256)
        {
            throw new ArgumentException("byte-level BPE needs an id for each of the 256 bytes", nameof(byteToId));
        }

        this.tokenBytes = tokenBytes;
        this.byteToId = byteToId;
        this.merges = merges;
        ranks = new PairRankTable(merges.Length);
        for (var rank = 0; rank < merges.Length; rank++)
        {
            // A repeated pair keeps its last rank, as encoder.py's dict(zip(merges, range(...))) does.
            ranks.Set(merges[rank].Left, merges[rank].Right, rank);
        }

        cacheLookup = cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int VocabSize => tokenBytes.Length;

    public IReadOnlyList<(int Left, int Right, int Merged)> Merges => merges;

    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 4);
        var span = text.AsSpan();
        var i = 0;
        while (i < span.Length)
        {
            var end = Gpt2PreTokenizer.NextEnd(span, i);
            output.AddRange(EncodePiece(span[i..end]));
            i = end;
        }

        return output.ToArray();
    }

    public int[] EncodePiece(ReadOnlySpan<char> piece)
    {
        if (cacheLookup.TryGetValue(piece, out var cached))
        {
            return cached;
        }

        var ids = Merge(piece);
        // ConcurrentDictionary.Count takes every lock, so count additions ourselves.
        if (Interlocked.Increment(ref cacheAdds) > CacheLimit)
        {
            cache.Clear();
            Interlocked.Exchange(ref cacheAdds, 0);
        }

        cacheLookup.TryAdd(piece, ids);
        return ids;
    }

    private int[] Merge(ReadOnlySpan<char> piece)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rented = null;
        Span<byte> bytes = maxBytes <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        var count = Encoding.UTF8.GetBytes(piece, bytes);

        var symbols = new int[count];
        for (var k = 0; k < count; k++)
        {
            symbols[k] = byteToId[bytes[k]];
        }

        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        var length = count;
        if (length > 1)
        {
            length = MergeAll(symbols, length);
        }

        return length == symbols.Length ? symbols : symbols[..length];
    }

    /// <summary>
    /// encoder.py's loop: while some adjacent pair has a rank, take the lowest-ranked pair and merge all
    /// its occurrences left to right. <c>pairRank[k]</c> caches the rank of (symbols[k], symbols[k+1]) so
    /// only the pairs next to a merge are looked up again.
    /// </summary>
    private int MergeAll(int[] symbols, int length)
    {
        var rentedRanks = length <= 128 ? null : new int[length];
        var rentedFlags = length <= 128 ? null : new bool[length];
        Span<int> pairRank = rentedRanks ?? stackalloc int[128];
        Span<bool> merged = rentedFlags ?? stackalloc bool[128];
        for (var k = 0; k + 1 < length; k++)
        {
            pairRank[k] = ranks.Rank(symbols[k], symbols[k + 1]);
        }

        while (length > 1)
        {
            var best = PairRankTable.Missing;
            for (var k = 0; k + 1 < length; k++)
            {
                if (pairRank[k] < best)
                {
                    best = pairRank[k];
                }
            }

            if (best == PairRankTable.Missing)
            {
                break;
            }

            var made = merges[best].Merged;
            var w = 0;
            for (var k = 0; k < length; w++)
            {
                if (k + 1 < length && pairRank[k] == best)
                {
                    symbols[w] = made;
                    merged[w] = true;
                    k += 2;
                }
                else
                {
                    // If the next output symbol is also copied unchanged, this pair (and its rank) survives.
                    symbols[w] = symbols[k];
                    pairRank[w] = k + 1 < length ? pairRank[k] : PairRankTable.Missing;
                    merged[w] = false;
                    k++;
                }
            }

            length = w;
            for (var k = 0; k + 1 < length; k++)
            {
                if (merged[k] || merged[k + 1])
                {
                    pairRank[k] = ranks.Rank(symbols[k], symbols[k + 1]);
                }
            }
        }

        return length;
    }

    public byte[] TokenBytes(int id)
    {
        if ((uint)id >= (uint)tokenBytes.Length || tokenBytes[id] is not { } bytes)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is not in the vocabulary (size {tokenBytes.Length})");
        }

        return (byte[])bytes.Clone();
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var total = 0;
        foreach (var id in ids)
        {
            total += Bytes(id).Length;
        }

        Span<byte> buffer = total <= 1024 ? stackalloc byte[total] : new byte[total];
        var at = 0;
        foreach (var id in ids)
        {
            var b = Bytes(id);
            b.CopyTo(buffer[at..]);
            at += b.Length;
        }

        return Encoding.UTF8.GetString(buffer);
    }

    private byte[] Bytes(int id)
    {
        if ((uint)id >= (uint)tokenBytes.Length || tokenBytes[id] is not { } bytes)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is not in the vocabulary (size {tokenBytes.Length})");
        }

        return bytes;
    }

}
