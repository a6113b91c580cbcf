using System.Text;
using Liquid.Harness.Text;

namespace Liquid.Harness.Tests.Tokenization;

public class ByteTokenizerTests
{
    public static TheoryData<string> Texts => new(TokenizerTestData.RoundTripTexts);

    [Theory]
    [MemberData(nameof(Texts))]
    public void RoundTripsAsUtf8Bytes(string text)
    {
        var tokenizer = new ByteTokenizer();
        var ids = tokenizer.Encode(text);
        Assert.Equal(Encoding.UTF8.GetBytes(text).Select(b => (int)b), ids);
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    [Fact]
    public void HasOneIdPerByte()
    {
        var tokenizer = new ByteTokenizer();
        Assert.Equal("byte", tokenizer.Kind);
        Assert.Equal(256, tokenizer.VocabSize);
        Assert.Equal([0xC3, 0xB1], tokenizer.Encode("ñ"));
        Assert.Equal(new byte[] { 0xFF }, tokenizer.TokenBytes(255));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.TokenBytes(256));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([-1]));
    }
}

public class CharTokenizerTests
{
    private const string Training = "¿Dónde está el niño? 🦙 hello, world\n";

    [Fact]
    public void AlphabetIsTheSortedDistinctCharactersAfterUnk()
    {
        var tokenizer = CharTokenizer.Train("banana 🦙🦙");
        Assert.Equal("char", tokenizer.Kind);
        Assert.Equal(new[] { " ", "a", "b", "n", "🦙" }, tokenizer.Alphabet.Select(r => r.ToString()));
        Assert.Equal(6, tokenizer.VocabSize);
        Assert.Equal([3, 2, 4, 2, 4, 2, 1, 5, 5], tokenizer.Encode("banana 🦙🦙"));
    }

    [Theory]
    [MemberData(nameof(ByteTokenizerTests.Texts), MemberType = typeof(ByteTokenizerTests))]
    public void RoundTripsItsTrainingText(string text)
    {
        var tokenizer = CharTokenizer.Train(text);
        var ids = tokenizer.Encode(text);
        Assert.DoesNotContain(CharTokenizer.UnknownId, ids);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal(text.EnumerateRunes().Count(), ids.Length);
    }

    [Fact]
    public void UnseenCharactersAreUnk()
    {
        var tokenizer = CharTokenizer.Train(Training);
        var ids = tokenizer.Encode("niño, ¿dónde?!");
        Assert.Equal(CharTokenizer.UnknownId, ids[^1]); // '!' was not in the training text
        Assert.Equal(ids.Length - 1, ids.Count(id => id != CharTokenizer.UnknownId));
        Assert.Equal("niño, ¿dónde?\uFFFD", tokenizer.Decode(ids));
        Assert.Equal("\uFFFD"u8.ToArray(), tokenizer.TokenBytes(CharTokenizer.UnknownId));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([tokenizer.VocabSize]));
    }
}

public class BpeTokenizerTests
{
    private const string Repetitive =
        "the cat sat on the mat. the cat sat on the hat. the bat sat on the cat. " +
        "the cat sat on the mat. the cat sat on the hat. the bat sat on the cat. " +
        "el niño y la niña están en España; ¿el niño está? ¡sí, el niño está!";

    [Fact]
    public void LearnsExactlyNMerges()
    {
        var tokenizer = BpeTokenizer.Train(Repetitive, 20);
        Assert.Equal("bpe", tokenizer.Kind);
        Assert.Equal(20, tokenizer.Merges.Count);
        Assert.Equal(276, tokenizer.VocabSize);
    }

    [Fact]
    public void StopsWhenNoPairsAreLeft()
    {
        var tokenizer = BpeTokenizer.Train("ab ab ab", 100);
        // pieces "ab" and " ab": merges (a,b) then (' ', ab); then every piece is one token.
        Assert.Equal([((int)'a', (int)'b'), ((int)' ', 256)], tokenizer.Merges);
        Assert.Equal([256, 257, 257], tokenizer.Encode("ab ab ab"));
        Assert.Empty(BpeTokenizer.Train("", 10).Merges);
        Assert.Empty(BpeTokenizer.Train("a\nb\nc", 10).Merges); // every piece is a single byte
    }

