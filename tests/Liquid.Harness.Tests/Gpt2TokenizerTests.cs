using System.Diagnostics;
using System.Text.RegularExpressions;
using Liquid.Harness.Text;
using Xunit.Abstractions;

namespace Liquid.Harness.Tests.Tokenization;

public class Gpt2TokenizerTests(ITestOutputHelper output)
{
    private static Gpt2Tokenizer Gpt2 => Gpt2Tokenizer.Default;

    [Fact]
    public void HelloWorldIsTheKnownPair()
    {
        Assert.Equal([15496, 995], Gpt2.Encode("Hello world"));
        Assert.Equal("Hello world", Gpt2.Decode([15496, 995]));
    }

    [Fact]
    public void HasGpt2sVocabulary()
    {
        Assert.Equal("gpt2", Gpt2.Kind);
        Assert.Equal(50257, Gpt2.VocabSize);
        Assert.Equal(50256, Gpt2.EndOfTextId);
        Assert.Equal("<|endoftext|>", Gpt2.Decode([50256]));
        Assert.Equal("Ġworld", Gpt2.TokenText(995));
        Assert.Equal(" world"u8.ToArray(), Gpt2.TokenBytes(995));
        Assert.Equal([27, 91, 437, 1659, 5239, 91, 29], Gpt2.Encode("<|endoftext|>")); // plain text, never the special id
    }

    [Fact]
    public void EmptyTextHasNoTokens()
    {
        Assert.Empty(Gpt2.Encode(""));
        Assert.Equal("", Gpt2.Decode([]));
    }

    public static TheoryData<string> RoundTripTexts => new(TokenizerTestData.RoundTripTexts);

    [Theory]
    [MemberData(nameof(RoundTripTexts))]
    public void RoundTrips(string text)
    {
        var ids = Gpt2.Encode(text);
        Assert.All(ids, id => Assert.InRange(id, 0, 50255));
        Assert.Equal(text, Gpt2.Decode(ids));
    }

    public static TheoryData<string> ReferenceSources => new(TokenizerTestData.Reference.Select(r => r.Source + " | " + r.Label));

    /// <summary>Token-for-token agreement with gpt-3-encoder@1.1.4 (see tests/reference/make_gpt2_tokens.js).</summary>
    [Theory]
    [MemberData(nameof(ReferenceSources))]
    public void MatchesIndependentEncoder(string source)
    {
        var reference = TokenizerTestData.Reference.Single(r => r.Source + " | " + r.Label == source);
        Assert.Equal(reference.Ids, Gpt2.Encode(reference.Text));
        Assert.Equal(reference.Text, Gpt2.Decode(reference.Ids));
    }

    [Fact]
    public void ReferenceCoversEnglishSpanishAndEdgeCases()
    {
        var all = TokenizerTestData.Reference;
        Assert.True(all.Count >= 30, $"{all.Count} reference texts");
        Assert.Contains(all, r => r.Source.StartsWith("fortunes/es/", StringComparison.Ordinal) && r.Text.Contains('ñ'));
        Assert.Contains(all, r => r.Text.Contains('¿'));
        Assert.Contains(all, r => r.Text.Length > 900);
        Assert.Contains(all, r => r.Text.Contains("n't") && r.Text.Contains("'s"));
        Assert.Contains(all, r => r.Text.Contains("   ") && r.Text.Contains("\n\n"));
        Assert.Contains(all, r => r.Text.Contains("a𝐇b")); // a letter outside the BMP inside a word: .NET's Regex would split it
    }

    /// <summary>
    /// Where the JavaScript port's \s differs from Python regex's (U+FEFF is space to JavaScript, U+0085 is
    /// not), Liquid follows OpenAI's encoder.py; these ids come from running encoder.py itself.
    /// </summary>
    [Fact]
    public void FollowsEncoderPyWhereTheJavaScriptPortDiffers()
    {
        Assert.Equal([15496, 27332, 119, 123, 6894], Gpt2.Encode("Hello \ufeffworld")); // gpt-3-encoder: 15496, 220, 171, 119, 123, 6894
        Assert.Equal([220, 126, 227, 87], Gpt2.Encode(" \u0085x")); // gpt-3-encoder: 1587, 227, 87
    }

    [Fact]
    public void ContractionsAndSpacesSplitLikeGpt2()
    {
        string[] Pieces(string text) => Gpt2.Encode(text).Select(Gpt2.TokenText).ToArray();
        Assert.Equal(["I", "'m", "Ġfine"], Pieces("I'm fine"));
        Assert.Equal(["a", "Ġ", "Ġ", "Ġb"], Pieces("a   b")); // pieces "a", "  ", " b"; GPT-2 has no "ĠĠ" token
        Assert.Equal(["a", "Ċ", "Ċ", "b"], Pieces("a\n\nb")); // \s+(?!\S) leaves the last newline to stand alone
        Assert.Equal(["a", "ĊĊ"], Pieces("a\n\n"));
    }

    /// <summary>On text without surrogate pairs the hand-written pre-tokenizer splits exactly like GPT-2's regex.</summary>
    [Fact]
    public void PreTokenizerMatchesTheRegexOnBmpText()
    {
        var regex = new Regex(Gpt2PreTokenizer.Pattern, RegexOptions.CultureInvariant);
        var texts = TokenizerTestData.Reference.Select(r => r.Text)
            .Concat(TokenizerTestData.RoundTripTexts)
            .Where(t => !t.Any(char.IsSurrogate))
            .Concat(["'", "''s", " '", "  ", " \n", "\n ", "x \t y", "x\n\n y", " 123abc", "\u00a0\u00a0x", "a\u0085 b", "end  "]);
        foreach (var text in texts)
        {
            var expected = regex.Matches(text).Select(m => m.Value).ToList();
            Assert.Equal(string.Concat(expected), text);
            Assert.Equal(expected, Gpt2PreTokenizer.SplitToStrings(text));
        }
    }

