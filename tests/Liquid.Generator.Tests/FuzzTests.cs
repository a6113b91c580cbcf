using System.Diagnostics;
using System.Globalization;
using Liquid.Generator.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit.Abstractions;

namespace Liquid.Generator.Tests;

/// <summary>
/// Thousands of broken model files, made by mutating the real ones with a seeded Random. Whatever
/// the input, the generator must answer with located diagnostics or with code: no exception may
/// escape (the compiler would report CS8785 and drop every model) and no LQ0999 (an internal error).
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    // FUZZ_SEED and FUZZ_COUNT explore further without changing the committed run.
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var seed) ? seed : 20_261_122;
    private static readonly int Mutants = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_COUNT"), out var count) ? count : 2_500;
    // The generator's own cost, as CPU time of this process: wall time also counts whatever else the
    // machine runs, which made the check fail under load without saying anything about the generator.
    // 120 CPU-seconds is the former 60 s wall budget on this machine's two cores.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(120);

    private sealed record Outcome(int Index, string Original, IReadOnlyList<string> Mutations, string Text, IReadOnlyList<string> Problems, IReadOnlyList<string> ErrorIds, bool Compiled,
        IReadOnlyList<(string Name, string Text)> Sources);

    [Fact]
    public void MutatedModelsNeverCrashTheGenerator()
    {
        var originals = Repo.ModelFiles.Concat(Repo.FixtureFiles)
            .Select(path => (Name: Path.GetFileName(path), Text: File.ReadAllText(path).Replace("\r\n", "\n")))
            .ToArray();
        var stopwatch = Stopwatch.StartNew();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var outcomes = new Outcome[Mutants];
        Parallel.For(0, Mutants, i => outcomes[i] = RunOne(i, originals));
        stopwatch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

        var compiled = outcomes.Count(o => o.Compiled);
        var withErrors = outcomes.Count(o => o.ErrorIds.Count > 0);
        output.WriteLine($"{Mutants} mutants of {originals.Length} files (seed {Seed}) in {stopwatch.Elapsed.TotalSeconds:F1} s ({cpu.TotalSeconds:F1} CPU-s): " +
                         $"{withErrors} reported errors, {compiled} compiled to code.");
        output.WriteLine("Diagnostics (files reporting each id): " + string.Join(", ",
            outcomes.SelectMany(o => o.ErrorIds.Distinct()).GroupBy(id => id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")));
        output.WriteLine("Mutations applied: " + string.Join(", ",
            outcomes.SelectMany(o => o.Mutations).GroupBy(m => m).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")));

        var failures = outcomes.Where(o => o.Problems.Count > 0).ToList();
        foreach (var kind in failures.SelectMany(f => f.Problems.Select(Kind)).GroupBy(k => k).OrderByDescending(g => g.Count()))
            output.WriteLine($"Problem '{kind.Key}': {kind.Count()} times");
        foreach (var failure in failures.Take(int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SHOW"), out var show) ? show : 5))
        {
            output.WriteLine($"--- mutant {failure.Index} of {failure.Original} ({string.Join(", ", failure.Mutations)}):");
            foreach (var problem in failure.Problems) output.WriteLine("  " + problem);
            output.WriteLine(Escape(failure.Text.Length > 3000 ? failure.Text[..3000] + " …" : failure.Text));
        }
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {Mutants} mutants broke the generator; first: mutant {failures.FirstOrDefault()?.Index}: {failures.FirstOrDefault()?.Problems[0]} (details in the test output)");
        Assert.True(compiled > 0 && withErrors > 0, "the mutants should include both valid and invalid files");
        Assert.True(cpu < Budget, $"the fuzz run took {cpu.TotalSeconds:F1} CPU-seconds, over its {Budget.TotalSeconds} s budget");

        // Every mutant without errors compiles against the real runtime (each in its own namespace, all
        // in one compilation). Mutants whose custom layer names a class that exists nowhere are left
        // out: the generator cannot know the project's own types.
        var valid = outcomes.Where(o => o.Compiled && o.Problems.Count == 0 && !o.Sources.Any(s => NamesUnknownCustomClass(s.Text))).ToList();
        var problems = RuntimeCompilation.Problems(valid.SelectMany(o => o.Sources), RuntimeCompilation.TokenMixer);
        output.WriteLine($"{valid.Count} of {compiled} generated models compiled together against the runtime: {problems.Count} problems");
        foreach (var group in problems.GroupBy(p => p.Location.SourceTree?.FilePath ?? "").Take(5))
        {
            var mutant = valid.FirstOrDefault(o => group.Key.StartsWith($"M{o.Index}/", StringComparison.Ordinal));
            output.WriteLine($"--- {group.Key} (mutant of {mutant?.Original}, {string.Join(", ", mutant?.Mutations ?? [])}):");
            foreach (var problem in group.Take(3)) output.WriteLine("  " + problem);
            if (mutant is not null) output.WriteLine(Escape(mutant.Text.Length > 3000 ? mutant.Text[..3000] + " …" : mutant.Text));
        }
        Assert.True(valid.Count > 100, $"only {valid.Count} mutants produced code to compile");
        Assert.True(problems.Count == 0, $"{problems.Select(p => p.Location.SourceTree?.FilePath).Distinct().Count()} generated models do not compile; first: {problems.FirstOrDefault()} (details in the test output)");
    }

    private static bool NamesUnknownCustomClass(string source) =>
        source.Replace("global::Fixtures.TokenMixer", "").Contains("global::", StringComparison.Ordinal);

    private static Outcome RunOne(int index, (string Name, string Text)[] originals)
    {
        // One Random per mutant: the run is reproducible whatever the thread schedule.
        var random = new Random(unchecked(Seed * 1_000_003 + index));
        var original = originals[random.Next(originals.Length)];
        var mutations = new List<string>();
        var text = Mutator.Mutate(original.Text, random, mutations);
        var problems = new List<string>();
        var errorIds = new List<string>();
        var compiled = false;
        var sources = new List<(string Name, string Text)>();
        try
        {
            var options = new TestOptionsProvider(new Dictionary<string, string> { ["build_property.LiquidModelsNamespace"] = $"Fuzz.M{index}" });
            var result = GeneratorHarness.Driver([GeneratorHarness.ModelFile("fuzz", text)], options: options)
                .RunGenerators(GeneratorHarness.Compilation()).GetRunResult().Results.Single();
            if (result.Exception is not null) problems.Add($"exception escaped: {result.Exception}");
            var sourceText = SourceText.From(text);
            foreach (var diagnostic in result.Diagnostics)
            {
                errorIds.Add(diagnostic.Id);
                if (diagnostic.Id == "LQ0999") problems.Add($"internal error: {diagnostic}");
                _ = diagnostic.GetMessage(CultureInfo.InvariantCulture); // the arguments fit the format
                var span = diagnostic.Location.SourceSpan;
                if (span.End > text.Length) problems.Add($"location past the end of the file: {diagnostic}");
                else if (sourceText.Lines.GetLinePosition(span.Start) != diagnostic.Location.GetLineSpan().StartLinePosition)
                    problems.Add($"line/column {diagnostic.Location.GetLineSpan().StartLinePosition} disagrees with offset {span.Start} ({sourceText.Lines.GetLinePosition(span.Start)}): {diagnostic}");
            }
            var model = result.GeneratedSources.Where(s => s.HintName != "ModelCatalog.g.cs").ToList();
            compiled = model.Count > 0;
            if (compiled) sources.AddRange(result.GeneratedSources.Select(s => ($"M{index}/{s.HintName}", s.SourceText.ToString())));
            // Warnings (LQ1xxx, e.g. an input never used) come with code; errors must not.
            if (compiled && result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) problems.Add("code was generated for a file with errors");
            if (!compiled && errorIds.Count == 0) problems.Add("neither code nor a diagnostic");
            foreach (var source in model)
            {
                var syntaxErrors = source.SyntaxTree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
                if (syntaxErrors.Count > 0) problems.Add($"generated {source.HintName} does not parse: {syntaxErrors[0]}");
                else if (SnapshotTests.SelfInflicted(source.SyntaxTree) is { Count: > 0 } conflicts) problems.Add($"generated {source.HintName} does not compile: {conflicts[0]}");
            }
        }
        catch (Exception e)
        {
            problems.Add($"the harness failed: {e}");
        }
        return new Outcome(index, original.Name, mutations, text, problems, errorIds, compiled, sources);
    }

    /// <summary>A problem's kind: its text up to the first digit or colon.</summary>
    private static string Kind(string problem) => new(problem.TakeWhile(c => !char.IsDigit(c) && c != ':').ToArray());

    private static string Escape(string text)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var c in text)
        {
            if (c == '\n' || (c >= ' ' && c < 0x7F)) builder.Append(c);
            else builder.Append($"\\u{(int)c:X4}");
        }
        return builder.ToString();
    }
}
