using System;
using System.Text;

namespace Liquid.Generator.Emit;

/// <summary>An indented text writer with '\n' line endings on every platform, so output is byte-stable.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace; dispose the result to close it.</summary>
    public Block Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return new Block(this);
    }

    /// <summary>Writes an XML doc comment, one /// line per line of <paramref name="text"/>.</summary>
    public SourceWriter Doc(string tag, string text, string attributes = "")
    {
        // Every character C# takes for a line end, or the rest of a line would fall out of the comment.
        var lines = text.Replace("\r\n", "\n").Split('\n', '\r', '\u0085', '\u2028', '\u2029');
        if (lines.Length == 1)
        {
            Line($"/// <{tag}{attributes}>{lines[0]}</{tag}>");
            return this;
        }
        Line($"/// <{tag}{attributes}>");
        foreach (var line in lines) Line(("/// " + line).TrimEnd());
        Line($"/// </{tag}>");
        return this;
    }

    public override string ToString() => _text.ToString();

    /// <summary>Closes a brace opened by <see cref="Open"/>.</summary>
    public readonly struct Block(SourceWriter writer) : IDisposable
    {
        public void Dispose()
        {
            writer._indent--;
            writer.Line("}");
        }
    }

    /// <summary>
    /// Escapes text for XML docs; characters XML 1.0 cannot hold (control characters, lone
    /// surrogates) become U+FFFD, or the compiler reports the doc comment as badly formed.
    /// </summary>
    public static string Xml(string text)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Append(c).Append(text[++i]);
                continue;
            }
            result.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\t' or '\n' or '\r' => c.ToString(),
                _ when c < ' ' || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF' => "\uFFFD",
                _ => c.ToString(),
            });
        }
        return result.ToString();
    }
}
