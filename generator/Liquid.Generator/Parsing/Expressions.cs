using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Liquid.Generator.Parsing;

/// <summary>An arithmetic expression over config names: the value language of model files.</summary>
internal abstract record Expr;

/// <summary>An integer literal.</summary>
internal sealed record IntLiteral(long Value) : Expr;

/// <summary>A floating-point literal, kept as written so emitted code reads like the YAML.</summary>
internal sealed record FloatLiteral(double Value, string Text) : Expr;

/// <summary>A config, derived or loop name.</summary>
internal sealed record NameRef(string Name) : Expr;

/// <summary>Unary minus.</summary>
internal sealed record Negate(Expr Operand) : Expr;

/// <summary>+ - * / // %.</summary>
internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right) : Expr;

/// <summary>min(a, b) or max(a, b).</summary>
internal sealed record CallExpr(string Function, Expr First, Expr Second) : Expr;

/// <summary>sqrt(a), always a float (GPT-2 scales its output projections by 1/sqrt(2·layers)).</summary>
internal sealed record SqrtExpr(Expr Operand) : Expr;

// The nodes below never come from a model file: the binder builds them for the checks it emits
// into Validate() and for symbolic parameter counts, so those stay typed until the emitter.

/// <summary><c>a &lt; b</c>, <c>a == b</c> …: a comparison, true or false.</summary>
internal sealed record CompareExpr(string Operator, Expr Left, Expr Right) : Expr;

/// <summary><c>a || b</c> or <c>a &amp;&amp; b</c> over conditions.</summary>
internal sealed record LogicalExpr(string Operator, Expr Left, Expr Right) : Expr;

/// <summary><c>condition ? then : otherwise</c> (a bias switched by a bool config, say).</summary>
internal sealed record IfExpr(Expr Condition, Expr Then, Expr Otherwise) : Expr;

/// <summary>The block index picks one of several values (<c>{ cycle: [a, b] }</c> in a repeat block).</summary>
internal sealed record PickExpr(EquatableArray<Expr> Options) : Expr;

/// <summary>
/// The parameters of a repeated block's <see cref="Count"/> instances (the binder computed their
/// <see cref="Default"/> under the default config); generated code calls the block's CountParameters.
/// </summary>
internal sealed record BlockCountExpr(string BlockClass, Expr Count, bool VariesWithIndex, long Default) : Expr;

/// <summary>The parameters of a generated vector field class (a neural ODE's), <see cref="Default"/> under the default config.</summary>
internal sealed record FieldCountExpr(string FieldClass, long Default) : Expr;

/// <summary>A conversion in generated code (<c>(int)batch</c>); the value is the operand's.</summary>
internal sealed record CastExpr(string Type, Expr Operand) : Expr;

/// <summary>A string literal inside a condition (an enum config's allowed word).</summary>
internal sealed record StringLiteral(string Value) : Expr;

/// <summary>A true/false literal inside a condition.</summary>
internal sealed record BoolLiteral(bool Value) : Expr;

/// <summary>A syntax error in an expression, with the offending text.</summary>
internal sealed class ExpressionException(string message) : Exception(message);

/// <summary>
/// Recursive-descent parser: expr := term (('+'|'-') term)*; term := unary (('*'|'/'|'//'|'%') unary)*;
/// unary := '-' unary | atom; atom := number | name | ('min'|'max') '(' expr ',' expr ')' | 'sqrt' '(' expr ')' | '(' expr ')'.
/// </summary>
internal sealed class ExpressionParser
{
    /// <summary>Longest expression text; it bounds the depth of trees that evaluation and rendering recurse over.</summary>
    public const int MaxLength = 1000;

    /// <summary>Deepest nesting of parentheses, calls and signs; the parser recurses once per level.</summary>
    public const int MaxNesting = 64;

    private readonly string _text;
    private int _position;
    private int _nesting;

    private ExpressionParser(string text) => _text = text;