    /// <summary>GPT-2's Python regex sees code points; a letter outside the BMP is a letter (.NET's Regex would see two surrogates).</summary>
    [Fact]
    public void PreTokenizerSeesCodePoints()
    {
        Assert.Equal(["𝐇𝐞𝐥𝐥𝐨", " 𝟏𝟐𝟑", " 🦙🚀", " x"], Gpt2PreTokenizer.SplitToStrings("𝐇𝐞𝐥𝐥𝐨 𝟏𝟐𝟑 🦙🚀 x"));
        Assert.Equal(["a", "\ud800", "b"], Gpt2PreTokenizer.SplitToStrings("a\ud800b")); // a lone surrogate is "other", as U+FFFD
    }

    [Fact]
    public void LoadsHuggingFaceVocabAndMerges()
    {
        using var temp = new TempDirectory();
        var dir = temp.Path;
        var vocab = Path.Combine(dir, "vocab.json");
        File.Copy(Path.Combine(Gpt2Tokenizer.DefaultDirectory, "encoder.json"), vocab);
        var merges = File.ReadAllLines(Path.Combine(Gpt2Tokenizer.DefaultDirectory, "vocab.bpe"));
        Assert.StartsWith("#version", merges[0]);

        var withHeader = Path.Combine(dir, "merges.txt");
        File.WriteAllText(withHeader, string.Join("\r\n", merges) + "\r\n");
        var withoutHeader = Path.Combine(dir, "merges-noheader.txt");
        File.WriteAllLines(withoutHeader, merges.Skip(1));

        foreach (var tokenizer in new[] { Tokenizers.FromVocabFiles(vocab, withHeader), Tokenizers.FromVocabFiles(vocab, withoutHeader) })
        {
            Assert.Equal("gpt2", tokenizer.Kind);
            Assert.Equal(50257, tokenizer.VocabSize);
            foreach (var reference in TokenizerTestData.Reference)
            {
                Assert.Equal(reference.Ids, tokenizer.Encode(reference.Text));
            }
        }
    }

    [Fact]
    public void BadVocabularyFilesNameTheFile()
    {
        using var temp = new TempDirectory();
        var dir = temp.Path;
        var vocab = Path.Combine(dir, "vocab.json");
        var merges = Path.Combine(dir, "merges.txt");

        var missing = Assert.Throws<FileNotFoundException>(() => Tokenizers.FromVocabFiles(vocab, merges));
        Assert.Contains(vocab, missing.Message);

        File.WriteAllText(vocab, "{\"a\": 0,");
        File.WriteAllText(merges, "#version: 0.2\n");
        var corrupt = Assert.Throws<InvalidDataException>(() => Tokenizers.FromVocabFiles(vocab, merges));
        Assert.Contains(vocab, corrupt.Message);

        File.Copy(Path.Combine(Gpt2Tokenizer.DefaultDirectory, "encoder.json"), vocab, overwrite: true);
        File.WriteAllText(merges, "#version: 0.2\nĠ t\nnot-a-token x y\n");
        var badMerge = Assert.Throws<InvalidDataException>(() => Tokenizers.FromVocabFiles(vocab, merges));
        Assert.Contains(merges, badMerge.Message);
        Assert.Contains("line 3", badMerge.Message);
    }

    [Fact]
    public void SplitsMultiByteCharactersAcrossTokens()
    {
        var ids = Gpt2.Encode("🦙");
        Assert.True(ids.Length > 1);
        Assert.Contains(ids, id => !IsCompleteUtf8(Gpt2.TokenBytes(id)));
        Assert.Equal("🦙", Gpt2.Decode(ids));
    }

    /// <summary>Encodes all of Debian's English and Spanish fortunes (a few MB): must take seconds, and round-trip.</summary>
    [Fact]
    public void EncodesTheFortunesCorpusQuickly()
    {
        var corpus = TokenizerTestData.FortunesCorpus();
        if (corpus.Count == 0)
        {
            output.WriteLine($"{TokenizerTestData.FortunesDirectory} not installed; nothing to time");
            return;
        }

        var text = string.Join("\n", corpus);
        var fresh = Tokenizers.FromVocabFiles(
            Path.Combine(Gpt2Tokenizer.DefaultDirectory, "encoder.json"), Path.Combine(Gpt2Tokenizer.DefaultDirectory, "vocab.bpe"));
        var clock = Stopwatch.StartNew();
        var ids = fresh.Encode(text); // cold cache
        var cold = clock.Elapsed;
        clock.Restart();
        var again = fresh.Encode(text);
        var warm = clock.Elapsed;

        output.WriteLine($"{text.Length:N0} chars, {System.Text.Encoding.UTF8.GetByteCount(text):N0} bytes → {ids.Length:N0} tokens; " +
                         $"cold {cold.TotalSeconds:F2} s, warm {warm.TotalSeconds:F2} s");
        Assert.Equal(ids, again);
        Assert.Equal(text, fresh.Decode(ids));
        Assert.True(cold < TimeSpan.FromSeconds(30), $"encoding took {cold}");
    }

    private static bool IsCompleteUtf8(byte[] bytes) =>
        System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length * 2], out _, out _, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done;
}
