using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Liquid.Generator.Binding;

/// <summary>Name conversions and near-miss suggestions.</summary>
internal static class Names
{
    /// <summary><c>d_model</c> → <c>DModel</c>, <c>ln_f</c> → <c>LnF</c>, <c>tiny-gpt</c> → <c>TinyGpt</c>.</summary>
    public static string Pascal(string name)
    {
        var result = new StringBuilder(name.Length);
        var upper = true;
        foreach (var c in name)
        {
            if (c == '_' || c == '-' || c == '.' || c == ' ')
            {
                upper = true;
                continue;
            }
            result.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        if (result.Length == 0 || char.IsDigit(result[0])) result.Insert(0, '_');
        return result.ToString();
    }

    /// <summary><c>ln_f</c> → <c>_lnF</c>: the private field of a layer.</summary>
    public static string Field(string name)
    {
        var pascal = Pascal(name);
        return "_" + char.ToLowerInvariant(pascal[0]) + pascal.Substring(1);
    }

    /// <summary><c>h_last</c> → <c>hLast</c>: a local variable or parameter (C# keywords get an <c>@</c>).</summary>
    public static string Camel(string name)
    {
        var pascal = Pascal(name);
        var camel = char.ToLowerInvariant(pascal[0]) + pascal.Substring(1);
        return SyntaxFacts.GetKeywordKind(camel) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(camel) is SyntaxKind.VarKeyword ? "@" + camel : camel;
    }

    /// <summary>The local that holds a value of the model file.</summary>
    public static string Local(string name) => Camel(name);

    /// <summary>Text cut to a length that fits a message.</summary>
    public static string Clip(string text) => text.Length <= 60 ? text : text.Substring(0, 57) + "…";

    /// <summary>Letters, digits and underscores, starting with a letter (C# type names and YAML names alike).</summary>
    public static bool IsIdentifier(string name) =>
        name.Length > 0 && char.IsLetter(name[0]) && name.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '_'));

    /// <summary><c>MyModels.TokenMixer</c>: identifiers (not C# keywords) joined by dots.</summary>
    public static bool IsQualifiedName(string name) =>
        name.Split('.').All(part => IsIdentifier(part) && SyntaxFacts.GetKeywordKind(part) == SyntaxKind.None);

    /// <summary>", did you mean 'x'?" for the closest candidate within a small edit distance, else "".</summary>
    public static string Suggest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(word, candidate);
            if (distance < bestDistance || (distance == bestDistance && string.CompareOrdinal(candidate, best) < 0))
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        var limit = Math.Max(2, word.Length / 3);
        return best is not null && bestDistance <= limit ? $", did you mean '{best}'?" : "";
    }

    /// <summary>Levenshtein distance, case-insensitive (<c>D_Model</c> is one edit from <c>d_model</c> at most).</summary>
    public static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        if (a.Length > 64 || b.Length > 64) return int.MaxValue;
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            var swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.Length];
    }
}
