using System;
using System.Collections.Generic;
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
        /// <summary>The type names of the runtime that generated code imports.</summary>
        public const string RuntimeTypes = "Liquid.RuntimeTypes";
        /// <summary>Generated type names that two files share, or that hide a runtime type.</summary>
        public const string Clashes = "Liquid.Clashes";
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

        // Two files may generate one type name (two models called Net, or a model called NetConfig
        // beside Net). Adding both would break the build of every model, so each is reported at its
        // 'model:' name and left out, and the others still build.
        // Only files that bind without errors generate types; the others report their own errors. The
        // runtime's type names come from the compilation, so they follow the runtime the project uses.
        var built = models.Select(static (model, _) => model.FileName).Collect();
        var runtimeTypes = context.CompilationProvider.Select(static (compilation, _) => GeneratedNames.RuntimeTypes(compilation))
            .WithTrackingName(Steps.RuntimeTypes);
        var clashes = parsed.Select(static (file, _) => ModelIdentity.Of(file)).Where(static identity => identity is not null).Collect().Combine(built).Combine(runtimeTypes)
            .Select(static (pair, _) => Clashes.Find(pair.Left.Left!.Where(i => pair.Left.Right.Contains(YamlParser.ModelFileName(i!.Path)))!, pair.Right))
            .WithTrackingName(Steps.Clashes);
        context.RegisterSourceOutput(clashes, static (output, found) =>
        {
            foreach (var diagnostic in found.Diagnostics) output.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        var emitted = models.Combine(ns)
            .Select(static (pair, _) => new GeneratedSource(pair.Left.TypeName + ".g.cs", ModelEmitter.Emit(pair.Left, pair.Right), pair.Left.TypeName))
            .WithTrackingName(Steps.Emit);
        context.RegisterSourceOutput(emitted.Collect().Combine(clashes), static (output, pair) =>
        {
            foreach (var source in pair.Left)
                if (!pair.Right.Excluded.Contains(source.TypeName))
                    output.AddSource(source.HintName, SourceText.From(source.Text, Encoding.UTF8));
        });

        var catalog = models.Select(static (model, _) => new CatalogEntry(model.FileName, model.TypeName)).Collect().Combine(clashes).Combine(ns)
            .Select(static (pair, _) => CatalogEmitter.Emit(pair.Left.Left.Where(e => !pair.Left.Right.Excluded.Contains(e.TypeName)).ToImmutableArray(), pair.Right))
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

/// <summary>Generated text, its hint name and the model type it declares.</summary>
internal sealed record GeneratedSource(string HintName, string Text, string TypeName);

/// <summary>Models left out because another file generates one of their type names, and the diagnostics saying so.</summary>
internal sealed record Clashes(EquatableArray<string> Excluded, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public static Clashes Find(IEnumerable<ModelIdentity> identities, EquatableArray<string> runtimeTypes)
    {
        var all = identities.OrderBy(i => i.Path, StringComparer.Ordinal).ToList();
        var excluded = new List<string>();
        var diagnostics = new List<DiagnosticInfo>();
        foreach (var identity in all)
        {
            // A runtime type of the same name would be hidden in the models' namespace: every model breaks.
            if (identity.GeneratedTypes.FirstOrDefault(t => runtimeTypes.Contains(t.Name)) is { } hidden)
            {
                excluded.Add(identity.TypeName);
                diagnostics.Add(DiagnosticInfo.Create(Liquid.Generator.Diagnostics.InvalidName, identity.Path, hidden.Span, hidden.Name, "generated type name",
                    $"the generated code uses the runtime's type '{hidden.Name}', which this name would hide"));
                continue;
            }
            var others = all.Where(o => !ReferenceEquals(o, identity))
                .Where(o => o.GeneratedTypes.Any(t => identity.GeneratedTypes.Any(u => string.Equals(t.Name, u.Name, StringComparison.OrdinalIgnoreCase))))
                .ToList();
            if (others.Count == 0) continue;
            excluded.Add(identity.TypeName);
            var shared = identity.GeneratedTypes.First(t => others.Any(o => o.GeneratedTypes.Any(u => string.Equals(t.Name, u.Name, StringComparison.OrdinalIgnoreCase))));
            var files = string.Join(", ", others.Select(o => System.IO.Path.GetFileName(o.Path)));
            diagnostics.Add(DiagnosticInfo.Create(Liquid.Generator.Diagnostics.DuplicateName, identity.Path, shared.Span, shared.Name, $"{files} generates a type of this name too; neither file's model is built"));
        }
        return new Clashes(excluded.ToEquatableArray(), diagnostics.ToEquatableArray());
    }
}

/// <summary>What the catalog needs of a model.</summary>
internal sealed record CatalogEntry(string FileName, string TypeName);
