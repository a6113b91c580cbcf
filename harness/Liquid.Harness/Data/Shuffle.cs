namespace Liquid.Harness.Data;

/// <summary>
/// Seeded Fisher–Yates shuffles driven by SplitMix64 (Steele, Lea and Flood, 2014): the same seed
/// gives the same permutation on every machine and .NET version, which <see cref="Random"/> does not
/// promise.
/// </summary>
internal static class Shuffle
{
    /// <summary>Permutes <paramref name="items"/> in place, uniformly, as seeded.</summary>
    public static void InPlace(int[] items, ulong seed)
    {
        var state = seed;
        for (var i = items.Length - 1; i > 0; i--)
        {
            // Multiply-shift maps 64 random bits onto [0, i]; for any array that fits in memory its bias is below 2^-32.
            var j = (int)Math.BigMul(SplitMix64(ref state), (ulong)(i + 1), out _);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>One SplitMix64 step: advances <paramref name="state"/> by the golden gamma and mixes it.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        var z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A seed for stream <paramref name="index"/> of <paramref name="seed"/> (e.g. one per epoch), decorrelated by mixing.</summary>
    public static ulong Derive(ulong seed, ulong index)
    {
        var state = seed ^ (index * 0xD1B54A32D192ED03UL);
        return SplitMix64(ref state);
    }
}
