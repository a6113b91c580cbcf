using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Liquid.Generator.Tests.Support;

/// <summary>An AdditionalFiles item held in memory: what MSBuild would pass for a <c>*.model.yaml</c>.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text, Encoding.UTF8);

    public override string Path { get; } = path;

    /// <summary>The raw text, as given.</summary>
    public string Text { get; } = text;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;

    public override string ToString() => Path;
}