    [Fact]
    public void BreaksTiesBySmallerIds()
    {
        // pieces "ab", " cd": three pairs seen once each; the smallest left id wins (' ' = 32), then 'a' (97)…
        var tokenizer = BpeTokenizer.Train("ab cd", 2);
        Assert.Equal([(32, (int)'c'), ((int)'a', (int)'b')], tokenizer.Merges);
    }

    [Fact]
    public void IsDeterministic()
    {
        var first = BpeTokenizer.Train(Repetitive, 60).Merges;
        for (var run = 0; run < 3; run++)
        {
            Assert.Equal(first, BpeTokenizer.Train(Repetitive, 60).Merges);
        }
    }

    [Fact]
    public void CompressesRepetitiveText()
    {
        var tokenizer = BpeTokenizer.Train(Repetitive, 60);
        var ids = tokenizer.Encode(Repetitive);
        var bytes = Encoding.UTF8.GetByteCount(Repetitive);
        Assert.True(ids.Length * 3 < bytes, $"{ids.Length} tokens for {bytes} bytes");
        Assert.Equal(Repetitive, tokenizer.Decode(ids));
    }

    [Theory]
    [MemberData(nameof(ByteTokenizerTests.Texts), MemberType = typeof(ByteTokenizerTests))]
    public void RoundTripsAnyText(string text)
    {
        var tokenizer = BpeTokenizer.Train(Repetitive + text, 80);
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        Assert.All(tokenizer.Encode(text), id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
    }

    [Fact]
    public void TokenBytesSpellTheMerges()
    {
        var tokenizer = BpeTokenizer.Train("ab ab ab", 100);
        Assert.Equal(" ab"u8.ToArray(), tokenizer.TokenBytes(257));
    }

    [Fact]
    public void MergesTheLearnedWordsIntoSingleTokens()
    {
        var tokenizer = BpeTokenizer.Train(string.Concat(Enumerable.Repeat("hello world ", 50)), 1000);
        // Every distinct piece ("hello", " world", " ", " hello") collapses to one token; then there are no pairs.
        Assert.Equal(3, tokenizer.Encode("hello world hello").Length);
        Assert.True(tokenizer.Merges.Count < 1000);
    }

    /// <summary>The incremental trainer learns the same merges as recounting every pair from scratch each step.</summary>
    [Fact]
    public void MatchesANaiveTrainer()
    {
        var corpus = TokenizerTestData.FortunesCorpus();
        var text = corpus.Count > 0
            ? string.Join("\n", corpus.Where((_, i) => i % 97 == 0).Take(60))
            : string.Concat(Enumerable.Repeat(Repetitive, 5));
        Assert.Equal(NaiveTrain(text, 150), BpeTokenizer.Train(text, 150).Merges);
        Assert.Equal(NaiveTrain(Repetitive, 1000), BpeTokenizer.Train(Repetitive, 1000).Merges);
    }

    private static List<(int, int)> NaiveTrain(string text, int count)
    {
        var words = Gpt2PreTokenizer.SplitToStrings(text).Select(w => Encoding.UTF8.GetBytes(w).Select(b => (int)b).ToList()).ToList();
        var merges = new List<(int, int)>();
        while (merges.Count < count)
        {
            var counts = new Dictionary<(int, int), int>();
            foreach (var word in words)
            {
                for (var k = 0; k + 1 < word.Count; k++)
                {
                    counts[(word[k], word[k + 1])] = counts.GetValueOrDefault((word[k], word[k + 1])) + 1;
                }
            }

            if (counts.Count == 0)
            {
                break;
            }

            var best = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1).ThenBy(p => p.Key.Item2).First().Key;
            var id = 256 + merges.Count;
            merges.Add(best);
            foreach (var word in words)
            {
                for (var k = 0; k + 1 < word.Count; k++)
                {
                    if (word[k] == best.Item1 && word[k + 1] == best.Item2)
                    {
                        word[k] = id;
                        word.RemoveAt(k + 1);
                    }
                }
            }
        }

        return merges;
    }

    [Fact]
    public void TrainsOnTheFortunesCorpus()
    {
        var corpus = TokenizerTestData.FortunesCorpus();
        if (corpus.Count == 0)
        {
            return;
        }

        var text = string.Join("\n", corpus.Take(3000));
        var tokenizer = BpeTokenizer.Train(text, 500);
        Assert.Equal(500, tokenizer.Merges.Count);
        var ids = tokenizer.Encode(text);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.True(ids.Length * 2 < Encoding.UTF8.GetByteCount(text));
    }
}
