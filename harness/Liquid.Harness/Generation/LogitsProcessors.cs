using System.Globalization;
using Liquid.Runtime;

namespace Liquid.Harness.Generation;

/// <summary>
/// Changes next-token scores before one is chosen (Hugging Face's <c>LogitsProcessor</c> and
/// <c>LogitsWarper</c>). Implementations never modify their input: they return a new tensor of the
/// same shape and free their intermediates.
/// </summary>
public interface ILogitsProcessor
{
    /// <summary>Processes next-token scores.</summary>
    /// <param name="logits">Floating-point scores, <c>[V]</c> for one sequence or <c>[B, V]</c> for a batch.</param>
    /// <param name="history">
    /// The ids of each sequence so far (prompt and generated), integer <c>[S]</c> or <c>[B, S]</c>; an
    /// <c>[S]</c> history applies to every row of a batch. Only processors that look at the history
    /// (<see cref="RepetitionPenalty"/>) need it.
    /// </param>
    /// <returns>New scores with the shape of <paramref name="logits"/>; removed tokens score −∞.</returns>
    Tensor Apply(Tensor logits, Tensor? history = null);
}

/// <summary>
/// CTRL's repetition penalty (Keskar et al., 2019; Hugging Face's <c>RepetitionPenaltyLogitsProcessor</c>):
/// for every distinct id in the history, a score s becomes s / θ when s &gt; 0 and s · θ otherwise, so
/// θ &gt; 1 makes repeating less likely and θ &lt; 1 more likely. An id seen several times is penalized
/// once: the penalty reads the original scores, not already-penalized ones.
/// </summary>
public sealed class RepetitionPenalty : ILogitsProcessor
{
    /// <summary>Creates the processor; <paramref name="penalty"/> (θ) must be a finite number greater than 0.</summary>
    public RepetitionPenalty(double penalty)
    {
        if (!(penalty > 0) || double.IsInfinity(penalty))
            throw new ArgumentOutOfRangeException(nameof(penalty), penalty,
                string.Create(CultureInfo.InvariantCulture, $"repetition penalty must be a finite number greater than 0 (got {penalty}); 1 means no penalty"));
        Penalty = penalty;
    }

    /// <summary>θ: scores of seen tokens are divided by it when positive and multiplied by it otherwise.</summary>
    public double Penalty { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor logits, Tensor? history = null)
    {
        Logits.Check(logits, "repetition penalty");
        if (history is null)
            throw new ArgumentNullException(nameof(history), "repetition penalty needs the ids seen so far");
        if (history.DType.IsFloatingPoint() || history.DType is DType.Bool or DType.Complex64 or DType.Complex128)
            throw new ArgumentException($"repetition penalty: history must hold integer ids, got {history.DType.Name()}", nameof(history));

        using var scope = TensorScope.Enter();
        var ids = history.DType == DType.Int64 ? history : history.To(DType.Int64);
        if (ids.Rank == 1 && logits.Rank == 2)
            ids = ids.Unsqueeze(0).Expand(logits.Size(0), ids.Size(0));
        if (ids.Rank != logits.Rank || (ids.Rank == 2 && ids.Size(0) != logits.Size(0)))
            throw new ArgumentException(
                $"repetition penalty: history [{string.Join(", ", history.Shape)}] does not match logits [{string.Join(", ", logits.Shape)}]; expected [S] or [B, S]",
                nameof(history));
        if (ids.Size(-1) == 0) return scope.Keep(logits.Clone());

        var dim = logits.Rank - 1;
        // Every occurrence of an id gathers the same original score, so scattering back writes one value per id.
        var seen = logits.Gather(dim, ids);
        var penalized = Tensor.Where(seen.Lt(0.0), seen.Mul(Penalty), seen.Div(Penalty));
        return scope.Keep(logits.Scatter(dim, ids, penalized));
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"repetition_penalty({Penalty})");
}

/// <summary>
/// Divides scores by a temperature t &gt; 0 (Hugging Face's <c>TemperatureLogitsWarper</c>): t &lt; 1 sharpens
/// the distribution, t &gt; 1 flattens it. Temperature 0 is not a limit case here: use greedy decoding.
/// </summary>
public sealed class Temperature : ILogitsProcessor
{
    /// <summary>Creates the warper; throws <see cref="ArgumentException"/> unless <paramref name="temperature"/> &gt; 0.</summary>
    public Temperature(double temperature)
    {
        Validate(temperature);
        Value = temperature;
    }