    public static Expr Parse(string text)
    {
        if (text.Length > MaxLength) throw new ExpressionException($"it is longer than {MaxLength} characters");
        var parser = new ExpressionParser(text);
        var result = parser.ParseSum();
        parser.SkipSpace();
        if (parser._position < text.Length) throw new ExpressionException($"unexpected '{text[parser._position]}' at column {parser._position + 1}");
        return result;
    }

    private Expr ParseSum()
    {
        var left = ParseProduct();
        while (true)
        {
            SkipSpace();
            if (Take("+")) left = new BinaryExpr("+", left, ParseProduct());
            else if (Take("-")) left = new BinaryExpr("-", left, ParseProduct());
            else return left;
        }
    }

    private Expr ParseProduct()
    {
        var left = ParseUnary();
        while (true)
        {
            SkipSpace();
            if (Take("//")) left = new BinaryExpr("//", left, ParseUnary());
            else if (Take("*")) left = new BinaryExpr("*", left, ParseUnary());
            else if (Take("/")) left = new BinaryExpr("/", left, ParseUnary());
            else if (Take("%")) left = new BinaryExpr("%", left, ParseUnary());
            else return left;
        }
    }

    // Every level of parentheses, call arguments and signs passes through here.
    private Expr ParseUnary()
    {
        if (++_nesting > MaxNesting) throw new ExpressionException($"it nests deeper than {MaxNesting} levels");
        SkipSpace();
        var result = Take("-") ? new Negate(ParseUnary()) : Take("+") ? ParseUnary() : ParseAtom();
        _nesting--;
        return result;
    }

    private Expr ParseAtom()
    {
        SkipSpace();
        if (_position >= _text.Length) throw new ExpressionException("it ends where a value was expected");
        var c = _text[_position];
        if (Take("("))
        {
            var inner = ParseSum();
            SkipSpace();
            if (!Take(")")) throw new ExpressionException("a '(' is not closed");
            return inner;
        }
        if (IsDigit(c) || c == '.') return ParseNumber();
        if (char.IsLetter(c) || c == '_')
        {
            var start = _position;
            while (_position < _text.Length && (char.IsLetterOrDigit(_text[_position]) || _text[_position] == '_')) _position++;
            var name = _text.Substring(start, _position - start);
            SkipSpace();
            if (!Take("(")) return new NameRef(name);
            if (name == "sqrt")
            {
                var operand = ParseSum();
                SkipSpace();
                if (!Take(")")) throw new ExpressionException("sqrt( is not closed");
                return new SqrtExpr(operand);
            }
            if (name != "min" && name != "max") throw new ExpressionException($"'{name}' is not a function; the functions are min(a, b), max(a, b) and sqrt(a)");
            var first = ParseSum();
            SkipSpace();
            if (!Take(",")) throw new ExpressionException($"{name} takes two arguments");
            var second = ParseSum();
            SkipSpace();
            if (!Take(")")) throw new ExpressionException($"{name}( is not closed");
            return new CallExpr(name, first, second);
        }
        throw new ExpressionException($"unexpected '{c}' at column {_position + 1}");
    }

