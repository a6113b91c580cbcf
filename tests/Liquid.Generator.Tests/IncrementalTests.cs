using Liquid.Generator.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Liquid.Generator.Tests;

/// <summary>
/// The generator runs on every keystroke in an IDE, so each named step must be skipped when its
/// input did not change. These tests run a driver twice and read the tracked steps of the second run.
/// </summary>
public class IncrementalTests
{
    private static readonly string[] AllSteps =
    [
        ModelGenerator.Steps.Files, ModelGenerator.Steps.Parse, ModelGenerator.Steps.Bind,
        ModelGenerator.Steps.Models, ModelGenerator.Steps.Emit, ModelGenerator.Steps.Catalog,
    ];

    private static readonly IncrementalStepRunReason[] Skipped = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [Fact]
    public void AddingOrChangingUnrelatedCSharpSkipsEveryStep()
    {
        var files = Repo.ModelFiles.Select(GeneratorHarness.FromDisk).ToArray<AdditionalText>();
        var compilation = GeneratorHarness.Compilation();
        var driver = GeneratorHarness.Driver(files, trackSteps: true).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();

        var added = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Input; internal static class Added { }", GeneratorHarness.ParseOptions, path: "/project/Added.cs"));
        driver = driver.RunGenerators(added);
        var second = driver.GetRunResult().Results.Single();
        AssertAllSkipped(second);
        AssertSameSources(first, second);

        var oldTree = added.SyntaxTrees.Single(t => t.FilePath == "/project/Added.cs");
        var changed = added.ReplaceSyntaxTree(oldTree, CSharpSyntaxTree.ParseText("namespace Input; internal static class Added { public const int X = 1; }", GeneratorHarness.ParseOptions, path: "/project/Added.cs"));
        var third = driver.RunGenerators(changed).GetRunResult().Results.Single();
        AssertAllSkipped(third);
        AssertSameSources(first, third);
    }

    [Fact]
    public void EditingACommentOrBlankLinesReusesTheEmittedCode()
    {
        var path = Repo.ModelFiles.Single(f => f.EndsWith("tiny-gpt.model.yaml", StringComparison.Ordinal));
        var original = GeneratorHarness.FromDisk(path);
        var others = Repo.ModelFiles.Where(f => f != path).Select(GeneratorHarness.FromDisk).ToList<AdditionalText>();
        var driver = GeneratorHarness.Driver([original, .. others], trackSteps: true).RunGenerators(GeneratorHarness.Compilation());
        var first = driver.GetRunResult().Results.Single();

        // A changed comment, a new comment line and a blank line: every span after them moves.
        var text = original.Text.Replace("# yaml-language-server:", "#  yaml-language-server:")
            .Replace("config:\n", "config:\n  # the widths below are the small preset\n\n");
        Assert.NotEqual(original.Text, text);
        var edited = new InMemoryAdditionalText(path, text);
        var second = driver.ReplaceAdditionalText(original, edited).RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();

        Assert.True(second.Diagnostics.IsEmpty, GeneratorHarness.Describe(second.Diagnostics));
        AssertSameSources(first, second);
        // The text and its tree changed (spans moved); the bound model did not, so nothing after Bind ran.
        Assert.Contains(second.TrackedSteps[ModelGenerator.Steps.Files].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(second.TrackedSteps[ModelGenerator.Steps.Parse].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        foreach (var step in new[] { ModelGenerator.Steps.Bind, ModelGenerator.Steps.Models, ModelGenerator.Steps.Emit, ModelGenerator.Steps.Catalog })
            AssertSkipped(second, step);
    }

    [Fact]
    public void ARealEditReemitsOnlyThatModel()
    {
        var path = Repo.ModelFiles.Single(f => f.EndsWith("tiny-gpt.model.yaml", StringComparison.Ordinal));
        var original = GeneratorHarness.FromDisk(path);
        var others = Repo.ModelFiles.Where(f => f != path).Select(GeneratorHarness.FromDisk).ToList<AdditionalText>();
        var driver = GeneratorHarness.Driver([original, .. others], trackSteps: true).RunGenerators(GeneratorHarness.Compilation());
        var first = driver.GetRunResult().Results.Single();

        Assert.Contains("  d_model: 128\n", original.Text);
        var edited = new InMemoryAdditionalText(path, original.Text.Replace("  d_model: 128\n", "  d_model: 192\n"));
        var second = driver.ReplaceAdditionalText(original, edited).RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();

        Assert.True(second.Diagnostics.IsEmpty, GeneratorHarness.Describe(second.Diagnostics));
        var emit = second.TrackedSteps[ModelGenerator.Steps.Emit].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(1, emit.Count(o => o.Reason == IncrementalStepRunReason.Modified));
        Assert.Equal(others.Count, emit.Count(o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        var before = GeneratorHarness.Source(first, "TinyGpt.g.cs");
        var after = GeneratorHarness.Source(second, "TinyGpt.g.cs");
        Assert.NotEqual(before, after);
        Assert.Contains("public long DModel { get; init; } = 192;", after);
        foreach (var other in first.GeneratedSources.Where(s => s.HintName != "TinyGpt.g.cs"))
            Assert.Equal(other.SourceText.ToString(), GeneratorHarness.Source(second, other.HintName));
    }

    private static void AssertAllSkipped(GeneratorRunResult result)
    {
        foreach (var step in AllSteps) AssertSkipped(result, step);
    }

    private static void AssertSkipped(GeneratorRunResult result, string step)
    {
        Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} was not tracked; tracked: {string.Join(", ", result.TrackedSteps.Keys)}");
        var outputs = result.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        var ran = outputs.Where(o => !Skipped.Contains(o.Reason)).ToList();
        Assert.True(ran.Count == 0, $"step {step} did work: {string.Join(", ", ran.Select(o => o.Reason))}");
    }

    private static void AssertSameSources(GeneratorRunResult first, GeneratorRunResult second)
    {
        Assert.Equal(first.GeneratedSources.Select(s => s.HintName), second.GeneratedSources.Select(s => s.HintName));
        foreach (var source in first.GeneratedSources)
            Assert.Equal(source.SourceText.ToString(), GeneratorHarness.Source(second, source.HintName));
    }
}