    /// <summary>The divisor t.</summary>
    public double Value { get; }

    /// <summary>Throws the error that suggests greedy decoding unless <paramref name="temperature"/> is a finite number &gt; 0.</summary>
    public static void Validate(double temperature)
    {
        if (temperature > 0 && !double.IsInfinity(temperature)) return;
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture,
                $"temperature must be a finite number greater than 0 (got {temperature}): scores are divided by it. ") +
            "To always pick the most likely token, use greedy decoding (SamplingStrategy.Greedy) instead of temperature 0.",
            nameof(temperature));
    }

    /// <inheritdoc/>
    public Tensor Apply(Tensor logits, Tensor? history = null)
    {
        Logits.Check(logits, "temperature");
        return logits.Div(Value);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"temperature({Value})");
}

/// <summary>
/// Keeps the k highest-scoring tokens (Hugging Face's <c>TopKLogitsWarper</c>): every score below the k-th
/// largest becomes −∞. Scores equal to the k-th largest are kept, so ties at the boundary can keep more
/// than k tokens; k larger than the vocabulary keeps everything.
/// </summary>
public sealed class TopK : ILogitsProcessor
{
    /// <summary>Creates the warper; <paramref name="k"/> must be at least 1.</summary>
    public TopK(int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "top-k must be at least 1");
        K = k;
    }

    /// <summary>How many of the highest scores to keep (more on ties).</summary>
    public int K { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor logits, Tensor? history = null)
    {
        Logits.Check(logits, "top-k");
        using var scope = TensorScope.Enter();
        var dim = logits.Rank - 1;
        var k = Math.Min(K, logits.Size(dim));
        var (largest, _) = logits.TopK(k, dim);
        var kth = largest.Narrow(dim, k - 1, 1);
        return scope.Keep(logits.MaskedFill(logits.Lt(kth), double.NegativeInfinity));
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"top_k({K})");
}

/// <summary>
/// Nucleus sampling (Holtzman et al., 2019; Hugging Face's <c>TopPLogitsWarper</c>): keeps the smallest set
/// of most likely tokens whose probabilities add up to at least p, and always at least one token.
/// </summary>
/// <remarks>
/// Computed as Hugging Face does: sort the scores ascending, take the cumulative softmax, and drop every
/// token whose cumulative mass is ≤ 1 − p except the most likely one. A set whose mass is exactly p is
/// therefore enough (the next token is dropped). The sort is stable, so among tokens of equal probability
/// at the boundary the lower ids are dropped first.
/// </remarks>
public sealed class TopP : ILogitsProcessor
{
    /// <summary>Creates the warper; <paramref name="p"/> must be in (0, 1].</summary>
    public TopP(double p)
    {
        if (!(p > 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "top-p must be in (0, 1]; 1 keeps every token of nonzero probability");
        P = p;
    }

    /// <summary>The probability mass to keep.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor logits, Tensor? history = null)
    {
        Logits.Check(logits, "top-p");
        using var scope = TensorScope.Enter();
        var dim = logits.Rank - 1;
        var vocabulary = logits.Size(dim);
        var (ascending, order) = logits.Sort(dim, descending: false, stable: true);
        var cumulative = ascending.Softmax(dim).CumSum(dim);
        var dropSorted = cumulative.Le(1 - P);
        dropSorted.Narrow(dim, vocabulary - 1, 1).Fill_(false); // the most likely token always stays
        var drop = dropSorted.Scatter(dim, order, dropSorted);
        return scope.Keep(logits.MaskedFill(drop, double.NegativeInfinity));
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"top_p({P})");
}

/// <summary>Shared argument checks of the processors.</summary>
internal static class Logits
{
    public static void Check(Tensor logits, string processor)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank is not (1 or 2))
            throw new ArgumentException($"{processor}: logits must be [V] or [B, V], got [{string.Join(", ", logits.Shape)}]", nameof(logits));
        if (!logits.DType.IsFloatingPoint())
            throw new ArgumentException($"{processor}: logits must be floating point, got {logits.DType.Name()}", nameof(logits));
        if (logits.Size(logits.Rank - 1) == 0)
            throw new ArgumentException($"{processor}: logits have an empty vocabulary dimension", nameof(logits));
    }
}
