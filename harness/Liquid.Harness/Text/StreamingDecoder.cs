using System.Text;

namespace Liquid.Harness.Text;

/// <summary>
/// Decodes ids one at a time for streaming output. A token can end in the middle of a multi-byte UTF-8
/// character (GPT-2 often splits emoji and accented letters across tokens); those bytes are held back
/// until the character completes. The concatenation of every <see cref="Push(int)"/> result and the final
/// <see cref="Flush"/> equals <see cref="ITokenizer.Decode"/> of all the ids at once.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly ITokenizer tokenizer;
    private readonly Decoder decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] chars = new char[64];

    public StreamingDecoder(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        this.tokenizer = tokenizer;
    }

    /// <summary>Adds one token; returns the text it completes (possibly empty).</summary>
    public string Push(int id) => Feed(tokenizer.TokenBytes(id), flush: false);

    /// <summary>Adds several tokens; returns the text they complete (possibly empty).</summary>
    public string Push(ReadOnlySpan<int> ids)
    {
        var text = new StringBuilder();
        foreach (var id in ids)
        {
            text.Append(Push(id));
        }

        return text.ToString();
    }

    /// <summary>Ends the stream: returns held-back bytes of an unfinished character as U+FFFD and resets.</summary>
    public string Flush() => Feed([], flush: true);

    /// <summary>Decodes a stream of ids lazily into non-empty text chunks (the held-back tail comes last).</summary>
    public static IEnumerable<string> Decode(ITokenizer tokenizer, IEnumerable<int> ids)
    {
        var decoder = new StreamingDecoder(tokenizer);
        foreach (var id in ids)
        {
            var chunk = decoder.Push(id);
            if (chunk.Length > 0)
            {
                yield return chunk;
            }
        }

        var tail = decoder.Flush();
        if (tail.Length > 0)
        {
            yield return tail;
        }
    }

    private string Feed(byte[] bytes, bool flush)
    {
        var needed = decoder.GetCharCount(bytes, flush: false) + 4;
        if (chars.Length < needed)
        {
            chars = new char[Math.Max(needed, chars.Length * 2)];
        }

        var count = decoder.GetChars(bytes, chars, flush);
        return count == 0 ? string.Empty : new string(chars, 0, count);
    }
}
