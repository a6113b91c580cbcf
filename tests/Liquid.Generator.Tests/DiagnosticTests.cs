using System.Globalization;
using System.Text.RegularExpressions;
using Liquid.Generator.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Liquid.Generator.Tests;

/// <summary>
/// One test per diagnostic of the catalog: a small model file that provokes it, asserting the id, the
/// 1-based line and column the compiler prints, and the part of the message that helps the author.
/// (LQ0999 is an internal error with no legitimate trigger; the fuzz tests assert it never appears.)
/// </summary>
public class DiagnosticTests
{
    // A valid model; each test breaks one thing in a copy of it.
    private const string Valid = """
        model: Net
        config:
          vocab: 100
          d_model: 64
          heads: 4
        layers:
          - token_embedding: { vocab: vocab, dim: d_model, name: wte }
          - residual:
              - layer_norm
              - attention: { heads: heads }
          - residual:
              - layer_norm: { name: ln_2 }
              - mlp: { hidden: 4 * d_model }
          - layer_norm: { name: ln_f }
          - lm_head: { tied: wte }
        """;

    [Fact]
    public void TheValidModelHasNoDiagnostics()
    {
        var result = GeneratorHarness.RunYaml(Valid);
        Assert.True(result.Diagnostics.IsEmpty, GeneratorHarness.Describe(result.Diagnostics));
        Assert.Contains(result.GeneratedSources, s => s.HintName == "Net.g.cs");
    }

    [Fact]
    public void LQ0001_InvalidYaml()
    {
        var yaml = """
            model: Net
            summary: a: b
            layers: []
            """;
        var d = Single(yaml, "LQ0001", 2, 11, "found invalid mapping");
        Assert.DoesNotContain("Line:", d.GetMessage(CultureInfo.InvariantCulture)); // YamlDotNet's location prefix is removed
    }

    [Fact]
    public void LQ0001_UnclosedFlowMapping()
    {
        // YamlDotNet's scanner throws InvalidOperationException here rather than a YamlException.
        var yaml = """
            model: Net
            layers:
              - token_embedding: { vocab: 10, dim: 8
              - lm_head: { vocab: 10 }
            """;
        Single(yaml, "LQ0001", 3, 38, "look for an unclosed '{' or '['");
    }

