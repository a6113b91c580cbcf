using System.Text.Json.Nodes;
using Liquid.Harness.Tests.EndToEnd;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>A temporary folder with a corpus and a token cache, and the in-process command line.</summary>
public abstract class RunFolder : IDisposable
{
    protected RunFolder()
    {
        Folder = Directory.CreateTempSubdirectory("liquid-reliability-").FullName;
        Cache = Path.Combine(Folder, "cache");
        Environment.SetEnvironmentVariable("LIQUID_CACHE", Cache);
        Corpus = CliTests.WriteCorpus(Folder);
    }

    protected string Folder { get; }

    protected string Cache { get; }

    protected string Corpus { get; }

    /// <summary>A tiny tiny-gpt run on the corpus (dropout on, so resuming must restore the RNG too).</summary>
    protected string[] Tiny(string run, params string[] more) =>
        [.. CliTests.TinyModel, "--set", "dropout=0.1", "--data", Corpus, "--out", run, .. more];

    protected static (int Code, string Output, string Error) Liquid(params string[] args) => Liquid(CancellationToken.None, args);

    protected static (int Code, string Output, string Error) Liquid(CancellationToken cancellation, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, output, error, cancellation);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Spectre wraps long lines at 80 columns on a pipe: compare text with whitespace runs collapsed.</summary>
    protected static string Flat(string text) => string.Join(' ', text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Every line of metrics.jsonl, each of which must be valid JSON.</summary>
    protected static List<JsonObject> Metrics(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    /// <summary>(step, train_loss) of the step lines.</summary>
    protected static List<(long Step, double Loss)> Losses(string run) =>
        Metrics(run).Where(m => m["train_loss"] is not null)
            .Select(m => (m["step"]!.GetValue<long>(), m["train_loss"]!.GetValue<double>())).ToList();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("LIQUID_CACHE", null);
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A child process killed a moment ago may still hold a file; the temp folder is swept later.
        }
        GC.SuppressFinalize(this);
    }
}
