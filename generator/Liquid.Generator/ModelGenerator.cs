using System;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Liquid.Generator.Binding;
using Liquid.Generator.Emit;
using Liquid.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Liquid.Generator;

/// <summary>
/// Compiles <c>*.model.yaml</c> AdditionalFiles into C# modules. The pipeline is
/// Parse (YAML → syntax tree with spans) → Bind (names, expressions, shapes, parameter counts →
/// <see cref="ModelSpec"/>) → Emit (C# text), each a named, cached step over equatable values.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incremental-caching tests.</summary>
    public static class Steps
    {
        /// <summary>The text of each model file.</summary>
        public const string Files = "Liquid.Files";
        /// <summary>YAML parsed into syntax trees.</summary>
        public const string Parse = "Liquid.Parse";
        /// <summary>Trees bound into model specs and diagnostics.</summary>
        public const string Bind = "Liquid.Bind";
        /// <summary>Specs without spans, the emitter's input.</summary>
        public const string Models = "Liquid.Models";
        /// <summary>Generated C# per model.</summary>
        public const string Emit = "Liquid.Emit";
        /// <summary>The catalog of every model.</summary>
        public const string Catalog = "Liquid.Catalog";
    }

    /// <summary>The namespace of generated code unless the project sets <c>LiquidModelsNamespace</c>.</summary>
    public const string DefaultNamespace = "Liquid.Models";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var ns = context.AnalyzerConfigOptionsProvider.Select(static (options, _) =>
            options.GlobalOptions.TryGetValue("build_property.LiquidModelsNamespace", out var value) && !string.IsNullOrWhiteSpace(value)
                ? value.Trim()
                : DefaultNamespace);

        var files = context.AdditionalTextsProvider
            .Where(static file => file.Path.EndsWith(".model.yaml", StringComparison.OrdinalIgnoreCase))
            .Select(static (file, cancellation) => new SourceFile(file.Path, file.GetText(cancellation)?.ToString() ?? ""))
            .WithTrackingName(Steps.Files);

        var parsed = files.Select(static (file, _) => Guard(file.Path, () => YamlParser.Parse(file.Path, file.Text), e => new ParsedFile(file.Path, YamlParser.ModelFileName(file.Path), null, Internal(file.Path, e))))
            .WithTrackingName(Steps.Parse);

        var bound = parsed.Select(static (file, _) => Guard(file.Path, () => Compile(file), e => new BindResult(null, Internal(file.Path, e))))
            .WithTrackingName(Steps.Bind);

        context.RegisterSourceOutput(bound, static (output, result) =>
        {
            foreach (var diagnostic in result.Diagnostics) output.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        var models = bound.Where(static result => result.Model is not null).Select(static (result, _) => result.Model!)
            .WithTrackingName(Steps.Models);

        var emitted = models.Combine(ns)
            .Select(static (pair, _) => new GeneratedSource(pair.Left.TypeName + ".g.cs", ModelEmitter.Emit(pair.Left, pair.Right), pair.Left.FileName))
            .WithTrackingName(Steps.Emit);
        context.RegisterSourceOutput(emitted.Collect(), static (output, sources) =>
        {
            // Two files may declare one model name. Adding both sources would throw (hint names are
            // unique) and drop every model of the project, so both are reported and left out instead.
            foreach (var group in sources.GroupBy(source => source.HintName, StringComparer.OrdinalIgnoreCase))
            {
                if (group.Count() == 1)
                {
                    output.AddSource(group.Key, SourceText.From(group.First().Text, Encoding.UTF8));
                    continue;
                }
                var files = string.Join(", ", group.Select(source => source.FileName + ".model.yaml").OrderBy(name => name, StringComparer.Ordinal));
                output.ReportDiagnostic(Diagnostic.Create(Diagnostics.DuplicateName, Location.None, group.Key.Substring(0, group.Key.Length - ".g.cs".Length), $"by each of {files}"));
            }
        });

        var catalog = models.Select(static (model, _) => new CatalogEntry(model.FileName, model.TypeName)).Collect().Combine(ns)
            .Select(static (pair, _) => CatalogEmitter.Emit(pair.Left, pair.Right))
            .WithTrackingName(Steps.Catalog);
        context.RegisterSourceOutput(catalog, static (output, text) => output.AddSource("ModelCatalog.g.cs", SourceText.From(text, Encoding.UTF8)));
    }

    /// <summary>Parse and bind, as the pipeline does; also the entry point of tests and tools.</summary>
    internal static BindResult Compile(ParsedFile file)
    {
        var result = Binder.Bind(file);
        // A file with any error produces no code, syntax errors (e.g. a repeated key) included.
        return new BindResult(file.Diagnostics.Count == 0 ? result.Model : null, file.Diagnostics.Concat(result.Diagnostics).ToEquatableArray());
    }

    // A generator that throws is reported by the compiler as CS8785 and produces nothing for any
    // file; a bug in one model file's handling must instead surface as a located diagnostic.
    private static T Guard<T>(string path, Func<T> step, Func<Exception, T> onError)
    {
        try
        {
            return step();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return onError(e);
        }
    }

    private static EquatableArray<DiagnosticInfo> Internal(string path, Exception e) =>
        new[] { DiagnosticInfo.Create(Diagnostics.InternalError, path, SourceSpan.Empty, $"{e.GetType().Name}: {e.Message}") }.ToEquatableArray();
}

/// <summary>A model file's path and text.</summary>
internal sealed record SourceFile(string Path, string Text);

/// <summary>Generated text, its hint name and the model file it came from.</summary>
internal sealed record GeneratedSource(string HintName, string Text, string FileName);

/// <summary>What the catalog needs of a model.</summary>
internal sealed record CatalogEntry(string FileName, string TypeName);
