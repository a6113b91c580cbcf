using Liquid.Harness.Text;

namespace Liquid.Harness.Tests.Tokenization;

public class TokenizerFactoryTests
{
    private const string Training = "the cat sat on the mat. ¿Qué? ¡Sí! 🦙 the cat sat on the mat.";

    [Fact]
    public void CreatesEachKind()
    {
        var calls = 0;
        string Text()
        {
            calls++;
            return Training;
        }

        Assert.Same(Gpt2Tokenizer.Default, Tokenizers.Create("gpt2", Text));
        Assert.IsType<ByteTokenizer>(Tokenizers.Create("byte", Text));
        Assert.Equal(0, calls); // neither needs the training text

        var chars = Assert.IsType<CharTokenizer>(Tokenizers.Create("char", Text));
        Assert.Equal(Training.EnumerateRunes().Distinct().Count() + 1, chars.VocabSize);

        var bpe = Assert.IsType<BpeTokenizer>(Tokenizers.Create("bpe:10", Text));
        Assert.Equal(266, bpe.VocabSize);
        Assert.Equal(2, calls);

        Assert.Equal("bpe", Tokenizers.Create(" BPE:0 ", Text).Kind);
        Assert.Equal(256, Tokenizers.Create("bpe:0", Text).VocabSize);
    }

    [Fact]
    public void UnknownSpecSaysWhatIsAccepted()
    {
        var error = Assert.Throws<ArgumentException>(() => Tokenizers.Create("xyz", () => Training));
        Assert.Equal("unknown tokenizer 'xyz': use gpt2, byte, char or bpe:N", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("gpt-2")]
    [InlineData("bpe")]
    [InlineData("bpe:")]
    [InlineData("bpe:-1")]
    [InlineData("bpe:abc")]
    [InlineData("bpe:1.5")]
    [InlineData("bpe:99999999999")]
    [InlineData("chars")]
    public void BadSpecsAreArgumentErrors(string spec)
    {
        var error = Assert.Throws<ArgumentException>(() => Tokenizers.Create(spec, () => Training));
        Assert.Contains($"'{spec}'", error.Message);
        Assert.True(error.Message.Contains("gpt2, byte, char or bpe:N") || error.Message.Contains("bpe:N"), error.Message);
    }
}
