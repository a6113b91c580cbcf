using System;

namespace Liquid.Generator.Parsing;

/// <summary>
/// Where a piece of YAML sits: character offset and length, and 0-based line/column of both ends
/// (Roslyn's convention; diagnostics print them 1-based).
/// </summary>
internal readonly record struct SourceSpan(int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public static SourceSpan Empty => default;
}

/// <summary>A YAML node with its span. Records compare by value, so an unchanged file parses to an equal tree.</summary>
internal abstract record YamlNode(SourceSpan Span)
{
    /// <summary>Short description for messages: "a mapping", "a list", "'abc'".</summary>
    public abstract string Describe();
}

/// <summary>A scalar; <see cref="Quoted"/> distinguishes <c>"1"</c> (a string) from <c>1</c>.</summary>
internal sealed record YamlScalar(string Value, bool Quoted, SourceSpan Span) : YamlNode(Span)
{
    public bool IsNull => !Quoted && (Value.Length == 0 || Value == "~" || Value == "null");

    public override string Describe() => IsNull ? "null" : $"'{Value}'";
}

/// <summary>One key: value pair of a mapping.</summary>
internal sealed record YamlEntry(YamlScalar Key, YamlNode Value);

/// <summary>A mapping, entries in file order.</summary>
internal sealed record YamlMapping(EquatableArray<YamlEntry> Entries, SourceSpan Span) : YamlNode(Span)
{
    public override string Describe() => "a mapping";
}

/// <summary>A sequence, items in file order.</summary>
internal sealed record YamlSequence(EquatableArray<YamlNode> Items, SourceSpan Span) : YamlNode(Span)
{
    public override string Describe() => "a list";
}

/// <summary>The parser's result for one file: its tree (null if unreadable) and any syntax diagnostics.</summary>
internal sealed record ParsedFile(string Path, string ModelFileName, YamlMapping? Root, EquatableArray<DiagnosticInfo> Diagnostics);
