using System.CommandLine;
using Liquid.Harness.Generation;
using Liquid.Harness.Text;
using Liquid.Harness.Training;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Spectre.Console;

namespace Liquid.Harness.Cli;

/// <summary>The sampling options of <c>liquid generate</c>, and generation with streamed text.</summary>
internal static class Sampling
{
    /// <summary>The options, created once per command.</summary>
    internal sealed class OptionSet
    {
        public readonly Option<int> MaxTokens = new("--max-tokens") { Description = "Tokens to generate.", DefaultValueFactory = _ => 200 };
        public readonly Option<string> Strategy = new("--strategy") { Description = "greedy or sample.", DefaultValueFactory = _ => "sample" };
        public readonly Option<double> Temperature = new("--temperature") { Description = "Divides the logits; must be > 0 (use --strategy greedy for argmax).", DefaultValueFactory = _ => 1.0 };
        public readonly Option<int?> TopK = new("--top-k") { Description = "Keep the k most likely tokens (ties at the boundary kept)." };
        public readonly Option<double?> TopP = new("--top-p") { Description = "Keep the smallest set of tokens with probability mass ≥ p." };
        public readonly Option<double> RepetitionPenalty = new("--repetition-penalty") { Description = "CTRL penalty θ on tokens already seen (1 = none).", DefaultValueFactory = _ => 1.0 };
        public readonly Option<ulong?> Seed = new("--seed") { Description = "Seed of the sampler." };
        public readonly Option<string[]> Stop = new("--stop") { Description = "Stop when this text appears (repeatable)." };

        public IEnumerable<Option> All => [MaxTokens, Strategy, Temperature, TopK, TopP, RepetitionPenalty, Seed, Stop];

        public SamplingOptions Read(ParseResult result)
        {
            var strategy = result.GetValue(Strategy)!.ToLowerInvariant() switch
            {
                "greedy" => SamplingStrategy.Greedy,
                "sample" => SamplingStrategy.Sample,
                var other => throw new ConfigException($"--strategy '{other}' is not greedy or sample"),
            };
            // In the command line's own terms (SamplingOptions.Validate names its properties).
            OptionChecks.AtLeast(result.GetValue(MaxTokens), 0, "--max-tokens", "0 or more");
            OptionChecks.AtLeast(result.GetValue(TopK), 0, "--top-k", "at least 1, or 0 for no limit");
            if (result.GetValue(TopP) is { } p && !(p > 0 && p <= 1))
                throw new ConfigException($"--top-p must be in (0, 1], not {p.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            if (result.GetValue(Temperature) is var t && !(double.IsFinite(t) && t > 0))
                throw new ConfigException($"--temperature must be a positive number, not {t.ToString(System.Globalization.CultureInfo.InvariantCulture)} (for the most likely token at every step use --strategy greedy)");
            OptionChecks.Positive(result.GetValue(RepetitionPenalty), "--repetition-penalty");
            if (result.GetValue(Stop) is { } stops && stops.Any(string.IsNullOrEmpty))
                throw new ConfigException("--stop takes a non-empty text");
            var options = new SamplingOptions
            {
                Strategy = strategy,
                MaxTokens = result.GetValue(MaxTokens),
                Temperature = result.GetValue(Temperature),
                TopK = result.GetValue(TopK),
                TopP = result.GetValue(TopP),
                RepetitionPenalty = result.GetValue(RepetitionPenalty),
                Seed = result.GetValue(Seed),
                Stop = result.GetValue(Stop) ?? [],
            };
            options.Validate();
            return options;
        }
    }

    public static OptionSet Options() => new();

    /// <summary>Generates from <paramref name="prompt"/>, handing each decoded piece of text to <paramref name="write"/> as it comes.</summary>
    public static GenerationResult Generate(CompiledModel model, ITokenizer tokenizer, string prompt, SamplingOptions options, Action<string> write)
    {
        // An empty prompt still needs one token to condition on: a newline, the corpus' separator.
        var ids = tokenizer.Encode(prompt.Length > 0 ? prompt : "\n");
        if (ids.Length == 0) throw new ArgumentException("the prompt encodes to no tokens");
        var decoder = new StreamingDecoder(tokenizer);
        var result = new Generator(model).Generate(ids, options, id => write(decoder.Push(id)), generated => tokenizer.Decode(generated.ToArray()));
        write(decoder.Flush());
        return result;
    }

    /// <summary>The sample shown at the end of training of a language model: seeded sampling at temperature 0.8.</summary>
    public static void PrintSample(IAnsiConsole console, string checkpoint, string prompt)
    {
        var (directory, info) = Checkpoint.ReadInfo(checkpoint);
        // Only language models have something to say: a model that reads examples has no tokenizer.
        if (Checkpoint.TryLoadTokenizer(directory) is not { } tokenizer) return;
        using var model = Checkpoint.LoadModel(directory, info);
        var text = new System.Text.StringBuilder(prompt);
        var options = new SamplingOptions { Strategy = SamplingStrategy.Sample, Temperature = 0.8, TopK = 40, MaxTokens = 120, Seed = 1 };
        Generate(model, tokenizer, prompt, options, piece => text.Append(piece));
        console.Write(new Panel(Markup.Escape(text.ToString())).Header("sample").Expand());
        console.WriteLine();
    }
}
