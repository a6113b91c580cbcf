using System.Globalization;

namespace Liquid.Harness.Generation;

/// <summary>How the next token is chosen from the processed scores.</summary>
public enum SamplingStrategy
{
    /// <summary>The most likely token (argmax; the lowest id on ties). Deterministic.</summary>
    Greedy,

    /// <summary>A draw from the softmax of the processed scores (multinomial), seeded per generation.</summary>
    Sample,
}

/// <summary>
/// What to generate and how: the decoding strategy, the logits processors (Hugging Face's
/// <c>generate</c> parameters of the same names) and when to stop.
/// </summary>
/// <remarks>
/// Defaults differ from Hugging Face's in one place: top-k is off unless set (Hugging Face defaults to 50).
/// In <see cref="SamplingStrategy.Greedy"/> mode only the repetition penalty applies; temperature, top-k
/// and top-p are sampling warpers and are ignored, as in Hugging Face's greedy search.
/// </remarks>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding with the other defaults.</summary>
    public static SamplingOptions Greedy { get; } = new() { Strategy = SamplingStrategy.Greedy };

    /// <summary>Argmax or a random draw. Default: <see cref="SamplingStrategy.Sample"/>.</summary>
    public SamplingStrategy Strategy { get; init; } = SamplingStrategy.Sample;

    /// <summary>Scores are divided by it before sampling; must be &gt; 0 when sampling. 1 leaves them as they are.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens (ties at the boundary kept); null or 0 for no limit.</summary>
    public int? TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens with mass ≥ p, in (0, 1]; null or 1 for no limit.</summary>
    public double? TopP { get; init; }

    /// <summary>CTRL's repetition penalty θ &gt; 0 over the prompt and the generated ids; 1 for none.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Seed of libtorch's generator (<c>torch.manual_seed</c>) set once per generation; null picks one at random (reported in the result).</summary>
    public ulong? Seed { get; init; }

    /// <summary>The most tokens to generate (not counting the prompt). Default 256.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Stop as soon as the decoded generated text contains one of these strings (needs a decode function).</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Stop after generating one of these ids, e.g. an end-of-text token (it is included in the output).</summary>
    public IReadOnlyList<int> StopTokens { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Strategy))
            throw new ArgumentException($"unknown sampling strategy {Strategy}", nameof(Strategy));
        if (Strategy == SamplingStrategy.Sample)
        {
            Generation.Temperature.Validate(Temperature);
            if (TopK is < 0)
                throw new ArgumentException($"top-k must be at least 1, or 0 for no limit (got {TopK})", nameof(TopK));
            if (TopP is { } p && !(p > 0 && p <= 1))
                throw new ArgumentException(Invariant($"top-p must be in (0, 1] (got {p})"), nameof(TopP));
        }
        if (!(RepetitionPenalty > 0) || double.IsInfinity(RepetitionPenalty))
            throw new ArgumentException(Invariant($"repetition penalty must be a finite number greater than 0 (got {RepetitionPenalty}); 1 means no penalty"), nameof(RepetitionPenalty));
        if (MaxTokens < 0)
            throw new ArgumentException($"max tokens must be at least 0 (got {MaxTokens})", nameof(MaxTokens));
        if (Stop is null || Stop.Any(string.IsNullOrEmpty))
            throw new ArgumentException("stop strings must not be empty", nameof(Stop));
        if (StopTokens is null || StopTokens.Any(id => id < 0))
            throw new ArgumentException("stop token ids must not be negative", nameof(StopTokens));
    }

    /// <summary>
    /// The processors these options ask for, in Hugging Face's order: repetition penalty, then (when
    /// sampling) temperature, top-k, top-p. Options at their neutral value add nothing.
    /// </summary>
    public IReadOnlyList<ILogitsProcessor> CreateProcessors()
    {
        Validate();
        var processors = new List<ILogitsProcessor>();
        if (RepetitionPenalty != 1.0) processors.Add(new Generation.RepetitionPenalty(RepetitionPenalty));
        if (Strategy == SamplingStrategy.Sample)
        {
            if (Temperature != 1.0) processors.Add(new Generation.Temperature(Temperature));
            if (TopK is { } k && k > 0) processors.Add(new Generation.TopK(k));
            if (TopP is { } p && p < 1.0) processors.Add(new Generation.TopP(p));
        }
        return processors;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