    private Expr ParseNumber()
    {
        var start = _position;
        var isFloat = false;
        while (_position < _text.Length && (IsDigit(_text[_position]) || _text[_position] == '_')) _position++;
        if (_position < _text.Length && _text[_position] == '.')
        {
            isFloat = true;
            _position++;
            while (_position < _text.Length && IsDigit(_text[_position])) _position++;
        }
        if (_position < _text.Length && (_text[_position] == 'e' || _text[_position] == 'E'))
        {
            isFloat = true;
            _position++;
            if (_position < _text.Length && (_text[_position] == '+' || _text[_position] == '-')) _position++;
            var digits = _position;
            while (_position < _text.Length && IsDigit(_text[_position])) _position++;
            if (digits == _position) throw new ExpressionException("an exponent needs digits");
        }
        var text = _text.Substring(start, _position - start).Replace("_", "");
        if (isFloat)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || double.IsInfinity(d))
                throw new ExpressionException($"'{text}' is not a finite number");
            return new FloatLiteral(d, text);
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
            throw new ExpressionException($"'{text}' does not fit in a 64-bit integer");
        return new IntLiteral(l);
    }

    // ASCII only: char.IsDigit also accepts other scripts' digits, which no number parser here reads.
    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private void SkipSpace()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position])) _position++;
    }

    private bool Take(string token)
    {
        if (string.CompareOrdinal(_text, _position, token, 0, token.Length) != 0) return false;
        // '/' must not swallow the first half of '//'.
        if (token == "/" && _position + 1 < _text.Length && _text[_position + 1] == '/') return false;
        _position += token.Length;
        return true;
    }
}

/// <summary>A value in the config language: integer, float, bool or string.</summary>
internal readonly record struct Value(ValueKind Kind, long Int, double Float, bool Bool, string? Text)
{
    public static Value Of(long v) => new(ValueKind.Int, v, v, false, null);
    public static Value Of(double v) => new(ValueKind.Float, 0, v, false, null);
    public static Value Of(bool v) => new(ValueKind.Bool, 0, 0, v, null);
    public static Value Of(string v) => new(ValueKind.String, 0, 0, false, v);

    public double AsDouble => Kind == ValueKind.Int ? Int : Float;

    public override string ToString() => Kind switch
    {
        ValueKind.Int => Int.ToString(CultureInfo.InvariantCulture),
        ValueKind.Float => Float.ToString("R", CultureInfo.InvariantCulture),
        ValueKind.Bool => Bool ? "true" : "false",
        _ => Text ?? "",
    };
}

/// <summary>Kinds of <see cref="Value"/>; also the types of config fields.</summary>
internal enum ValueKind
{
    Int,
    Float,
    Bool,
    String,
}

