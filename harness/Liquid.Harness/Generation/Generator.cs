using System.Diagnostics;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;

namespace Liquid.Harness.Generation;

/// <summary>Why a generation ended.</summary>
public enum FinishReason
{
    /// <summary><see cref="SamplingOptions.MaxTokens"/> tokens were generated.</summary>
    Length,

    /// <summary>The decoded text contains a stop string (<see cref="SamplingOptions.Stop"/>).</summary>
    Stop,

    /// <summary>A stop token was generated (<see cref="SamplingOptions.StopTokens"/>).</summary>
    StopToken,

    /// <summary>The cancellation token was cancelled.</summary>
    Cancelled,
}

/// <summary>What a generation produced.</summary>
public sealed record GenerationResult
{
    /// <summary>The generated ids, without the prompt (including a stop token or the tokens of a stop string).</summary>
    public required IReadOnlyList<int> Tokens { get; init; }

    /// <summary>Why generation ended.</summary>
    public required FinishReason Reason { get; init; }

    /// <summary>
    /// The decoded generated text when a decode function was given, cut before the stop string when
    /// <see cref="Reason"/> is <see cref="FinishReason.Stop"/>; otherwise null.
    /// </summary>
    public string? Text { get; init; }

    /// <summary>The stop string that ended generation, if one did.</summary>
    public string? StopString { get; init; }

    /// <summary>The seed sampling used (null for greedy decoding): pass it back in <see cref="SamplingOptions.Seed"/> to repeat a run.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Prompt tokens the model saw (after cropping a prompt longer than the context).</summary>
    public int PromptTokens { get; init; }

    /// <summary>Steps that re-ran a full context window without the cache because the context was full (see <see cref="Generator"/>).</summary>
    public int ContextSlides { get; init; }

    /// <summary>Time to the first generated token (the prompt's forward pass and one choice).</summary>
    public TimeSpan TimeToFirstToken { get; init; }

    /// <summary>Wall time of the whole generation.</summary>
    public TimeSpan Elapsed { get; init; }
}

/// <summary>
/// The decoding loop of autoregressive language models: feeds a prompt to a <see cref="CompiledModel"/>
/// taking <c>tokens: long[B, T]</c> and returning logits <c>[B, T, V]</c>, then chooses and feeds one token
/// at a time.
/// </summary>
/// <remarks>
/// <para>
/// <b>Cache.</b> The prompt runs once as <c>[1, T]</c> with a <see cref="ModelState"/>, which keeps the
/// attention layers' keys and values (and recurrent layers' carried state); each later step runs only the
/// new token <c>[1, 1]</c> against that state. The model is put in eval mode (restored afterwards) and
/// runs under <see cref="Torch.NoGrad"/>; each step's tensors live in a <see cref="TensorScope"/> freed at
/// the end of the step, so memory stays flat over long generations.
/// </para>
/// <para>
/// <b>Context sliding.</b> A model with a bounded <see cref="CompiledModel.Context"/> (learned position
/// tables, for one) cannot address more positions than that. When the next step would exceed it, the cache
/// is dropped and from then on each step re-runs the last <c>Context</c> tokens from position 0 without a
/// cache (as nanoGPT's <c>generate</c> crops its input), so every further token costs a full forward pass
/// over the window: O(Context) positions instead of 1. The cached keys cannot be reused across the shift
/// because they encode absolute positions. A prompt longer than the context is cropped to its last
/// <c>Context</c> tokens the same way. <see cref="GenerationResult.ContextSlides"/> counts these steps.
/// </para>
/// <para>
/// <b>Stop strings</b> are matched on text, which only the caller's tokenizer can produce: pass a decode
/// function (ids → text). After every token it decodes all generated ids (not the prompt) and stops when
/// any stop string occurs in the text, so a stop string may span several tokens. The repetition penalty
/// looks at the prompt and the generated ids, as Hugging Face's does.
/// </para>
/// </remarks>
public sealed class Generator
{
    private readonly string _input;

    /// <summary>Creates a generator for <paramref name="model"/>, a language model (its token input is read from its file's declarations).</summary>
    public Generator(CompiledModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        _input = Training.TrainingData.LanguageModel(model.Inputs, model.Targets)?.Input.Name
            ?? throw new ArgumentException($"{model.Info.Name} is not a language model (one token input whose next tokens are its target), so it cannot generate text");
    }

    /// <summary>The model generating.</summary>
    public CompiledModel Model { get; }

