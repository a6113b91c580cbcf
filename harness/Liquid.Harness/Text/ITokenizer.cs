namespace Liquid.Harness.Text;

/// <summary>
/// Turns text into token ids and back. Every tokenizer is lossless on valid text:
/// <c>Decode(Encode(s)) == s</c> (the char tokenizer only for characters it has seen).
/// </summary>
public interface ITokenizer
{
    /// <summary>"gpt2", "byte", "char" or "bpe".</summary>
    string Kind { get; }

    /// <summary>Number of ids; every id is in <c>[0, VocabSize)</c>.</summary>
    int VocabSize { get; }

    int[] Encode(string text);

    /// <summary>Decodes ids to text; invalid UTF-8 (e.g. half a character) becomes U+FFFD.</summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>The UTF-8 bytes one token stands for (for streaming output, see <see cref="StreamingDecoder"/>).</summary>
    byte[] TokenBytes(int id);

    /// <summary>Writes <c>tokenizer.json</c> (and any files it names) into <paramref name="directory"/>,
    /// creating it if needed, so <see cref="Tokenizers.Load"/> can restore this tokenizer.</summary>
    void Save(string directory);
}
