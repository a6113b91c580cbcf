using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Liquid.Generator.Tests.Support;

/// <summary>
/// Runs <see cref="ModelGenerator"/> the way the compiler does, over an in-memory compilation and
/// in-memory model files. The compilation references the core library and the runtime (whose type
/// names the generator reads); RuntimeCompilation compiles the generated code for real.
/// </summary>
internal static class GeneratorHarness
{
    /// <summary>Where in-memory model files pretend to live.</summary>
    public const string ModelsFolder = "/project/models";

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    /// <summary>A model file at <c>/project/models/<paramref name="name"/>.model.yaml</c>.</summary>
    public static InMemoryAdditionalText ModelFile(string name, string yaml) => new($"{ModelsFolder}/{name}.model.yaml", yaml);

    /// <summary>A repository file, by its real path.</summary>
    public static InMemoryAdditionalText FromDisk(string path) => new(path, File.ReadAllText(path));

    private static readonly MetadataReference CoreLibrary = MetadataReference.CreateFromFile(typeof(object).Assembly.Location);

    // The runtime is referenced as a models project references it: the generator reads its type names.
    private static readonly MetadataReference Runtime = MetadataReference.CreateFromFile(typeof(Liquid.Runtime.Tensor).Assembly.Location);

    private static readonly CSharpCompilation Empty = CSharpCompilation.Create("Liquid.Generator.Tests.Input",
        [CSharpSyntaxTree.ParseText("namespace Input; public static class Program { }", ParseOptions, path: "/project/Program.cs")],
        [CoreLibrary, Runtime], new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    /// <summary>A one-class compilation (shared: compilations are immutable); the generator reads only its options.</summary>
    public static CSharpCompilation Compilation() => Empty;

    /// <summary>A driver over <paramref name="files"/>; <paramref name="trackSteps"/> records each named step's outputs.</summary>
    public static GeneratorDriver Driver(IEnumerable<AdditionalText> files, bool trackSteps = false, AnalyzerConfigOptionsProvider? options = null) =>
        CSharpGeneratorDriver.Create(
            [new ModelGenerator().AsSourceGenerator()],
            additionalTexts: files,
            parseOptions: ParseOptions,
            optionsProvider: options,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator once over <paramref name="files"/>.</summary>
    public static GeneratorRunResult Run(params AdditionalText[] files) =>
        Driver(files).RunGenerators(Compilation()).GetRunResult().Results.Single();

    /// <summary>Runs one YAML text as <c>test.model.yaml</c>.</summary>
    public static GeneratorRunResult RunYaml(string yaml, string name = "test") => Run(ModelFile(name, yaml));

    /// <summary>The generated text of <paramref name="hintName"/>, with '\n' line ends.</summary>
    public static string Source(GeneratorRunResult result, string hintName) =>
        result.GeneratedSources.SingleOrDefault(s => s.HintName == hintName).SourceText?.ToString()
        ?? throw new InvalidOperationException($"no generated source '{hintName}'; generated: {string.Join(", ", result.GeneratedSources.Select(s => s.HintName))}; diagnostics: {Describe(result.Diagnostics)}");

    /// <summary>Diagnostics one per line, as the compiler prints them.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics) =>
        string.Join(Environment.NewLine, diagnostics.Select(d => d.ToString()));
}

/// <summary>Analyzer config with build properties, e.g. <c>build_property.LiquidModelsNamespace</c>.</summary>
internal sealed class TestOptionsProvider(IReadOnlyDictionary<string, string> globals) : AnalyzerConfigOptionsProvider
{
    public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(globals);

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

    private sealed class Options(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly Options Empty = new(ImmutableDictionary<string, string>.Empty);

        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value)
        {
            if (values.TryGetValue(key, out var found))
            {
                value = found;
                return true;
            }
            value = null;
            return false;
        }
    }
}
