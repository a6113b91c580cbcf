using System.Diagnostics;
using System.Globalization;
using System.Text;
using Liquid.Generator.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Liquid.Generator.Tests;

/// <summary>
/// The clashes and limits of issue 9: every name that could collide with a generated or runtime
/// identifier, text that could break the generated C#, and numbers outside what C# can hold are
/// located errors (id, line, column), or the code they produce compiles against the runtime.
/// </summary>
public class HostileInputTests
{
    private const string Valid = """
        model: Net
        summary: A small net.
        config:
          vocab: 100
          d_model: 64
        layers:
          - token_embedding: { vocab: vocab, dim: d_model, name: wte }
          - layer_norm: { name: ln_f }
          - lm_head: { tied: wte }
        """;

    [Theory]
    [InlineData("Tensor")]
    [InlineData("Module")]
    [InlineData("Linear")]
    [InlineData("Math")]
    [InlineData("List")]
    [InlineData("ForwardContext")]
    public void AModelNamedLikeATypeTheGeneratedCodeUsesIsAnError(string name)
    {
        // Declared in the models' namespace, it would hide that type in every model of the project.
        // .NET's types are a fixed list; the runtime's are read from the compilation the generator runs in.
        var d = Single(Valid.Replace("model: Net", $"model: {name}"), "LQ0012", 1, 8);
        var owner = name is "Math" or "List" ? ".NET's" : "the runtime's";
        Assert.Contains($"the generated code uses {owner} type '{name}', which this name would hide", d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AModelNamedLikeAnotherModelsGeneratedTypeIsReportedInBothFilesAndNeitherIsBuilt()
    {
        var result = GeneratorHarness.Run(GeneratorHarness.ModelFile("net", Valid),
            GeneratorHarness.ModelFile("config", Valid.Replace("model: Net", "model: NetConfig")),
            GeneratorHarness.ModelFile("other", Valid.Replace("model: Net", "model: Other")));
        Assert.Null(result.Exception);
        Assert.Equal(2, result.Diagnostics.Length);
        Assert.All(result.Diagnostics, d =>
        {
            Assert.Equal("LQ0010", d.Id);
            Assert.Equal(new[] { 1, 8 }, new[] { d.Location.GetLineSpan().StartLinePosition.Line + 1, d.Location.GetLineSpan().StartLinePosition.Character + 1 });
            Assert.Contains("'NetConfig' is already defined", d.GetMessage(CultureInfo.InvariantCulture));
        });
        Assert.Equal(["ModelCatalog.g.cs", "Other.g.cs"], result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.Empty(RuntimeCompilation.Problems(result));
    }

    [Theory]
    [InlineData("NetConfig")]
    [InlineData("NetOutput")]
    [InlineData("Net")]
    [InlineData("Tensor")]
    public void ABlockClassThatClashesIsAnError(string name)
    {
        var yaml = Valid.Replace("  - layer_norm: { name: ln_f }", $"  - repeat: 2\n    class: {name}\n    block:\n      - layer_norm");
        Single(yaml, name == "Tensor" ? "LQ0012" : "LQ0010", 9, 12);
    }

    [Theory]
    [InlineData("validate", "Validate")]
    [InlineData("names", "Names")]
    [InlineData("equals", "Equals")]
    [InlineData("to_string", "ToString")]
    [InlineData("from_overrides", "FromOverrides")]
    [InlineData("get_hash_code", "GetHashCode")]
    public void AConfigNameThatBecomesAMemberOfTheRecordIsAnError(string name, string member)
    {
        var d = Single(Valid.Replace("  d_model: 64", $"  d_model: 64\n  {name}: 3"), "LQ0012", 6, 3);
        Assert.Contains($"the generated config record has a member '{member}' of its own", d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ADerivedNameThatBecomesAMemberOfTheRecordIsAnError() =>
        Single(Valid.Replace("layers:", "derived:\n  validate: d_model * 2\nlayers:"), "LQ0012", 7, 3);

    [Theory]
    [InlineData("a\\u0000b")]
    [InlineData("bell \\a and escape \\e")]
    [InlineData("</summary><evil/> & \\\" quotes")]
    [InlineData("line\\nbreak\\u2028and\\u0085more")]
    public void ASummaryWithControlCharactersStillCompiles(string escaped)
    {
        var yaml = Valid.Replace("summary: A small net.", $"summary: \"{escaped}\"");
        var result = GeneratorHarness.RunYaml(yaml);
        Assert.True(result.Diagnostics.IsEmpty, GeneratorHarness.Describe(result.Diagnostics));
        var problems = RuntimeCompilation.Problems(result);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void A10MegabyteSummaryIsAnError()
    {
        var yaml = Valid.Replace("summary: A small net.", "summary: " + new string('x', 10_000_000));
        var d = Single(yaml, "LQ0013", 2, 10);
        Assert.Contains("the summary has 10000000 characters; it is one line of at most 1000", d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A10000CharacterModelNameIsALocatedError()
    {
        var d = Single(Valid.Replace("model: Net", "model: N" + new string('e', 9_999)), "LQ0012", 1, 8);
        Assert.Contains("at most 100 fit the build's file names", d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("batch: 9223372036854775807", 11, 10, "'batch' must be a whole number from 1 to 2147483647, not 9223372036854775807")]
    [InlineData("batch: 0", 11, 10, "'batch' must be a whole number from 1 to 2147483647, not 0")]
    [InlineData("steps: -5", 11, 10, "'steps' must be a whole number of at least 1, not -5")]
    [InlineData("accumulate: 3000000000", 11, 15, "'accumulate' must be a whole number from 1 to 2147483647")]
    [InlineData("epochs: 0", 11, 11, "'epochs' must be a whole number from 1 to 2147483647, not 0")]
    [InlineData("context: 0", 11, 12, "'context' must be a whole number of at least 1, not 0")]
    [InlineData("clip_grad_norm: -1.0", 11, 19, "'clip_grad_norm' must be at least 0, not -1")]
    public void TrainingNumbersOutsideTheirCSharpTypeOrRangeAreErrors(string line, int row, int column, string message)
    {
        var d = Single(Valid + "\ntrain:\n  " + line, "LQ0013", row, column);
        Assert.Contains(message, d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void NegativeStepsAndZeroBatchAreBothReported()
    {
        var result = GeneratorHarness.RunYaml(Valid + "\ntrain:\n  steps: -5\n  batch: 0");
        Assert.Equal(["LQ0013", "LQ0013"], result.Diagnostics.Select(d => d.Id));
        Assert.Empty(result.GeneratedSources.Where(s => s.HintName == "Net.g.cs"));
    }

    [Theory]
    [InlineData("1000000000000000000")]
    [InlineData("4611686018427387904")]
    public void AParameterCountThatOverflowsIsALocatedError(string vocab)
    {
        // vocab × d_model does not fit 64 bits: the count is checked arithmetic, never a negative number.
        var result = GeneratorHarness.RunYaml(Valid.Replace("vocab: 100", $"vocab: {vocab}"));
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("LQ0013", d.Id);
        Assert.Contains("overflows a 64-bit integer", d.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(7, d.Location.GetLineSpan().StartLinePosition.Line + 1);
    }

    [Fact]
    public void AVocabularyWrittenAsAFloatIsALocatedError()
    {
        // 1e18 is a float in YAML: as a dimension it is refused where it is written, never rounded
        // into a count that overflows.
        var result = GeneratorHarness.RunYaml(Valid.Replace("vocab: 100", "vocab: 1e18"));
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("LQ0004", d.Id);
        // At the use: `vocab: vocab` in the token_embedding (line 7, column 31).
        Assert.Equal(new LinePosition(6, 30), d.Location.GetLineSpan().StartLinePosition);
        Assert.Equal("'vocab' of layer 'token_embedding' must be an integer, not 'vocab' (= 1E+18)", d.GetMessage(CultureInfo.InvariantCulture));
        Assert.Empty(result.GeneratedSources.Where(s => s.HintName == "Net.g.cs"));
    }

    [Fact]
    public void AHugeConfigDocIsALocatedError()
    {
        var yaml = Valid.Replace("  vocab: 100", $"  vocab: {{ default: 100, doc: {new string('x', 20_000)} }}");
        var d = Assert.Single(GeneratorHarness.RunYaml(yaml).Diagnostics);
        Assert.Equal("LQ0013", d.Id);
        Assert.Equal(4, d.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Contains("config 'vocab' doc has 20000 characters", d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AHugeRepeatOfABigBlockOverflowsLocated()
    {
        var yaml = Valid.Replace("vocab: 100", "vocab: 100\n  big: 1000000000000")
            .Replace("  - layer_norm: { name: ln_f }", "  - repeat: 100000\n    block:\n      - linear: { out: big }\n      - linear: { out: d_model }");
        var d = Single(yaml, "LQ0013", 9, 13);
        Assert.Contains("overflows a 64-bit integer", d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AHundredThousandLayersIsALocatedTooLargeErrorAndStaysCheap()
    {
        var yaml = new StringBuilder(Valid.Replace("  - lm_head: { tied: wte }", ""));
        for (var i = 0; i < 100_000; i++) yaml.Append("  - layer_norm\n");
        var stopwatch = Stopwatch.StartNew();
        var result = GeneratorHarness.RunYaml(yaml.ToString());
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("LQ0013", d.Id);
        Assert.Equal(9 + 10_000 - 2, d.Location.GetLineSpan().StartLinePosition.Line + 1); // the 10,001st layer
        Assert.Contains("more than 10000 layers", d.GetMessage(CultureInfo.InvariantCulture));
        // Not a performance test: a bound far above the observed second, against the quadratic blow-up that took 97 s.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"binding 100,000 layers took {stopwatch.Elapsed}");
    }

    [Fact]
    public void TenThousandLayersBuildAndCompile()
    {
        var yaml = new StringBuilder(Valid.Replace("  - lm_head: { tied: wte }", ""));
        for (var i = 0; i < 10_000 - 3; i++) yaml.Append("  - layer_norm\n");
        yaml.Append("  - lm_head: { tied: wte }\n");
        var result = GeneratorHarness.RunYaml(yaml.ToString());
        Assert.True(result.Diagnostics.IsEmpty, GeneratorHarness.Describe(result.Diagnostics.Take(3)));
        Assert.Contains(result.GeneratedSources, s => s.HintName == "Net.g.cs");
        var problems = RuntimeCompilation.Problems(result);
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(3)));
    }

    [Theory]
    [InlineData("context")]
    [InlineData("scope")]
    [InlineData("h")]
    [InlineData("config")]
    public void AValueNamedLikeAGeneratedLocalIsAnError(string name) =>
        Single(Valid.Replace("  - layer_norm: { name: ln_f }", $"  - layer_norm: {{ name: ln_f, as: {name} }}"), "LQ0012", 8, 35);

    [Theory]
    [InlineData("class")]
    [InlineData("in")]
    [InlineData("var")]
    [InlineData("int")]
    public void AValueNamedLikeACSharpKeywordIsEscapedAndCompiles(string name)
    {
        var yaml = Valid.Replace("  - layer_norm: { name: ln_f }", $"  - layer_norm: {{ name: ln_f, as: {name} }}")
            .Replace("  - lm_head: { tied: wte }", $"  - lm_head: {{ tied: wte, in: {name} }}");
        var result = GeneratorHarness.RunYaml(yaml);
        Assert.True(result.Diagnostics.IsEmpty, GeneratorHarness.Describe(result.Diagnostics));
        var problems = RuntimeCompilation.Problems(result);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Contains($"@{name}", GeneratorHarness.Source(result, "Net.g.cs"));
    }

    private static Diagnostic Single(string yaml, string id, int line, int column)
    {
        var result = GeneratorHarness.RunYaml(yaml);
        Assert.Null(result.Exception);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 1 && errors[0].Id == id, $"expected one {id}, got:\n{GeneratorHarness.Describe(result.Diagnostics)}");
        var position = errors[0].Location.GetLineSpan().StartLinePosition;
        Assert.True(errors[0].Location.Kind != LocationKind.None, $"{id} is not located");
        Assert.Equal((line, column), (position.Line + 1, position.Character + 1));
        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName != "ModelCatalog.g.cs");
        return errors[0];
    }
}
