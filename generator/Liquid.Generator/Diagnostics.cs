using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Liquid.Generator;

/// <summary>
/// The one catalog of generator diagnostics. Every entry has an id, a title, a message format, a
/// severity and a help text; generator/README.md lists them (a test keeps the two in step).
/// </summary>
internal static class Diagnostics
{
    private const string Category = "Liquid.Model";

    public static readonly DiagnosticDescriptor YamlSyntax = Error("LQ0001", "Invalid YAML",
        "{0}", "The file is not valid YAML. Check indentation, colons after keys and closing brackets.");

    public static readonly DiagnosticDescriptor UnknownKey = Error("LQ0002", "Unknown key",
        "Unknown key '{0}' in {1}{2}", "Only the keys listed in generator/README.md are allowed here; a near match is suggested when there is one.");

    public static readonly DiagnosticDescriptor MissingKey = Error("LQ0003", "Missing required key",
        "{0} needs '{1}'", "Add the key; the reference in generator/README.md shows its type and meaning.");

    public static readonly DiagnosticDescriptor WrongType = Error("LQ0004", "Wrong type",
        "{0} must be {1}, not {2}", "Use a value of the stated type: integers without a decimal point, floats with one or an exponent, booleans as true/false.");

    public static readonly DiagnosticDescriptor UndefinedName = Error("LQ0005", "Undefined name",
        "'{0}' is not defined{1}", "Expressions may use config names, derived names and, inside a repeat block, 'index'.");

    public static readonly DiagnosticDescriptor InvalidExpression = Error("LQ0006", "Invalid expression",
        "Cannot read expression '{0}': {1}", "Expressions use numbers, config names, + - * / // % and parentheses, and min(a, b) / max(a, b).");

    public static readonly DiagnosticDescriptor NotDivisible = Error("LQ0007", "Inexact division",
        "{0}", "Values that must divide evenly (heads into the model width, kv_heads into heads, '/' in expressions) do not with the default config.");

    public static readonly DiagnosticDescriptor ShapeMismatch = Error("LQ0008", "Shape mismatch",
        "{0}", "Each layer's input must have the shape the previous layer produces; the message gives both.");

    public static readonly DiagnosticDescriptor UnknownLayer = Error("LQ0009", "Unknown layer kind",
        "Unknown layer kind '{0}'{1}", "Layer kinds are listed in generator/README.md; use 'custom' for a C# class of your own.");

    public static readonly DiagnosticDescriptor DuplicateName = Error("LQ0010", "Duplicate name",
        "'{0}' is already defined ({1})", "Keys, config names and layer names must be unique within their scope.");

    public static readonly DiagnosticDescriptor UnresolvedReference = Error("LQ0011", "Unresolved reference",
        "{0}", "References name an earlier layer by its name; the layer must exist and come before the reference.");

    public static readonly DiagnosticDescriptor InvalidName = Error("LQ0012", "Invalid name",
        "'{0}' is not a valid {1}: {2}", "Model names become C# types (letters, digits, underscores; start with a letter); layer names become state-dict keys (no dots).");

    public static readonly DiagnosticDescriptor OutOfRange = Error("LQ0013", "Value out of range",
        "{0}", "The value is outside what the layer accepts, e.g. a dropout probability outside [0, 1).");

    public static readonly DiagnosticDescriptor OutputMismatch = Error("LQ0014", "Output does not match",
        "{0}", "The last layer's shape must equal the first declared output's shape.");

    public static readonly DiagnosticDescriptor EmptyFile = Error("LQ0015", "Empty model file",
        "The model file is empty", "A model file is a YAML mapping with at least 'model' and 'layers'.");

    public static readonly DiagnosticDescriptor InputNeverUsed = Warning("LQ1001", "Input never used",
        "Input '{0}' is never read by a layer or the objective", "Remove the input, or read it with 'in:' in the layer that needs it.");

    public static readonly DiagnosticDescriptor OutputNeverProduced = Warning("LQ1002", "Output never produced",
        "Output '{0}' names no value the layers produce; it is left out of the generated output", "Bind a layer's output to this name with 'as:', or remove the output.");

    public static readonly DiagnosticDescriptor ValueNeverUsed = Warning("LQ1003", "Value never used",
        "Value '{0}' is computed but never read by a later layer, an output or the objective", "Read it with 'in:', declare it under 'outputs:', or drop the 'as:' name.");

    public static readonly DiagnosticDescriptor InternalError = Error("LQ0999", "Generator internal error",
        "The generator failed on this file: {0}", "This is a bug in Liquid.Generator; please report it with the YAML file. The file produced no code.");

    public static IReadOnlyList<DiagnosticDescriptor> All { get; } =
    [
        YamlSyntax, UnknownKey, MissingKey, WrongType, UndefinedName, InvalidExpression, NotDivisible, ShapeMismatch,
        UnknownLayer, DuplicateName, UnresolvedReference, InvalidName, OutOfRange, OutputMismatch, EmptyFile,
        InputNeverUsed, OutputNeverProduced, ValueNeverUsed, InternalError,
    ];

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = All.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static DiagnosticDescriptor Error(string id, string title, string message, string help) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description: help);

    private static DiagnosticDescriptor Warning(string id, string title, string message, string help) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description: help);
}

/// <summary>
/// A diagnostic as pipeline data: an id, message arguments and a location in a YAML file. Turned
/// into a Roslyn <see cref="Diagnostic"/> only when reported, so pipeline values stay equatable.
/// </summary>
internal sealed record DiagnosticInfo(string Id, EquatableArray<string> Arguments, string Path, SourceSpan Span)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, string path, SourceSpan span, params string[] arguments) =>
        new(descriptor.Id, arguments.ToEquatableArray(), path, span);

    public Diagnostic ToDiagnostic()
    {
        var location = Location.Create(Path, new TextSpan(Span.Start, Span.Length),
            new LinePositionSpan(new LinePosition(Span.StartLine, Span.StartColumn), new LinePosition(Span.EndLine, Span.EndColumn)));
        return Diagnostic.Create(Diagnostics.ById(Id), location, Arguments.Cast<object>().ToArray());
    }
}
