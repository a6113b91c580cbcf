using System;
using System.Collections.Generic;
using System.IO;
using Liquid.Generator.Parsing;
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
        YamlMapping? root = null;
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.EmptyFile, path, SourceSpan.Empty));
            }
            else
            {
                parser.Consume<DocumentStart>();
                var node = ReadNode(parser, path, diagnostics);
                parser.Consume<DocumentEnd>();
                if (node is YamlMapping mapping) root = mapping;
                else if (node is YamlScalar { IsNull: true }) diagnostics.Add(DiagnosticInfo.Create(Diagnostics.EmptyFile, path, node.Span));
                else diagnostics.Add(DiagnosticInfo.Create(Diagnostics.WrongType, path, node.Span, "the model file", "a mapping of model keys", node.Describe()));
                if (!parser.Accept<StreamEnd>(out _))
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.YamlSyntax, path, SpanOf(parser.Current!), "a model file holds one YAML document"));
            }
        }
        catch (YamlException e)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.YamlSyntax, path, SpanOf(e.Start, e.End), CleanMessage(e)));
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

    private static YamlNode ReadNode(IParser parser, string path, List<DiagnosticInfo> diagnostics)
    {
        if (parser.TryConsume<Scalar>(out var scalar))
            return new YamlScalar(scalar.Value, scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded, SpanOf(scalar.Start, scalar.End));
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.YamlSyntax, path, SpanOf(alias.Start, alias.End), "anchors and aliases (*name) are not supported; repeat the value or use a config name"));
            return new YamlScalar("", false, SpanOf(alias.Start, alias.End));
        }
        if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            var items = new List<YamlNode>();
            while (!parser.TryConsume<SequenceEnd>(out var end))
            {
                items.Add(ReadNode(parser, path, diagnostics));
                _ = end;
            }
            var last = items.Count > 0 ? items[items.Count - 1].Span : SpanOf(sequenceStart.Start, sequenceStart.End);
            return new YamlSequence(items.ToEquatableArray(), Join(SpanOf(sequenceStart.Start, sequenceStart.End), last));
        }
        if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            var entries = new List<YamlEntry>();
            var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, path, diagnostics);
                var value = ReadNode(parser, path, diagnostics);
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
            var last = entries.Count > 0 ? entries[entries.Count - 1].Value.Span : SpanOf(mappingStart.Start, mappingStart.End);
            return new YamlMapping(entries.ToEquatableArray(), Join(SpanOf(mappingStart.Start, mappingStart.End), last));
        }
        var unexpected = parser.Current;
        throw new YamlException(unexpected?.Start ?? Mark.Empty, unexpected?.End ?? Mark.Empty, "unexpected YAML content");
    }

    private static SourceSpan Join(SourceSpan first, SourceSpan last) =>
        new(first.Start, Math.Max(0, last.Start + last.Length - first.Start), first.StartLine, first.StartColumn, last.EndLine, last.EndColumn);

    private static SourceSpan SpanOf(ParsingEvent e) => SpanOf(e.Start, e.End);

    private static SourceSpan SpanOf(Mark start, Mark end)
    {
        // YamlDotNet marks are 1-based (line, column) with a 0-based character index.
        var startLine = Math.Max(0, (int)start.Line - 1);
        var startColumn = Math.Max(0, (int)start.Column - 1);
        var endLine = Math.Max(startLine, (int)end.Line - 1);
        var endColumn = Math.Max(0, (int)end.Column - 1);
        var startIndex = (int)Math.Max(0, Math.Min(start.Index, int.MaxValue));
        var length = (int)Math.Max(0, Math.Min(end.Index - start.Index, int.MaxValue));
        return new SourceSpan(startIndex, length, startLine, startColumn, endLine, endColumn);
    }

    // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: ...) - (...): "; the location is ours to report.
    private static string CleanMessage(YamlException e)
    {
        var message = e.Message;
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        return marker >= 0 && message.StartsWith("(", StringComparison.Ordinal) ? message.Substring(marker + 3) : message;
    }
}