/// <summary>Evaluates expressions against values of names; integer arithmetic stays integral.</summary>
internal static class ExpressionEvaluator
{
    /// <summary>
    /// The value of <paramref name="expr"/>. <paramref name="inexact"/> receives a message for each
    /// '/' of integers that leaves a remainder (the language requires exact division).
    /// </summary>
    public static Value Evaluate(Expr expr, IReadOnlyDictionary<string, Value> names, List<string> inexact)
    {
        switch (expr)
        {
            case IntLiteral i: return Value.Of(i.Value);
            case FloatLiteral f: return Value.Of(f.Value);
            case NameRef n: return names.TryGetValue(n.Name, out var v) ? v : throw new KeyNotFoundException(n.Name);
            case Negate neg:
                var operand = Evaluate(neg.Operand, names, inexact);
                return operand.Kind == ValueKind.Int ? Value.Of(checked(-operand.Int)) : Value.Of(-operand.AsDouble);
            case SqrtExpr sqrt:
                var radicand = Evaluate(sqrt.Operand, names, inexact);
                if (radicand.Kind is not (ValueKind.Int or ValueKind.Float)) throw new ExpressionException("sqrt needs a number");
                if (radicand.AsDouble < 0) throw new ExpressionException("sqrt of a negative number");
                return Value.Of(Math.Sqrt(radicand.AsDouble));
            case CallExpr call:
                var a = Evaluate(call.First, names, inexact);
                var b = Evaluate(call.Second, names, inexact);
                if (a.Kind == ValueKind.Int && b.Kind == ValueKind.Int) return Value.Of(call.Function == "min" ? Math.Min(a.Int, b.Int) : Math.Max(a.Int, b.Int));
                return Value.Of(call.Function == "min" ? Math.Min(a.AsDouble, b.AsDouble) : Math.Max(a.AsDouble, b.AsDouble));
            case BoolLiteral flag: return Value.Of(flag.Value);
            case StringLiteral text: return Value.Of(text.Value);
            case BlockCountExpr blocks: return Value.Of(blocks.Default);
            case CastExpr cast: return Evaluate(cast.Operand, names, inexact);
            case FieldCountExpr field: return Value.Of(field.Default);
            case PickExpr pick:
            {
                var index = names.TryGetValue("index", out var i) ? i.Int : 0;
                return Evaluate(pick.Options[(int)(index % pick.Options.Count)], names, inexact);
            }
            case CompareExpr cmp:
            {
                var l = Evaluate(cmp.Left, names, inexact);
                var r = Evaluate(cmp.Right, names, inexact);
                if (cmp.Operator is "==" or "!=")
                {
                    var same = l.Kind is ValueKind.Int or ValueKind.Float && r.Kind is ValueKind.Int or ValueKind.Float
                        ? l.AsDouble == r.AsDouble
                        : l.Kind == r.Kind && l.Bool == r.Bool && l.Text == r.Text;
                    return Value.Of(cmp.Operator == "==" ? same : !same);
                }
                double lv = l.AsDouble, rv = r.AsDouble;
                return Value.Of(cmp.Operator switch { "<" => lv < rv, "<=" => lv <= rv, ">" => lv > rv, ">=" => lv >= rv, _ => throw new ExpressionException($"unknown comparison '{cmp.Operator}'") });
            }
            case LogicalExpr logical:
            {
                var l = Evaluate(logical.Left, names, inexact).Bool;
                // Short-circuit as C# does: the right side may divide by what the left side checked.
                if (logical.Operator == "||" ? l : !l) return Value.Of(l);
                return Value.Of(Evaluate(logical.Right, names, inexact).Bool);
            }
            case IfExpr choice:
                return Evaluate(choice.Condition, names, inexact).Bool ? Evaluate(choice.Then, names, inexact) : Evaluate(choice.Otherwise, names, inexact);
            case BinaryExpr bin:
                var left = Evaluate(bin.Left, names, inexact);
                var right = Evaluate(bin.Right, names, inexact);
                if (left.Kind is ValueKind.Bool or ValueKind.String || right.Kind is ValueKind.Bool or ValueKind.String)
                    throw new ExpressionException($"'{bin.Operator}' needs numbers");
                if (left.Kind == ValueKind.Int && right.Kind == ValueKind.Int) return Integer(bin, left.Int, right.Int, inexact);
                double x = left.AsDouble, y = right.AsDouble;
                return bin.Operator switch
                {
                    "+" => Value.Of(x + y),
                    "-" => Value.Of(x - y),
                    "*" => Value.Of(x * y),
                    "/" => y == 0 ? throw new ExpressionException("division by zero") : Value.Of(x / y),
                    "//" => y == 0 ? throw new ExpressionException("division by zero") : Value.Of(Math.Floor(x / y)),
                    "%" => y == 0 ? throw new ExpressionException("division by zero") : Value.Of(x - y * Math.Floor(x / y)),
                    _ => throw new ExpressionException($"unknown operator '{bin.Operator}'"),
                };
            default:
                throw new ExpressionException("unknown expression");
        }
    }

    private static Value Integer(BinaryExpr bin, long x, long y, List<string> inexact)
    {
        checked
        {
            switch (bin.Operator)
            {
                case "+": return Value.Of(x + y);
                case "-": return Value.Of(x - y);
                case "*": return Value.Of(x * y);
                case "/":
                    if (y == 0) throw new ExpressionException("division by zero");
                    if (x % y != 0) inexact.Add($"{Render.Expression(bin.Left)} ({x}) is not divisible by {Render.Expression(bin.Right)} ({y})");
                    return Value.Of(x / y);
                case "//":
                    if (y == 0) throw new ExpressionException("division by zero");
                    return Value.Of(FloorDiv(x, y));
                case "%":
                    if (y == 0) throw new ExpressionException("division by zero");
                    return Value.Of(x - y * FloorDiv(x, y));
                case "rem":
                    if (y == 0) throw new ExpressionException("division by zero");
                    return Value.Of(x % y);
                default: throw new ExpressionException($"unknown operator '{bin.Operator}'");
            }
        }
    }