    [Fact]
    public void LQ0001_AliasesAreNotSupported()
    {
        var yaml = """
            model: Net
            config:
              d_model: &width 64
            layers:
              - token_embedding: { vocab: 10, dim: *width }
              - lm_head: { vocab: 10 }
            """;
        // The alias is read as null, so the argument is also reported as missing its integer.
        var first = Diagnose(yaml)[0];
        Assert.Equal("LQ0001", first.Id);
        AssertAt(first, 5, 40);
        Assert.Contains("anchors and aliases (*name) are not supported", first.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void LQ0001_NestingTooDeep()
    {
        // Reading recurses per level; without a limit a pathological file would overflow the stack
        // and take the compiler down with it.
        var yaml = "model: Net\nlayers: " + new string('[', 5000) + new string(']', 5000) + "\n";
        Single(yaml, "LQ0001", 2, 73, "the YAML nests deeper than 64 levels");
    }

    [Fact]
    public void LQ0001_SeveralDocuments() =>
        Single(Valid + "\n---\nmodel: Other\n", "LQ0001", 16, 1, "a model file holds one YAML document");

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void LQ0002_UnknownKeySuggestsTheClosestOne(string newline)
    {
        var yaml = Valid.Replace("mlp: { hidden: 4 * d_model }", "mlp: { hiden: 4 * d_model }").Replace("\n", newline);
        var diagnostics = Diagnose(yaml);
        // The misspelt key is unknown, and so the required 'hidden' is missing.
        var unknown = Assert.Single(diagnostics, d => d.Id == "LQ0002");
        AssertAt(unknown, 13, 16);
        Assert.Equal("Unknown key 'hiden' in layer 'mlp', did you mean 'hidden'?", unknown.GetMessage(CultureInfo.InvariantCulture));
        Assert.Contains(diagnostics, d => d.Id == "LQ0003" && d.GetMessage(CultureInfo.InvariantCulture) == "Layer 'mlp' needs 'hidden'");
    }

    [Fact]
    public void LQ0002_UnknownTopLevelKey() =>
        Single(Valid + "\ntrian: {}\n", "LQ0002", 16, 1, "Unknown key 'trian' in the model file, did you mean 'train'?");

    [Fact]
    public void LQ0002_ColumnsCountUtf16CodeUnits()
    {
        // An emoji is two UTF-16 code units: Roslyn's columns (and editors') count code units.
        var yaml = Valid.Replace("  heads: 4", "  heads: { doc: \"😀😀 heads\", defualt: 4 }");
        var unknown = Assert.Single(Diagnose(yaml), d => d.Id == "LQ0002");
        AssertAt(unknown, 5, 31);
        Assert.Contains("did you mean 'default'?", unknown.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void LQ0003_MissingRequiredArgument() =>
        Single(Valid.Replace("attention: { heads: heads }", "attention: { causal: true }"), "LQ0003", 10, 9, "Layer 'attention' needs 'heads'");

    [Fact]
    public void LQ0003_MissingLayers() =>
        Single("model: Net\nconfig: { d_model: 8 }\n", "LQ0003", 1, 1, "The model file needs 'layers'");

    [Fact]
    public void LQ0004_WrongType() =>
        Single(Valid.Replace("dim: d_model,", "dim: 8.5,"), "LQ0004", 7, 43, "'dim' of layer 'token_embedding' must be an integer, not '8.5'");

    [Fact]
    public void LQ0004_ModelFileIsNotAMapping() =>
        Single("- token_embedding: { vocab: 10, dim: 8 }\n", "LQ0004", 1, 1, "the model file must be a mapping of model keys, not a list");

    [Fact]
    public void LQ0005_UndefinedNameSuggestsAConfigName() =>
        Single(Valid.Replace("hidden: 4 * d_model", "hidden: 4 * d_modle"), "LQ0005", 13, 24, "'d_modle' is not defined, did you mean 'd_model'?");

    [Fact]
    public void LQ0005_IndexOutsideARepeat() =>
        Single(Valid.Replace("hidden: 4 * d_model", "hidden: 4 * index"), "LQ0005", 13, 24, "'index' is not defined (define it under 'config')");

    [Fact]
    public void LQ0006_InvalidExpression() =>
        Single(Valid.Replace("hidden: 4 * d_model", "hidden: 4 * (d_model"), "LQ0006", 13, 24, "Cannot read expression '4 * (d_model': a '(' is not closed");

    [Fact]
    public void LQ0006_DivisionByZero() =>
        Single(Valid.Replace("hidden: 4 * d_model", "hidden: d_model // (heads - 4)"), "LQ0006", 13, 24, "division by zero");

    [Fact]
    public void LQ0006_Overflow() =>
        Single(Valid.Replace("hidden: 4 * d_model", "hidden: 9223372036854775807 * d_model"), "LQ0006", 13, 24, "overflows a 64-bit integer");

    [Fact]
    public void LQ0007_HeadsMustDivideTheWidth() =>
        Single(Valid.Replace("heads: 4", "heads: 5"), "LQ0007", 10, 29, "heads (5) must divide the model width d_model (64)");

    [Fact]
    public void LQ0007_KvHeadsMustDivideHeads() =>
        Single(Valid.Replace("attention: { heads: heads }", "attention: { heads: heads, kv_heads: 3 }"), "LQ0007", 10, 46, "kv_heads (3) must divide heads (4)");

    [Fact]
    public void LQ0007_IntegerDivisionMustBeExact() =>
        Single(Valid.Replace("hidden: 4 * d_model", "hidden: 4 * d_model / 3"), "LQ0007", 13, 24, "4 * d_model (256) is not divisible by 3 (3) with the default config");

    [Fact]
    public void LQ0008_HeadBeforeEmbedding()
    {
        var yaml = """
            model: Net
            layers:
              - lm_head: { vocab: 10 }
              - token_embedding: { vocab: 10, dim: 8 }
            """;
        var first = Diagnose(yaml)[0];
        Assert.Equal("LQ0008", first.Id);
        AssertAt(first, 3, 5);
        Assert.Equal("'lm_head' takes features float[..., C] but receives long[B, T]; start with a token_embedding", first.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void LQ0008_ResidualThatChangesTheWidth() =>
        Single(Valid.Replace("mlp: { hidden: 4 * d_model }", "linear: { out: 2 * d_model }"), "LQ0008", 11, 5,
            "a residual block must keep the shape of its input: it receives float[B, T, d_model] and its layers produce float[B, T, 2 * d_model]");

    [Fact]
    public void LQ0008_TiedHeadOfAnotherWidth()
    {
        var yaml = Valid.Replace("  - layer_norm: { name: ln_f }", "  - linear: { out: 32 }");
        Single(yaml, "LQ0008", 15, 22, "the tied embedding 'wte' has width 64 but lm_head receives width 32 (32)");
    }

    [Fact]
    public void LQ0009_UnknownLayerKind() =>
        Single(Valid.Replace("attention:", "atention:"), "LQ0009", 10, 9, "Unknown layer kind 'atention', did you mean 'attention'?");

    [Fact]
    public void LQ0010_TwoLayersWithOneName() =>
        Single(Valid.Replace("layer_norm: { name: ln_f }", "layer_norm: { name: wte }"), "LQ0010", 14, 25, "'wte' is already defined (another layer in the same block has this name)");

    [Fact]
    public void LQ0010_DuplicateYamlKey()
    {
        var yaml = Valid.Replace("  heads: 4", "  heads: 4\n  heads: 8");
        Single(yaml, "LQ0010", 6, 3, "'heads' is already defined (line 5)");
        // The rest of the file binds, but a file with an error produces no code.
        Assert.DoesNotContain(GeneratorHarness.RunYaml(yaml).GeneratedSources, s => s.HintName == "Net.g.cs");
    }

    [Fact]
    public void LQ0010_ConfigNamesThatCollideInCSharp() =>
        Single(Valid.Replace("  heads: 4", "  heads: 4\n  Heads: 8"), "LQ0010", 6, 3, "'Heads' is already defined");

    [Fact]
    public void LQ0010_TwoFilesDeclareOneModel()
    {
        // Both sources would have the hint name Net.g.cs; adding two used to throw and drop every model.
        var other = Valid.Replace("model: Net", "model: Other");
        var result = GeneratorHarness.Run(
            GeneratorHarness.ModelFile("first", Valid), GeneratorHarness.ModelFile("second", Valid), GeneratorHarness.ModelFile("other", other));
        Assert.Null(result.Exception);
        Assert.Equal(2, result.Diagnostics.Length);
        foreach (var (d, file, otherFile) in new[] { ("first", "second"), ("second", "first") }.Select(p => (result.Diagnostics.Single(d => d.Location.GetLineSpan().Path.EndsWith(p.Item1 + ".model.yaml", StringComparison.Ordinal)), p.Item1, p.Item2)))
        {
            Assert.Equal("LQ0010", d.Id);
            AssertAt(d, 1, 8); // each file's 'model:' name
            Assert.Equal($"'Net' is already defined ({otherFile}.model.yaml generates a type of this name too; neither file's model is built)", d.GetMessage(CultureInfo.InvariantCulture));
        }
        Assert.Equal(["ModelCatalog.g.cs", "Other.g.cs"], result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        var catalog = GeneratorHarness.Source(result, "ModelCatalog.g.cs");
        Assert.Contains("Other.ModelInfo,", catalog);
        Assert.DoesNotContain("Net.ModelInfo", catalog);
    }

    [Fact]
    public void LQ0011_TiedToAnUnknownLayer() =>
        Single(Valid.Replace("tied: wte", "tied: wtee"), "LQ0011", 15, 22, "lm_head is tied to 'wtee', but no earlier layer has that name, did you mean 'wte'?");

    [Fact]
    public void LQ0011_TiedToALayerThatIsNotAnEmbedding() =>
        Single(Valid.Replace("tied: wte", "tied: ln_2"), "LQ0011", 15, 22, "lm_head is tied to 'ln_2', a layer_norm; it must be a token_embedding");

    [Fact]
    public void LQ0012_ModelNameIsNotACSharpType() =>
        Single(Valid.Replace("model: Net", "model: my-net"), "LQ0012", 1, 8, "'my-net' is not a valid model name");

    [Fact]
    public void LQ0012_ModelNamedLikeTheCatalog() =>
        Single(Valid.Replace("model: Net", "model: ModelCatalog"), "LQ0012", 1, 8, "'ModelCatalog' is not a valid model name: the generated catalog of models has that name");

    [Fact]
    public void LQ0012_LayerNameWithADot() =>
        Single(Valid.Replace("name: ln_f", "name: ln.f"), "LQ0012", 14, 25, "'ln.f' is not a valid layer name", "no dots");

    [Theory]
    [InlineData("My Mixer")]
    [InlineData("Mixers.class")]
    [InlineData("global::Mixer")]
    [InlineData("Mixer()")]
    public void LQ0012_CustomClassIsNotATypeName(string name) =>
        Single(Valid.Replace("  - layer_norm: { name: ln_f }", $"  - custom: {{ class: \"{name}\", name: mixer }}"), "LQ0012", 14, 22,
            $"'{name}' is not a valid class name: use a fully qualified C# type name");

    [Theory]
    [InlineData("x")]
    [InlineData("h")]
    [InlineData("h2")]
    [InlineData("scope")]
    [InlineData("state")]
    [InlineData("block")]
    public void LQ0012_InputNamedLikeAVariableOfForward(string name) =>
        Single(Valid.Replace("layers:\n", $"inputs:\n  {name}: long[B, T]\nlayers:\n"), "LQ0012", 7, 3,
            $"'{name}' is not a valid input name: the generated Forward method uses it for a variable of its own");

    [Theory]
    [InlineData("output", "Output")]
    [InlineData("losses", "Losses")]
    [InlineData("values", "Values")]
    [InlineData("to_string", "ToString")]
    public void LQ0012_OutputNamedLikeAMemberOfModelOutput(string name, string member) =>
        Single(Valid.Replace("layers:\n", $"outputs:\n  {name}: float[B, T, vocab]\nlayers:\n"), "LQ0012", 7, 3,
            $"'{name}' is not a valid output name: the generated output class inherits a member '{member}' from ModelOutput");

    [Theory]
    [InlineData("1.5", "p must be a probability in [0, 1), not 1.5")]
    [InlineData("-0.1", "p must be a probability in [0, 1), not -0.1")]
    [InlineData("1", "p must be a probability in [0, 1), not 1")]
    public void LQ0013_DropoutOutOfRange(string p, string message) =>
        Single(Valid.Replace("  - layer_norm: { name: ln_f }", $"  - dropout: {p}"), "LQ0013", 14, 14, message);

    [Fact]
    public void LQ0013_WindowNeedsCausalAttention() =>
        Single(Valid.Replace("attention: { heads: heads }", "attention: { heads: heads, causal: false, window: 16 }"), "LQ0013", 10, 59, "a sliding window needs causal attention");

    [Fact]
    public void LQ0013_ConfigDefaultOutsideItsBounds() =>
        Single(Valid.Replace("  heads: 4", "  heads: { default: 4, max: 2 }"), "LQ0013", 5, 29, "config 'heads' defaults to 4 but must be at most 2");

    [Fact]
    public void LQ0014_OutputWidthDoesNotMatch()
    {
        var yaml = Valid.Replace("layers:\n", "outputs:\n  logits: float[B, T, 2 * vocab]\nlayers:\n");
        Single(yaml, "LQ0014", 7, 3, "the layers produce float[B, T, vocab = 100] but output 'logits' is declared float[B, T, 2 * vocab = 200]");
    }

    [Fact]
    public void LQ0014_OutputRankDoesNotMatch()
    {
        var yaml = Valid.Replace("layers:\n", "outputs: { ids: \"long[B, T]\" }\nlayers:\n");
        // At the output's own name (the mapping holds every output).
        Single(yaml, "LQ0014", 6, 12, "the layers produce float[B, T, vocab = 100] but output 'ids' is declared long[B, T]");
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("\n\n   \n")]
    [InlineData("~\n")]
    public void LQ0015_EmptyFile(string yaml)
    {
        Single(yaml, "LQ0015", 1, 1, "The model file is empty");
        Assert.Equal(["ModelCatalog.g.cs"], GeneratorHarness.RunYaml(yaml).GeneratedSources.Select(s => s.HintName));
    }

    [Fact]
    public void ErrorsStopCodeForThatFileOnly()
    {
        var result = GeneratorHarness.Run(
            GeneratorHarness.ModelFile("good", Valid),
            GeneratorHarness.ModelFile("bad", Valid.Replace("model: Net", "model: Bad").Replace("heads: 4", "heads: 5")));
        Assert.Equal(["ModelCatalog.g.cs", "Net.g.cs"], result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        var d = Assert.Single(result.Diagnostics);
        Assert.EndsWith("bad.model.yaml", d.Location.GetLineSpan().Path, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryDiagnosticOfTheCatalogHasHelpAndItsSeverityByNumber()
    {
        Assert.Equal(Diagnostics.All.Count, Diagnostics.All.Select(d => d.Id).Distinct().Count());
        foreach (var descriptor in Diagnostics.All)
        {
            Assert.Matches(@"^LQ\d{4}$", descriptor.Id);
            // LQ0xxx are errors (no code for the file), LQ1xxx warnings (code, and a note for the author).
            Assert.Equal(descriptor.Id.StartsWith("LQ1", StringComparison.Ordinal) ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, descriptor.DefaultSeverity);
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString(CultureInfo.InvariantCulture)));
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Description.ToString(CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public void ReadmeListsEveryDiagnosticOfTheCatalog()
    {
        var readme = Path.Combine(Repo.Root, "generator", "README.md");
        Assert.True(File.Exists(readme), "generator/README.md is missing; it documents the diagnostics");
        var listed = File.ReadAllLines(readme)
            .Select(line => Regex.Match(line, @"^\|\s*(LQ\d{4})\s*\|"))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToList();
        Assert.Equal(listed.Distinct().Count(), listed.Count);
        Assert.Equal(Diagnostics.All.Select(d => d.Id).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static IReadOnlyList<Diagnostic> Diagnose(string yaml)
    {
        var result = GeneratorHarness.RunYaml(yaml);
        Assert.Null(result.Exception);
        var text = SourceText.From(yaml);
        foreach (var diagnostic in result.Diagnostics)
        {
            // The character offset and the line/column of a location must name the same place.
            var span = diagnostic.Location.GetLineSpan();
            Assert.True(diagnostic.Location.SourceSpan.End <= text.Length, $"{diagnostic} ends after the file");
            Assert.Equal(text.Lines.GetLinePosition(diagnostic.Location.SourceSpan.Start), span.StartLinePosition);
        }
        return result.Diagnostics;
    }

    private static Diagnostic Single(string yaml, string id, int line, int column, params string[] fragments)
    {
        var diagnostics = Diagnose(yaml);
        Assert.True(diagnostics.Count == 1, $"expected one {id}, got:{Environment.NewLine}{GeneratorHarness.Describe(diagnostics)}");
        var diagnostic = diagnostics[0];
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        AssertAt(diagnostic, line, column);
        var message = diagnostic.GetMessage(CultureInfo.InvariantCulture);
        foreach (var fragment in fragments) Assert.Contains(fragment, message);
        return diagnostic;
    }

    private static void AssertAt(Diagnostic diagnostic, int line, int column)
    {
        var start = diagnostic.Location.GetLineSpan().StartLinePosition;
        Assert.True((line, column) == (start.Line + 1, start.Character + 1),
            $"expected ({line},{column}), got ({start.Line + 1},{start.Character + 1}): {diagnostic}");
    }
}
