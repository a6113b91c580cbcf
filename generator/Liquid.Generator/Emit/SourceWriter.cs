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

    /// <summary>Escapes text for XML docs.</summary>
    public static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
