using System;
using System.Globalization;
using System.Linq;
using Liquid.Generator.Binding;
using Liquid.Generator.Parsing;
using Microsoft.CodeAnalysis.CSharp;

namespace Liquid.Generator.Emit;

/// <summary>
/// Turns the binder's typed values into C# text. <see cref="Names"/> says how a config name is
/// spelled where the text goes: <c>config.DModel</c> in constructors, <c>DModel</c> inside the config
/// record, <c>Config.DModel</c> in a model's members.
/// </summary>
internal sealed class CSharp(ModelSpec model, string prefix)
{
    /// <summary>Names as the config record's members see them.</summary>
    public static CSharp InRecord(ModelSpec model) => new(model, "");

    /// <summary>Names through a <c>config</c> parameter (constructors, CountParameters).</summary>
    public static CSharp ThroughParameter(ModelSpec model) => new(model, "config.");

    /// <summary>Names through the model's <c>Config</c> property.</summary>
    public static CSharp ThroughProperty(ModelSpec model) => new(model, "Config.");

    private string Name(string yaml)
    {
        if (yaml == "index") return "index";
        var field = model.Config.FirstOrDefault(c => c.YamlName == yaml)?.PropertyName ?? model.Derived.FirstOrDefault(d => d.YamlName == yaml)?.PropertyName;
        return prefix + (field ?? throw new InvalidOperationException($"'{yaml}' is not a config or derived name"));
    }

    public string Expr(Expr expr) => Render.CSharp(expr, Name);

    /// <summary>An expression as an operand: parenthesized unless it is a name, member access, call or literal.</summary>
    public string Operand(Expr expr)
    {
        var text = Expr(expr);
        return IsSimple(text) ? text : "(" + text + ")";
    }

    public string Code(Code code) => code switch
    {
        ExprCode { AsFloat: true, Expr: IntLiteral literal } => Render.CSharpDouble(literal.Value),
        ExprCode e => Expr(e.Expr),
        BoolCode b => b.Value ? "true" : "false",
        TextCode t => Literal(t.Value),
        NullCode => "null",
        EnumCode e => $"{e.Type}.{e.Member}",
        TypeNameCode t => "global::" + t.FullName,
        NewCode n => $"new {n.Type}({string.Join(", ", n.Positional.Select(Code).Concat(n.Named.Select(a => $"{a.Name}: {Code(a.Value)}")))})",
        CycleCode c => $"Cycle.Pick<{c.ElementType}>(index, {string.Join(", ", c.Options.Select(Code))})",
        ChooseCode c => $"{Operand(c.Condition)} ? {Code(c.Then)} : {Code(c.Otherwise)}",
        LayerRefCode r => Names.Field(r.StateName),
        ConfigCode => "config",
        _ => throw new InvalidOperationException($"no C# for {code.GetType().Name}"),
    };

    /// <summary>A dimension inside an interpolated string: the symbol, or the size's value.</summary>
    public string InterpolatedDim(Dim dim) => dim.IsSymbol ? Escape(dim.Symbol!) : "{" + Expr(dim.Size!) + "}";

    /// <summary>A type with its sizes filled in at run time: <c>$"float[B, T, {Config.DModel}]"</c>.</summary>
    public string InterpolatedType(TensorType type) =>
        $"$\"{TensorType.ElementName(type.Element)}[{string.Join(", ", type.Dims.Select(InterpolatedDim))}]\"";

    /// <summary>A Validate() message as an interpolated string.</summary>
    public string Message(EquatableArray<MessagePart> parts) =>
        "$\"" + string.Concat(parts.Select(p => p.Text is { } text ? Escape(text) : "{" + Expr(p.Value!) + "}")) + "\"";

    public static string Literal(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

    /// <summary>Text for the inside of an interpolated string literal: escaped as C# and with braces doubled.</summary>
    public static string Escape(string text)
    {
        var literal = SymbolDisplay.FormatLiteral(text, quote: true);
        return literal.Substring(1, literal.Length - 2).Replace("{", "{{").Replace("}", "}}");
    }

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static bool IsSimple(string text)
    {
        if (text.All(c => char.IsLetterOrDigit(c) || c is '_' or '.')) return true;
        // A call like Math.Sqrt(x) or Floor.Divide(a, b): one name followed by one balanced argument list.
        var open = text.IndexOf('(');
        if (open <= 0 || !text.EndsWith(")", StringComparison.Ordinal) || !text.Substring(0, open).All(c => char.IsLetterOrDigit(c) || c is '_' or '.')) return false;
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
            if (depth == 0 && i < text.Length - 1) return false;
        }
        return true;
    }
}
