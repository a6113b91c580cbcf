using Liquid.Generator.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Liquid.Generator.Tests;

/// <summary>
/// The generated source of every model in <c>models/</c> and every fixture is an approved artifact
/// (<c>Snapshots/*.verified.cs</c>): any change to it shows up as a diff to review. Run with
/// <c>UPDATE_SNAPSHOTS=1</c> to accept intended changes.
/// </summary>
public class SnapshotTests
{
    public static TheoryData<string> ModelFiles => new(Repo.ModelFiles.Select(Path.GetFileName)!);

    public static TheoryData<string> FixtureFiles => new(Repo.FixtureFiles.Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(ModelFiles))]
    public void ModelMatchesSnapshot(string fileName) => VerifyModel(Path.Combine(Repo.ModelsDirectory, fileName));

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void FixtureMatchesSnapshot(string fileName) => VerifyModel(Path.Combine(Repo.FixturesDirectory, fileName));

    [Fact]
    public void CatalogOfTheModelsFolderMatchesSnapshot()
    {
        var result = GeneratorHarness.Run(Repo.ModelFiles.Select(GeneratorHarness.FromDisk).ToArray());
        Assert.True(result.Diagnostics.IsEmpty, GeneratorHarness.Describe(result.Diagnostics));
        Snapshot.Verify("ModelCatalog", GeneratorHarness.Source(result, "ModelCatalog.g.cs"));
    }

    [Fact]
    public void EverySnapshotBelongsToAModel()
    {
        var files = Repo.ModelFiles.Concat(Repo.FixtureFiles).Select(GeneratorHarness.FromDisk).ToArray();
        var expected = GeneratorHarness.Run(files).GeneratedSources.Select(s => SnapshotName(s.HintName)).ToHashSet(StringComparer.Ordinal);
        var stale = Directory.GetFiles(Repo.SnapshotsDirectory, "*.verified.cs")
            .Select(p => Path.GetFileName(p)[..^".verified.cs".Length])
            .Where(name => !expected.Contains(name))
            .ToList();
        Assert.True(stale.Count == 0, $"Snapshots without a model (delete them): {string.Join(", ", stale)}");
    }

    [Fact]
    public void OutputDoesNotDependOnOtherFilesOrRuns()
    {
        var files = Repo.ModelFiles.Concat(Repo.FixtureFiles).Select(GeneratorHarness.FromDisk).ToArray();
        var together = GeneratorHarness.Run(files).GeneratedSources
            .Where(s => s.HintName != "ModelCatalog.g.cs")
            .ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        var again = GeneratorHarness.Run(files).GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        foreach (var file in files)
        {
            var alone = GeneratorHarness.Run(file).GeneratedSources.Single(s => s.HintName != "ModelCatalog.g.cs");
            Assert.Equal(alone.SourceText.ToString(), together[alone.HintName]);
            Assert.Equal(alone.SourceText.ToString(), again[alone.HintName]);
        }
    }

    [Fact]
    public void EveryModelAndFixtureCompilesAgainstTheRuntime()
    {
        // All together, as a models project holds them: one catalog, no clash between files.
        var result = GeneratorHarness.Run(Repo.ModelFiles.Concat(Repo.FixtureFiles).Select(GeneratorHarness.FromDisk).ToArray());
        Assert.True(result.Diagnostics.IsEmpty, GeneratorHarness.Describe(result.Diagnostics));
        var problems = RuntimeCompilation.Problems(result, RuntimeCompilation.TokenMixer);
        Assert.True(problems.Count == 0, "generated code does not compile cleanly:\n" + string.Join("\n", problems.Take(20)));
    }

    [Fact]
    public void NamespaceComesFromTheBuildProperty()
    {
        var options = new TestOptionsProvider(new Dictionary<string, string> { ["build_property.LiquidModelsNamespace"] = " Contoso.Nets " });
        var file = GeneratorHarness.FromDisk(Repo.FixtureFiles.Single(f => f.EndsWith("minimal.model.yaml", StringComparison.Ordinal)));
        var result = GeneratorHarness.Driver([file], options: options).RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();
        Assert.Contains("\nnamespace Contoso.Nets;\n", GeneratorHarness.Source(result, "Minimal.g.cs"));
        Assert.Contains("\nnamespace Contoso.Nets;\n", GeneratorHarness.Source(result, "ModelCatalog.g.cs"));
    }

    [Fact]
    public void MismatchesShowAUnifiedDiffWithLineNumbers()
    {
        var verified = string.Join("\n", Enumerable.Range(1, 20).Select(i => $"line {i}"));
        var received = verified.Replace("line 5\n", "line five\n").Replace("line 17\n", "");
        var diff = Snapshot.Diff(verified, received).Replace("\r\n", "\n");
        Assert.Equal("""
            @@ -3,5 +3,5 @@
              line 3
              line 4
            - line 5
            + line five
              line 6
              line 7
            @@ -15,5 +15,4 @@
              line 15
              line 16
            - line 17
              line 18
              line 19

            """, diff);
    }

    [Fact]
    public void IdenticalRepeatedBlocksBindOnce()
    {
        // 100,000 blocks that do not vary with 'index' are bound once and counted 100,000 times, so
        // a large repeat count costs nothing on each keystroke in the editor.
        const string yaml = """
            model: Deep
            config:
              blocks: 100000
            layers:
              - token_embedding: { vocab: 10, dim: 8 }
              - repeat: blocks
                block:
                  - residual:
                      - linear: 8
              - lm_head: { vocab: 10 }
            """;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var result = GeneratorHarness.RunYaml(yaml);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"binding took {stopwatch.Elapsed}");
        Assert.True(result.Diagnostics.IsEmpty, GeneratorHarness.Describe(result.Diagnostics));
        // 10·8 embedding + 100,000 × (8·8 + 8) + 8·10 head.
        Assert.Contains("typeof(DeepConfig), 7200160,", GeneratorHarness.Source(result, "Deep.g.cs"));
    }

    private static void VerifyModel(string path)
    {
        var result = GeneratorHarness.Run(GeneratorHarness.FromDisk(path));
        Assert.Null(result.Exception);
        Assert.True(result.Diagnostics.IsEmpty, $"{Path.GetFileName(path)} has diagnostics:{Environment.NewLine}{GeneratorHarness.Describe(result.Diagnostics)}");
        var sources = result.GeneratedSources.Where(s => s.HintName != "ModelCatalog.g.cs").ToList();
        Assert.Single(sources);
        var source = sources[0];
        AssertSyntaxIsValid(source);
        Snapshot.Verify(SnapshotName(source.HintName), source.SourceText.ToString());
    }

    /// <summary>
    /// Generated code must parse, and must not trip over its own declarations. Whether the runtime's
    /// names resolve is the models project's business, so only errors that hold without them count.
    /// </summary>
    internal static void AssertSyntaxIsValid(GeneratedSourceResult source)
    {
        var errors = source.SyntaxTree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"{source.HintName} does not parse:{Environment.NewLine}{GeneratorHarness.Describe(errors)}");
        var conflicts = SelfInflicted(source.SyntaxTree);
        Assert.True(conflicts.Count == 0, $"{source.HintName} does not compile:{Environment.NewLine}{GeneratorHarness.Describe(conflicts)}");
    }

    /// <summary>Duplicate or clashing declarations and dead code: wrong whatever the referenced types are.</summary>
    internal static IReadOnlyList<Diagnostic> SelfInflicted(SyntaxTree tree) =>
        CSharpCompilation.Create("Check", [tree]).GetDiagnostics().Where(d => SelfInflictedIds.Contains(d.Id)).ToList();

    private static readonly HashSet<string> SelfInflictedIds =
    [
        "CS0100", "CS0101", "CS0102", "CS0111", "CS0128", "CS0136", "CS0841", "CS0542", "CS0162", "CS0165", "CS0219",
    ];

    private static string SnapshotName(string hintName) => hintName.EndsWith(".g.cs", StringComparison.Ordinal) ? hintName[..^".g.cs".Length] : hintName;
}
