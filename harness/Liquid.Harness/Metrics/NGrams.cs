namespace Liquid.Harness.Metrics;

/// <summary>A sequence of n consecutive tokens, compared by value (ordinal).</summary>
public readonly struct NGram : IEquatable<NGram>
{
    private readonly string[] _tokens;

    /// <summary>The n-gram of <paramref name="tokens"/> starting at <paramref name="start"/>.</summary>
    public NGram(IReadOnlyList<string> tokens, int start, int n)
    {
        _tokens = new string[n];
        for (var i = 0; i < n; i++) _tokens[i] = tokens[start + i];
    }

    /// <summary>The tokens, in order.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <inheritdoc/>
    public bool Equals(NGram other) => _tokens.AsSpan().SequenceEqual(other._tokens);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is NGram other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var token in _tokens) hash.Add(token, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(' ', _tokens);
}

/// <summary>Counting n-grams of token lists.</summary>
public static class NGrams
{
    /// <summary>How often each n-gram occurs in <paramref name="tokens"/> (empty when it is shorter than n).</summary>
    public static Dictionary<NGram, int> Count(IReadOnlyList<string> tokens, int n)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "n-grams have at least one token");
        var counts = new Dictionary<NGram, int>();
        for (var start = 0; start + n <= tokens.Count; start++)
        {
            var ngram = new NGram(tokens, start, n);
            counts[ngram] = counts.GetValueOrDefault(ngram) + 1;
        }
        return counts;
    }
}