    /// <summary>Generates a continuation of <paramref name="prompt"/>.</summary>
    /// <param name="prompt">Token ids, at least one.</param>
    /// <param name="options">Strategy, processors and stopping rules; validated first.</param>
    /// <param name="onToken">Called with each new id as soon as it is chosen (streaming), before stop checks.</param>
    /// <param name="decode">Turns generated ids into text; required when <see cref="SamplingOptions.Stop"/> is not empty.</param>
    /// <param name="cancellationToken">Checked before each step; cancelling ends generation with <see cref="FinishReason.Cancelled"/>.</param>
    public GenerationResult Generate(IReadOnlyList<int> prompt, SamplingOptions options, Action<int>? onToken = null,
        Func<IReadOnlyList<int>, string>? decode = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        if (prompt.Count == 0) throw new ArgumentException("the prompt needs at least one token", nameof(prompt));
        if (prompt.Any(id => id < 0)) throw new ArgumentException("token ids must not be negative", nameof(prompt));
        var sampler = new Sampler(options);
        if (options.Stop.Count > 0 && decode is null)
            throw new ArgumentException("stop strings are matched on text: pass a decode function (ids → text)", nameof(decode));
        if (Model.Context is < 1)
            throw new InvalidOperationException($"{Model.Info.Name}: context {Model.Context} must be at least 1");

        var clock = Stopwatch.StartNew();
        var context = Model.Context;
        var sequence = new List<int>(prompt.Count + options.MaxTokens);
        sequence.AddRange(prompt);
        var generated = new List<int>(options.MaxTokens);
        var reason = FinishReason.Length;
        string? stopString = null;
        var stopIndex = -1;
        var slides = 0;
        var firstToken = TimeSpan.Zero;

        var wasTraining = Model.Training;
        Model.Eval();
        // A model that cannot continue from earlier calls runs its whole window for every token.
        ModelState? state = Model.Info.Incremental ? new ModelState() : null;
        try
        {
            using var noGrad = Torch.NoGrad();
            var seed = sampler.Seed();
            var fed = 0; // leading ids of `sequence` the state has consumed
            while (generated.Count < options.MaxTokens)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    reason = FinishReason.Cancelled;
                    break;
                }

                int next;
                using (TensorScope.Enter())
                {
                    Tensor logits;
                    if (state is not null && (context is null || sequence.Count <= context))
                    {
                        logits = LastLogits(sequence, fed, sequence.Count - fed, state);
                        fed = sequence.Count;
                    }
                    else
                    {
                        // The window is full (or the model is not incremental): forget the cache and
                        // re-run the last `context` ids (all of them, if fewer) from position 0.
                        state?.Dispose();
                        state = null;
                        var window = (int)Math.Min(context ?? sequence.Count, sequence.Count);
                        logits = LastLogits(sequence, sequence.Count - window, window, state: null);
                        if (sequence.Count > window) slides++;
                    }
                    next = sampler.Next(logits, sequence);
                }

                sequence.Add(next);
                generated.Add(next);
                if (generated.Count == 1) firstToken = clock.Elapsed;
                onToken?.Invoke(next);

                if (options.StopTokens.Contains(next))
                {
                    reason = FinishReason.StopToken;
                    break;
                }
                if (options.Stop.Count > 0 && FindStop(decode!(generated), options.Stop) is ({ } found, var index))
                {
                    (reason, stopString, stopIndex) = (FinishReason.Stop, found, index);
                    break;
                }
            }

            string? text = null;
            if (decode is not null)
            {
                text = decode(generated);
                if (stopString is not null) text = text[..stopIndex];
            }
            return new GenerationResult
            {
                Tokens = generated,
                Reason = reason,
                Text = text,
                StopString = stopString,
                Seed = seed,
                PromptTokens = context is { } c ? (int)Math.Min(prompt.Count, c) : prompt.Count,
                ContextSlides = slides,
                TimeToFirstToken = firstToken,
                Elapsed = clock.Elapsed,
            };
        }
        finally
        {
            state?.Dispose();
            if (wasTraining) Model.Train();
        }
    }

    /// <summary>Runs <c>sequence[start..start+count]</c> as <c>[1, count]</c> and returns the last position's logits <c>[V]</c>.</summary>
    private Tensor LastLogits(List<int> sequence, int start, int count, ModelState? state)
    {
        var ids = new long[count];
        for (var i = 0; i < count; i++) ids[i] = sequence[start + i];
        var tokens = Tensor.From(ids, 1L, count);
        // Disposed here: besides the logits it holds the auxiliary losses and measurements, which no
        // scope owns. The returned row is a view of its own, valid after the output is freed.
        using var run = Model.Run(new Dictionary<string, Tensor>(StringComparer.Ordinal) { [_input] = tokens }, state);
        var output = run.Output;
        if (output.Rank != 3 || output.Size(0) != 1 || output.Size(1) != count)
            throw new InvalidOperationException(
                $"{Model.Info.Name}: generation needs logits [B, T, V] for tokens [1, {count}], got [{string.Join(", ", output.Shape)}]");
        return output.Select(0, 0).Select(0, count - 1);
    }

    /// <summary>The earliest occurrence of any stop string in <paramref name="text"/> (the longest one on ties).</summary>
    internal static (string? Stop, int Index) FindStop(string text, IReadOnlyList<string> stops)
    {
        string? best = null;
        var bestIndex = -1;
        foreach (var stop in stops)
        {
            var index = text.IndexOf(stop, StringComparison.Ordinal);
            if (index < 0) continue;
            if (best is null || index < bestIndex || (index == bestIndex && stop.Length > best.Length))
                (best, bestIndex) = (stop, index);
        }
        return (best, bestIndex);
    }
}
