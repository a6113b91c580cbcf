using Liquid.Harness.Cli;
using Liquid.Harness.Data;
using Liquid.Harness.Tests.EndToEnd;
using Liquid.Harness.Text;
using Liquid.Harness.Training;
using Spectre.Console;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>The byte tokenizer is lossless on files, out-of-range ids are named, and the eta after a resume is real.</summary>
[Collection(CliCollection.Name)]
public sealed class SmallPromisesTests : RunFolder
{
    /// <summary>Bytes that are not UTF-8: a lone continuation byte, a truncated sequence, 0xFF, a NUL.</summary>
    private static readonly byte[] NotUtf8 = [(byte)'a', 0x80, (byte)'b', 0xC3, (byte)'(', 0xFF, 0xFE, 0x00, 0xE2, 0x82, (byte)'\n', 0xEF, 0xBB, 0xBF];

    [Fact]
    public void TokenizeWithTheByteTokenizerReadsTheFilesBytes()
    {
        var file = Path.Combine(Folder, "binary.txt");
        File.WriteAllBytes(file, NotUtf8);
        var result = Liquid("tokenize", "--tokenizer", "byte", "--file", file);
        Assert.Equal(0, result.Code);
        Assert.Equal(string.Join(" ", NotUtf8.Select(b => (int)b)), result.Output.Trim());
        Assert.Equal(NotUtf8, new ByteTokenizer().DecodeBytes(result.Output.Trim().Split(' ').Select(int.Parse).ToArray()));
    }

    [Fact]
    public void TheTrainingCorpusOfTheByteTokenizerIsTheFilesBytes()
    {
        var file = Path.Combine(Folder, "binary.txt");
        var bytes = Enumerable.Range(0, 40).SelectMany(_ => NotUtf8).ToArray();
        File.WriteAllBytes(file, bytes);
        var tokenizer = new ByteTokenizer();
        using var corpus = TokenCorpus.Load(new DataSource(file).Read(), tokenizer, Trainer.TokenizerKey(tokenizer), Cache);
        var ids = new int[corpus.TrainCount + corpus.ValidationCount];
        corpus.ReadTrain(0, ids.AsSpan(0, (int)corpus.TrainCount));
        corpus.ReadValidation(0, ids.AsSpan((int)corpus.TrainCount));
        Assert.Equal(bytes.Select(b => (int)b), ids);

        // A file differing only in its invalid bytes has the same text, but not the same tokens.
        var other = Path.Combine(Folder, "other.txt");
        File.WriteAllBytes(other, bytes.Select(b => b == 0xFF ? (byte)0xFE : b).ToArray());
        Assert.Equal(File.ReadAllText(file), File.ReadAllText(other));
        using var second = TokenCorpus.Load(new DataSource(other).Read(), tokenizer, Trainer.TokenizerKey(tokenizer), Cache);
        Assert.NotEqual(corpus.CachePath, second.CachePath);
    }

    [Fact]
    public void AnOutOfRangeTokenIdNamesTheIdAndTheVocabulary()
    {
        var run = Path.Combine(Folder, "run");
        Assert.Equal(0, Liquid(Tiny(run, "--steps", "1")).Code);
        var ids = Path.Combine(Folder, "ids.json");
        File.WriteAllText(ids, "[1, 2, 300, 4]");
        var result = Liquid("run", run, "--input", ids, "--out", Path.Combine(Folder, "out.safetensors"));
        Assert.Equal(1, result.Code);
        Assert.Equal("liquid: error: wte (Embedding): id 300 is out of range for a vocabulary of 256 (valid ids are 0 to 255)", result.Error.Trim());
    }

    [Fact]
    public void TheEtaAfterAResumeUsesTheStepsThisProcessRan()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        var observer = new ConsoleObserver(console);
        // Resumed at step 30 of 60: its first step took 2 s, so 29 steps remain at 2 s each.
        observer.Step(new StepMetrics(31, 3.0, 1e-3, 100, 1, TimeSpan.FromSeconds(2)), 60);
        Assert.Contains("step 31/60", output.ToString());
        Assert.EndsWith("eta 00:58", output.ToString().Trim());
        // A long run shows hours.
        Assert.Equal("3:13:20", new ConsoleObserver(console).Eta(new StepMetrics(1, 3, 1e-3, 100, 1, TimeSpan.FromSeconds(1)), 11_601));
    }
}
