using System.Text;

namespace Liquid.Harness.Text;

/// <summary>
/// Pair-count BPE training over pre-tokenized pieces with incremental pair counts: only the pieces that
/// hold the merged pair are revisited, and a lazy max-heap finds the next most frequent pair.
/// </summary>
internal static class BpeTrainer
{
    public static List<(int Left, int Right)> Learn(string text, int mergeCount)
    {
        var merges = new List<(int, int)>(Math.Min(mergeCount, 1 << 16));
        if (mergeCount == 0)
        {
            return merges;
        }

        // Distinct pieces with their counts; pieces of one byte can never hold a pair.
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        var span = text.AsSpan();
        for (var i = 0; i < span.Length;)
        {
            var end = Gpt2PreTokenizer.NextEnd(span, i);
            var piece = span[i..end];
            lookup[piece] = lookup.TryGetValue(piece, out var n) ? n + 1 : 1;
            i = end;
        }

        var words = new List<int[]>(counts.Count);
        var lengths = new List<int>(counts.Count);
        var freqs = new List<long>(counts.Count);
        foreach (var (piece, count) in counts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var bytes = Encoding.UTF8.GetBytes(piece);
            if (bytes.Length < 2)
            {
                continue;
            }

            words.Add(Array.ConvertAll(bytes, b => (int)b));
            lengths.Add(bytes.Length);
            freqs.Add(count);
        }

        var pairCounts = new Dictionary<long, long>(PairComparer.Instance);
        var pairWords = new Dictionary<long, List<int>>(PairComparer.Instance);
        for (var w = 0; w < words.Count; w++)
        {
            var symbols = words[w];
            for (var k = 0; k + 1 < symbols.Length; k++)
            {
                var key = Key(symbols[k], symbols[k + 1]);
                pairCounts[key] = pairCounts.GetValueOrDefault(key) + freqs[w];
                if (!pairWords.TryGetValue(key, out var list))
                {
                    pairWords[key] = list = [];
                }

                if (list.Count == 0 || list[^1] != w)
                {
                    list.Add(w);
                }
            }
        }

        // Max-heap on (count, then smaller key = smaller left id, then smaller right id). Entries go stale
        // when a count changes; every change pushes the exact count, so the first entry popped whose count
        // is still current is the true best pair.
        var heap = new PriorityQueue<long, (long Count, long Key)>(
            pairCounts.Count,
            Comparer<(long Count, long Key)>.Create((a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Key.CompareTo(b.Key)));
        foreach (var (key, count) in pairCounts)
        {
            heap.Enqueue(key, (count, key));
        }

        var visited = new int[words.Count];
        Array.Fill(visited, -1);
        var delta = new Dictionary<long, long>(PairComparer.Instance);
        while (merges.Count < mergeCount && heap.TryDequeue(out var best, out var priority))
        {
            if (!pairCounts.TryGetValue(best, out var current) || current != priority.Count || current <= 0)
            {
                continue;
            }

            var left = (int)(best >> 32);
            var right = (int)(uint)best;
            var merged = 256 + merges.Count;
            merges.Add((left, right));
            delta.Clear();

            foreach (var w in pairWords[best])
            {
                if (visited[w] == merged)
                {
                    continue;
                }

                visited[w] = merged;
                var symbols = words[w];
                var length = lengths[w];
                var freq = freqs[w];
                var found = false;
                for (var k = 0; k + 1 < length; k++)
                {
                    if (symbols[k] == left && symbols[k + 1] == right)
                    {
                        found = true;
                        break;
                    }
                }

                if (!found)
                {
                    continue;
                }

                for (var k = 0; k + 1 < length; k++)
                {
                    var key = Key(symbols[k], symbols[k + 1]);
                    delta[key] = delta.GetValueOrDefault(key) - freq;
                }

                var at = 0;
                for (var k = 0; k < length;)
                {
                    if (k + 1 < length && symbols[k] == left && symbols[k + 1] == right)
                    {
                        symbols[at++] = merged;
                        k += 2;
                    }
                    else
                    {
                        symbols[at++] = symbols[k++];
                    }
                }

                length = at;
                lengths[w] = length;
                for (var k = 0; k + 1 < length; k++)
                {
                    var key = Key(symbols[k], symbols[k + 1]);
                    delta[key] = delta.GetValueOrDefault(key) + freq;
                    if (symbols[k] == merged || symbols[k + 1] == merged)
                    {
                        if (!pairWords.TryGetValue(key, out var list))
                        {
                            pairWords[key] = list = [];
                        }

                        if (list.Count == 0 || list[^1] != w)
                        {
                            list.Add(w);
                        }
                    }
                }
            }

            foreach (var (key, change) in delta)
            {
                if (change == 0)
                {
                    continue;
                }

                var count = pairCounts.GetValueOrDefault(key) + change;
                if (count <= 0)
                {
                    pairCounts.Remove(key);
                    pairWords.Remove(key);
                }
                else
                {
                    pairCounts[key] = count;
                    heap.Enqueue(key, (count, key));
                }
            }
        }

        return merges;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}
