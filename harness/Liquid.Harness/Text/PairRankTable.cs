using System.Numerics;

namespace Liquid.Harness.Text;

/// <summary>
/// Merge rank of a token pair: an open-addressing hash table (linear probing) keyed by
/// <c>(left &lt;&lt; 32) | right</c>. Encoding spends most of its time here, and a lookup usually costs
/// one cache line, unlike <see cref="Dictionary{TKey,TValue}"/>'s bucket + entry indirection.
/// </summary>
internal sealed class PairRankTable
{
    public const int Missing = int.MaxValue;

    private const long Empty = -1;

    private readonly Slot[] slots;
    private readonly int mask;

    public PairRankTable(int count)
    {
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, count * 2));
        slots = new Slot[capacity];
        slots.AsSpan().Fill(new Slot(Empty, Missing));
        mask = capacity - 1;
    }

    /// <summary>Sets the rank of a pair (ids are non-negative), replacing any earlier one.</summary>
    public void Set(int left, int right, int rank)
    {
        var key = Key(left, right);
        var i = Hash(key) & mask;
        while (slots[i].Key != Empty && slots[i].Key != key)
        {
            i = (i + 1) & mask;
        }

        slots[i] = new Slot(key, rank);
    }

    /// <summary>The rank of the pair, or <see cref="Missing"/>.</summary>
    public int Rank(int left, int right)
    {
        var key = Key(left, right);
        var i = Hash(key) & mask;
        while (true)
        {
            var slot = slots[i];
            if (slot.Key == key)
            {
                return slot.Rank;
            }

            if (slot.Key == Empty)
            {
                return Missing;
            }

            i = (i + 1) & mask;
        }
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static int Hash(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);

    private readonly record struct Slot(long Key, int Rank);
}