    private static long FloorDiv(long x, long y)
    {
        var q = x / y;
        return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
    }

    /// <summary>Every name the expression uses, in order of appearance.</summary>
    public static IEnumerable<NameRef> Names(Expr expr)
    {
        switch (expr)
        {
            case NameRef n: yield return n; break;
            case Negate neg: foreach (var x in Names(neg.Operand)) yield return x; break;
            case SqrtExpr sqrt: foreach (var x in Names(sqrt.Operand)) yield return x; break;
            case BinaryExpr bin:
                foreach (var x in Names(bin.Left)) yield return x;
                foreach (var x in Names(bin.Right)) yield return x;
                break;
            case CallExpr call:
                foreach (var x in Names(call.First)) yield return x;
                foreach (var x in Names(call.Second)) yield return x;
                break;
            case CompareExpr cmp:
                foreach (var x in Names(cmp.Left)) yield return x;
                foreach (var x in Names(cmp.Right)) yield return x;
                break;
            case LogicalExpr logical:
                foreach (var x in Names(logical.Left)) yield return x;
                foreach (var x in Names(logical.Right)) yield return x;
                break;
            case BlockCountExpr blocks:
                foreach (var x in Names(blocks.Count)) yield return x;
                break;
            case CastExpr cast:
                foreach (var x in Names(cast.Operand)) yield return x;
                break;
            case PickExpr pick:
                yield return new NameRef("index");
                foreach (var option in pick.Options)
                    foreach (var x in Names(option)) yield return x;
                break;
            case IfExpr choice:
                foreach (var x in Names(choice.Condition)) yield return x;
                foreach (var x in Names(choice.Then)) yield return x;
                foreach (var x in Names(choice.Otherwise)) yield return x;
                break;
        }
    }
}

/// <summary>Expressions back to text: YAML spelling for messages, C# for generated code.</summary>
internal static class Render
{
    public static string Expression(Expr expr) => Write(expr, name => name, yaml: true);

    /// <summary>C# text; <paramref name="name"/> maps a YAML name to its C# spelling.</summary>
    public static string CSharp(Expr expr, Func<string, string> name) => Write(expr, name, yaml: false);

