using System;
using System.Collections.Generic;
using System.Linq;

namespace Liquid.Generator.Emit;

/// <summary>
/// .NET type names that generated code uses without qualification. A generated type of the same
/// name in the models' namespace would hide one of them and break every model of the project, so the
/// binder refuses model and block names from this list. The runtime's own types are found in the
/// compilation instead (<see cref="RuntimeTypes"/>), so a new runtime class needs no entry here.
/// </summary>
internal static class GeneratedNames
{
    private static readonly HashSet<string> s_types = new(StringComparer.Ordinal)
    {
        // .NET types the emitted code names.
        "Math", "Enumerable", "List", "Dictionary", "IReadOnlyList", "IReadOnlyDictionary", "IEnumerable", "String", "Object",
        "Exception", "InvalidOperationException", "ArgumentException", "Func", "Action", "Type", "Array", "Span", "ReadOnlySpan",
        "Int32", "Int64", "Double", "Boolean", "Console", "GC", "IDisposable", "StringComparer", "Nullable", "Task", "File", "Path",
        "Directory", "Stream", "Thread", "CancellationToken", "Linq", "System", "Collections", "Generic",
    };

    /// <summary>Whether a generated type called <paramref name="name"/> would hide a type the generated code uses.</summary>
    public static bool IsReserved(string name) => s_types.Contains(name);

    /// <summary>The namespaces of the runtime that generated code imports.</summary>
    public static readonly string[] RuntimeNamespaces = ["Liquid.Runtime", "Liquid.Runtime.Models", "Liquid.Runtime.Nn", "Liquid.Runtime.Nn.OdeSolvers"];

    /// <summary>Every type the compilation has in the runtime namespaces generated code imports, sorted.</summary>
    public static EquatableArray<string> RuntimeTypes(Microsoft.CodeAnalysis.Compilation compilation)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var ns in RuntimeNamespaces)
        {
            var symbol = compilation.GlobalNamespace;
            foreach (var part in ns.Split('.'))
                symbol = symbol?.GetNamespaceMembers().FirstOrDefault(n => n.Name == part);
            if (symbol is null) continue;
            foreach (var type in symbol.GetTypeMembers())
                if (type.DeclaredAccessibility == Microsoft.CodeAnalysis.Accessibility.Public) names.Add(type.Name);
        }
        return names.ToEquatableArray();
    }
}
