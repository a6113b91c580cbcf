using System.Text;
using Liquid.Harness.Text;

namespace Liquid.Harness.Tests.Tokenization;

public class StreamingTokenDecoderTests
{
    private const string Text = "¿Qué tal? 🦙🚀 ñandú — 日本語 👨‍👩‍👧 done.\n";

    public static TheoryData<string> Specs => new("gpt2", "byte", "char", "bpe:30");

    [Theory]
    [MemberData(nameof(Specs))]
    public void StreamedTextEqualsDecodingAllAtOnce(string spec)
    {
        var tokenizer = Tokenizers.Create(spec, () => Text);
        var ids = tokenizer.Encode(Text);
        var decoder = new StreamingDecoder(tokenizer);
        var streamed = new StringBuilder();
        foreach (var id in ids)
        {
            var chunk = decoder.Push(id);
            Assert.DoesNotContain('\uFFFD', chunk); // incomplete characters are held back, never half-printed
            streamed.Append(chunk);
        }

        streamed.Append(decoder.Flush());
        Assert.Equal(tokenizer.Decode(ids), streamed.ToString());
        Assert.Equal(Text, streamed.ToString());
        Assert.Equal(Text, string.Concat(StreamingDecoder.Decode(tokenizer, ids)));
    }

    [Fact]
    public void HoldsBackSplitCharacters()
    {
        var bytes = new ByteTokenizer();
        var decoder = new StreamingDecoder(bytes);
        var llama = bytes.Encode("🦙"); // 4 bytes
        Assert.Equal("", decoder.Push(llama[0]));
        Assert.Equal("", decoder.Push(llama[1]));
        Assert.Equal("", decoder.Push(llama[2]));
        Assert.Equal("🦙", decoder.Push(llama[3]));
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Gpt2SplitsEmojiAcrossTokensAndTheStreamReassemblesThem()
    {
        var gpt2 = Gpt2Tokenizer.Default;
        var ids = gpt2.Encode("🦙");
        var chunks = ids.Select(new StreamingDecoder(gpt2).Push).ToList();
        Assert.All(chunks.Take(chunks.Count - 1), c => Assert.Equal("", c));
        Assert.Equal("🦙", chunks[^1]);
    }

    [Fact]
    public void InvalidBytesBecomeReplacementCharactersLikeDecode()
    {
        var bytes = new ByteTokenizer();
        int[][] streams =
        [
            [0xF0, 0x9F, 0xA6], // unfinished at the end
            [0xF0, 0x9F, (int)'a', 0xA6, (int)'b'], // interrupted, then a stray continuation byte
            [0xC3, 0xC3, 0xB1, 0xFF, 0xE2, 0x82, 0xAC],
        ];
        foreach (var ids in streams)
        {
            var decoder = new StreamingDecoder(bytes);
            var streamed = decoder.Push(ids) + decoder.Flush();
            Assert.Equal(bytes.Decode(ids), streamed);
            Assert.Contains('\uFFFD', streamed);
        }
    }

    [Fact]
    public void FlushResets()
    {
        var bytes = new ByteTokenizer();
        var decoder = new StreamingDecoder(bytes);
        decoder.Push(0xE2);
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("a", decoder.Push('a'));
    }
}
