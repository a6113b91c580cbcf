using Liquid.Harness.Text;

namespace Liquid.Harness.Tests.Tokenization;

public class TokenizerPersistenceTests
{
    private const string Training = "the cat sat on the mat. ¿Qué tal, niño? ¡Sí! 🦙 the cat sat on the mat.\n\tend";

    public static TheoryData<string> Specs => new("gpt2", "byte", "char", "bpe:0", "bpe:40");

    [Theory]
    [MemberData(nameof(Specs))]
    public void SaveThenLoadGivesTheSameTokenizer(string spec)
    {
        var original = Tokenizers.Create(spec, () => Training);
        using var temp = new TempDirectory();
        var dir = temp.Path;
        original.Save(dir);
        Assert.True(File.Exists(Path.Combine(dir, "tokenizer.json")));

        var restored = Tokenizers.Load(dir);
        Assert.Equal(original.GetType(), restored.GetType());
        Assert.Equal(original.Kind, restored.Kind);
        Assert.Equal(original.VocabSize, restored.VocabSize);
        foreach (var text in TokenizerTestData.RoundTripTexts.Append(Training))
        {
            var ids = original.Encode(text);
            Assert.Equal(ids, restored.Encode(text));
            Assert.Equal(original.Decode(ids), restored.Decode(ids));
        }

        for (var id = 0; id < Math.Min(original.VocabSize, 400); id++)
        {
            Assert.Equal(original.TokenBytes(id), restored.TokenBytes(id));
        }
    }

    [Fact]
    public void SavedGpt2MatchesTheReference()
    {
        using var temp = new TempDirectory();
        var dir = temp.Path;
        Gpt2Tokenizer.Default.Save(dir);
        var restored = Tokenizers.Load(dir);
        Assert.IsType<Gpt2Tokenizer>(restored);
        foreach (var reference in TokenizerTestData.Reference)
        {
            Assert.Equal(reference.Ids, restored.Encode(reference.Text));
        }
    }

    [Fact]
    public void SavedBpeKeepsItsMerges()
    {
        var original = BpeTokenizer.Train(Training, 30);
        using var temp = new TempDirectory();
        var dir = temp.Path;
        original.Save(dir);
        var restored = Assert.IsType<BpeTokenizer>(Tokenizers.Load(dir));
        Assert.Equal(original.Merges, restored.Merges);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        using var temp = new TempDirectory();
        var dir = temp.Path;
        var error = Assert.Throws<FileNotFoundException>(() => Tokenizers.Load(dir));
        Assert.Contains(Path.Combine(dir, "tokenizer.json"), error.Message);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"format\": \"liquid-tokenizer\", \"version\": 1}")]
    [InlineData("{\"format\": \"liquid-tokenizer\", \"version\": 2, \"kind\": \"byte\"}")]
    [InlineData("{\"format\": \"liquid-tokenizer\", \"version\": 1, \"kind\": \"sentencepiece\"}")]
    [InlineData("{\"format\": \"liquid-tokenizer\", \"version\": 1, \"kind\": \"char\"}")]
    [InlineData("{\"format\": \"liquid-tokenizer\", \"version\": 1, \"kind\": \"char\", \"chars\": [\"ab\"]}")]
    [InlineData("{\"format\": \"liquid-tokenizer\", \"version\": 1, \"kind\": \"bpe\", \"merges\": [[97, 300]]}")]
    [InlineData("{\"format\": \"liquid-tokenizer\", \"version\": 1, \"kind\": \"bpe\", \"merges\": [[97]]}")]
    [InlineData("{\"format\": \"liquid-tokenizer\", \"version\": 1, \"kind\": \"gpt2\"}")]
    [InlineData("{\"format\": \"liquid-tokenizer\", \"version\": 1, \"kind\": \"gpt2\", \"vocab\": \"../x.json\", \"merges\": \"m.txt\"}")]
    public void CorruptFileIsNamed(string json)
    {
        using var temp = new TempDirectory();
        var dir = temp.Path;
        var path = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<InvalidDataException>(() => Tokenizers.Load(dir));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Gpt2WithMissingVocabularyFileNamesIt()
    {
        using var temp = new TempDirectory();
        var dir = temp.Path;
        Gpt2Tokenizer.Default.Save(dir);
        File.Delete(Path.Combine(dir, "merges.txt"));
        var error = Assert.Throws<FileNotFoundException>(() => Tokenizers.Load(dir));
        Assert.Contains(Path.Combine(dir, "merges.txt"), error.Message);
    }
}