    private static string Write(Expr expr, Func<string, string> name, bool yaml) => expr switch
    {
        IntLiteral i => i.Value.ToString(CultureInfo.InvariantCulture),
        FloatLiteral f => yaml || IsCSharpReal(f.Text) ? f.Text : CSharpDouble(f.Value),
        NameRef n => name(n.Name),
        SqrtExpr sqrt => yaml ? $"sqrt({Write(sqrt.Operand, name, yaml)})" : $"Math.Sqrt({Write(sqrt.Operand, name, yaml)})",
        Negate neg => "-" + Wrap(neg.Operand, name, yaml),
        CallExpr call => yaml
            ? $"{call.Function}({Write(call.First, name, yaml)}, {Write(call.Second, name, yaml)})"
            : $"Math.{(call.Function == "min" ? "Min" : "Max")}({Write(call.First, name, yaml)}, {Write(call.Second, name, yaml)})",
        BinaryExpr bin when !yaml && bin.Operator == "//" => $"Floor.Divide({Write(bin.Left, name, yaml)}, {Write(bin.Right, name, yaml)})",
        BinaryExpr bin when !yaml && bin.Operator == "%" => $"Floor.Modulo({Write(bin.Left, name, yaml)}, {Write(bin.Right, name, yaml)})",
        BinaryExpr { Operator: "rem" } bin => $"{Operand(bin, bin.Left, false, name, yaml)} % {Operand(bin, bin.Right, true, name, yaml)}",
        BinaryExpr bin => $"{Operand(bin, bin.Left, false, name, yaml)} {bin.Operator} {Operand(bin, bin.Right, true, name, yaml)}",
        BoolLiteral b => b.Value ? "true" : "false",
        BlockCountExpr blocks => yaml
            ? $"{Write(blocks.Count, name, yaml)} × {blocks.BlockClass}"
            : blocks.VariesWithIndex
                ? $"Enumerable.Range(0, checked((int){Wrap(blocks.Count, name, yaml)})).Sum(index => {blocks.BlockClass}.CountParameters(config, index))"
                : $"{Wrap(blocks.Count, name, yaml)} * {blocks.BlockClass}.CountParameters(config, 0)",
        FieldCountExpr field => yaml ? field.FieldClass : $"{field.FieldClass}.CountParameters(config)",
        CastExpr cast => yaml ? Write(cast.Operand, name, yaml) : cast.Operand is IntLiteral ? Write(cast.Operand, name, yaml) : $"({cast.Type}){Wrap(cast.Operand, name, yaml)}",
        StringLiteral text => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text.Value, quote: true),
        PickExpr pick => yaml
            ? $"{{ cycle: [{string.Join(", ", pick.Options.Select(o => Write(o, name, yaml)))}] }}"
            : $"Cycle.Pick({name("index")}, {string.Join(", ", pick.Options.Select(o => Write(o, name, yaml)))})",
        CompareExpr cmp => $"{Write(cmp.Left, name, yaml)} {cmp.Operator} {Write(cmp.Right, name, yaml)}",
        LogicalExpr logical => $"{Condition(logical.Left, logical, name, yaml)} {logical.Operator} {Condition(logical.Right, logical, name, yaml)}",
        IfExpr choice => $"({Write(choice.Condition, name, yaml)} ? {Write(choice.Then, name, yaml)} : {Write(choice.Otherwise, name, yaml)})",
        _ => "?",
    };

    // '&&' binds tighter than '||': a mixed operand keeps its parentheses.
    private static string Condition(Expr operand, LogicalExpr parent, Func<string, string> name, bool yaml) =>
        operand is LogicalExpr inner && inner.Operator != parent.Operator ? "(" + Write(operand, name, yaml) + ")" : Write(operand, name, yaml);

    // A negated negation keeps its parentheses: "--x" is C#'s decrement operator.
    private static string Wrap(Expr expr, Func<string, string> name, bool yaml) =>
        expr is BinaryExpr or Negate ? "(" + Write(expr, name, yaml) + ")" : Write(expr, name, yaml);

    private static int Precedence(string op) => op is "+" or "-" ? 1 : 2; // * / // % and the checks' remainder

    // Parentheses only where precedence or (for the right operand) associativity needs them, so
    // `4 * d_model + 1` stays as written instead of `(4 * d_model) + 1`.
    private static string Operand(BinaryExpr parent, Expr child, bool right, Func<string, string> name, bool yaml)
    {
        if (child is not BinaryExpr inner || (!yaml && inner.Operator is "//" or "%")) return Write(child, name, yaml);
        var needs = Precedence(inner.Operator) < Precedence(parent.Operator) ||
                    (right && Precedence(inner.Operator) == Precedence(parent.Operator) && !(parent.Operator is "+" or "*" && inner.Operator == parent.Operator));
        return needs ? "(" + Write(child, name, yaml) + ")" : Write(child, name, yaml);
    }

    // Keep the author's spelling (6e-4, 0.02) when C# reads it as the same double literal.
    private static bool IsCSharpReal(string text) =>
        System.Text.RegularExpressions.Regex.IsMatch(text, @"^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$") && (text.Contains(".") || text.Contains("e") || text.Contains("E"));

    public static string CSharpDouble(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains(".") || text.Contains("E") || text.Contains("e") ? text : text + ".0";
    }
}
