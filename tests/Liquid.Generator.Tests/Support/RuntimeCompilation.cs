using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Liquid.Generator.Tests.Support;

/// <summary>
/// Compiles generated sources the way a models project does: against Liquid.Runtime and the .NET
/// framework, nullable on, no implicit usings. Text comparison alone would not notice generated code
/// that does not compile.
/// </summary>
internal static class RuntimeCompilation
{
    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(Liquid.Runtime.Tensor).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    /// <summary>The custom layer the recurrent-tagger fixture names.</summary>
    public const string TokenMixer = """
        namespace Fixtures;
        public sealed class TokenMixer : Liquid.Runtime.Nn.Module
        {
            public Liquid.Runtime.Tensor Forward(Liquid.Runtime.Tensor x) => x;
        }
        """;

    /// <summary>Errors and warnings of compiling <paramref name="sources"/> (hint name, text) with <paramref name="extra"/> sources.</summary>
    public static IReadOnlyList<Diagnostic> Problems(IEnumerable<(string Name, string Text)> sources, params string[] extra)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, options, path: s.Name))
            .Concat(extra.Select((text, i) => CSharpSyntaxTree.ParseText(text, options, path: $"extra{i}.cs")));
        var compilation = CSharpCompilation.Create("Liquid.Generated.Check", trees, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));
        return compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
    }

    /// <summary>The problems of one generator run's sources.</summary>
    public static IReadOnlyList<Diagnostic> Problems(GeneratorRunResult result, params string[] extra) =>
        Problems(result.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())), extra);
}
