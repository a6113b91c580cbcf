using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.CodeAnalysis.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Liquid.Generator.Parsing;

/// <summary>
/// Reads YAML text into <see cref="YamlNode"/>s with spans, using YamlDotNet's event parser. Syntax
/// errors, duplicate keys, aliases and non-mapping documents become located diagnostics.
/// </summary>
internal static class YamlParser
{
    public static ParsedFile Parse(string path, string text)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var name = ModelFileName(path);
        var lines = SourceText.From(text).Lines;
        YamlMapping? root = null;
        Parser? parser = null;
        try
        {
            parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.EmptyFile, path, SourceSpan.Empty));
            }
            else
            {
                parser.Consume<DocumentStart>();
                var node = ReadNode(parser, lines, path, diagnostics, depth: 0);
                parser.Consume<DocumentEnd>();
                if (node is YamlMapping mapping) root = mapping;
                else if (node is YamlScalar { IsNull: true }) diagnostics.Add(DiagnosticInfo.Create(Diagnostics.EmptyFile, path, node.Span));
                else diagnostics.Add(DiagnosticInfo.Create(Diagnostics.WrongType, path, node.Span, "the model file", "a mapping of model keys", node.Describe()));
                if (!parser.Accept<StreamEnd>(out _))
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.YamlSyntax, path, SpanOf(lines, parser.Current!), "a model file holds one YAML document"));
            }
        }
        catch (YamlException e)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.YamlSyntax, path, SpanOf(lines, e.Start, e.End), CleanMessage(e)));
            root = null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this instead of a YamlException on some malformed flow
            // collections, e.g. a '{' left open before the next line; the last event read is the
            // nearest place we know.
            var at = parser?.Current is { } last ? SpanOf(lines, last.End, last.End) : SourceSpan.Empty;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.YamlSyntax, path, at, "the YAML cannot be read after this point; look for an unclosed '{' or '[' or a missing comma"));
            root = null;
        }
        return new ParsedFile(path, name, root, diagnostics.ToEquatableArray());
    }

    /// <summary><c>models/tiny-gpt.model.yaml</c> → <c>tiny-gpt</c>.</summary>
    public static string ModelFileName(string path)
    {
        var file = Path.GetFileName(path);
        const string suffix = ".model.yaml";
        return file.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) ? file.Substring(0, file.Length - suffix.Length) : Path.GetFileNameWithoutExtension(file);
    }

    /// <summary>
    /// Deeper nesting than any model needs. Reading, binding and comparing trees recurse once per
    /// level, and a stack overflow would take the whole compiler down, so deeper files are an error.
    /// </summary>
    public const int MaxDepth = 64;

    private static YamlNode ReadNode(IParser parser, TextLineCollection lines, string path, List<DiagnosticInfo> diagnostics, int depth)
    {
        if (depth > MaxDepth)
        {
            var at = parser.Current;
            throw new YamlException(at?.Start ?? Mark.Empty, at?.End ?? Mark.Empty, $"the YAML nests deeper than {MaxDepth} levels");
        }
        if (parser.TryConsume<Scalar>(out var scalar))
            return new YamlScalar(scalar.Value, scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded, SpanOf(lines, scalar.Start, scalar.End));
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.YamlSyntax, path, SpanOf(lines, alias.Start, alias.End), "anchors and aliases (*name) are not supported; repeat the value or use a config name"));
            return new YamlScalar("", false, SpanOf(lines, alias.Start, alias.End));
        }
        if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            var items = new List<YamlNode>();
            while (!parser.TryConsume<SequenceEnd>(out var end))
            {
                items.Add(ReadNode(parser, lines, path, diagnostics, depth + 1));
                _ = end;
            }
            var last = items.Count > 0 ? items[items.Count - 1].Span : SpanOf(lines, sequenceStart.Start, sequenceStart.End);
            return new YamlSequence(items.ToEquatableArray(), Join(SpanOf(lines, sequenceStart.Start, sequenceStart.End), last));
        }
        if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            var entries = new List<YamlEntry>();
            var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, lines, path, diagnostics, depth + 1);
                var value = ReadNode(parser, lines, path, diagnostics, depth + 1);
                if (keyNode is not YamlScalar key)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.WrongType, path, keyNode.Span, "a key", "a plain name", keyNode.Describe()));
                    continue;
                }
                if (seen.TryGetValue(key.Value, out var first))
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateName, path, key.Span, key.Value, $"line {first.Span.StartLine + 1}"));
                    continue;
                }
                seen[key.Value] = key;
                entries.Add(new YamlEntry(key, value));
            }
            var last = entries.Count > 0 ? entries[entries.Count - 1].Value.Span : SpanOf(lines, mappingStart.Start, mappingStart.End);
            return new YamlMapping(entries.ToEquatableArray(), Join(SpanOf(lines, mappingStart.Start, mappingStart.End), last));
        }
        var unexpected = parser.Current;
        throw new YamlException(unexpected?.Start ?? Mark.Empty, unexpected?.End ?? Mark.Empty, "unexpected YAML content");
    }

    private static SourceSpan Join(SourceSpan first, SourceSpan last) =>
        new(first.Start, Math.Max(0, last.Start + last.Length - first.Start), first.StartLine, first.StartColumn, last.EndLine, last.EndColumn);

    private static SourceSpan SpanOf(TextLineCollection lines, ParsingEvent e) => SpanOf(lines, e.Start, e.End);

    // Lines and columns come from the character offsets, counted the way Roslyn counts them: the
    // compiler and editors show them, and YamlDotNet's own line/column disagree with its offsets
    // after some syntax errors (they name the next line's start instead of where the text stops).
    private static SourceSpan SpanOf(TextLineCollection lines, Mark start, Mark end)
    {
        var length = lines[lines.Count - 1].EndIncludingLineBreak;
        var startIndex = (int)Math.Max(0, Math.Min(start.Index, length));
        var endIndex = (int)Math.Max(startIndex, Math.Min(end.Index, length));
        var from = lines.GetLinePosition(startIndex);
        var to = lines.GetLinePosition(endIndex);
        return new SourceSpan(startIndex, endIndex - startIndex, from.Line, from.Character, to.Line, to.Character);
    }

    // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: ...) - (...): "; the location is ours to report.
    private static string CleanMessage(YamlException e)
    {
        var message = e.Message;
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        return marker >= 0 && message.StartsWith("(", StringComparison.Ordinal) ? message.Substring(marker + 3) : message;
    }
}
