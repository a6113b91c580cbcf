using Liquid.Generator.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Liquid.Generator.Tests;

/// <summary>
/// Text from the YAML (summaries, docs, string and enum values) lands in C# string literals,
/// interpolated messages and XML doc comments. Whatever it holds, the generated code must parse and
/// carry the text unchanged.
/// </summary>
public class EscapingTests
{
    private const string Summary = "Ends a doc </summary> & <b>, breaks\rlines\u2028and\u0085more\u2029here, quotes \" ' \\ and braces {x} {{y}} $\"z\" \t😀";

    private const string Yaml = """
        model: Odd
        summary: "Ends a doc </summary> & <b>, breaks\rlines\Land\Nmore\Phere, quotes \" ' \\ and braces {x} {{y}} $\"z\" \t\U0001F600"
        config:
          mode: { type: enum, default: "a{b", values: ["a{b", "c\"d", "e\\f", "g}h", "i\rj"], doc: "Doc with a\rreturn </summary> {x}" }
          label: { type: string, default: "tab\there \"q\" {z} \\ \u2028 end" }
          d_model: { type: int, default: 8, min: 1, doc: "two\nlines" }
        layers:
          - token_embedding: { vocab: 10, dim: d_model }
          - lm_head: { vocab: 10 }
        """;

    [Fact]
    public void TextFromTheYamlIsEscapedWhereverItGoes()
    {
        var result = GeneratorHarness.RunYaml(Yaml, "odd");
        Assert.True(result.Diagnostics.IsEmpty, GeneratorHarness.Describe(result.Diagnostics));
        var source = result.GeneratedSources.Single(s => s.HintName == "Odd.g.cs");
        SnapshotTests.AssertSyntaxIsValid(source);

        var root = source.SyntaxTree.GetCompilationUnitRoot();
        var strings = root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.StringLiteralToken)).Select(t => t.ValueText).ToList();
        Assert.Contains(Summary, strings);
        Assert.Contains("tab\there \"q\" {z} \\ \u2028 end", strings);
        foreach (var value in new[] { "a{b", "c\"d", "e\\f", "g}h", "i\rj" }) Assert.Contains(value, strings);
        var interpolated = root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.InterpolatedStringTextToken)).Select(t => t.ValueText).ToList();
        // Roslyn unescapes backslashes in the token's value but leaves doubled braces as written.
        Assert.Contains("mode must be one of a{{b, c\"d, e\\f, g}}h, i\rj, not '", interpolated);

        // Doc comments stay comments: every line of the file that starts with /// is one trivia line.
        foreach (var trivia in root.DescendantTrivia().Where(t => t.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia)))
            Assert.DoesNotContain(trivia.GetStructure()!.DescendantNodes(), n => n.IsKind(SyntaxKind.SkippedTokensTrivia));
        Assert.DoesNotContain(root.DescendantTrivia(), t => t.IsKind(SyntaxKind.SkippedTokensTrivia));
    }
}
