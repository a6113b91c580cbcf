namespace Liquid.Harness.Text;

/// <summary>
/// Hashing for token pairs packed as <c>(left &lt;&lt; 32) | right</c> (BPE training's dictionaries).
/// <see cref="long.GetHashCode"/> is <c>left ^ right</c>, which piles pairs of similar ids into a few buckets
/// (up to 244 of GPT-2's merges share one hash).
/// </summary>
internal sealed class PairComparer : IEqualityComparer<long>
{
    public static readonly PairComparer Instance = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long pair) => (int)(((ulong)pair * 0x9E3779B97F4A7C15UL) >> 32);
}
