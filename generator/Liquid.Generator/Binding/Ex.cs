using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding;

/// <summary>
/// Builds expressions for parameter counts and checks, folding what is known while binding
/// (<c>1 * x</c> is <c>x</c>, <c>true ? a : b</c> is <c>a</c>) so emitted formulas read as written.
/// </summary>
internal static class Ex
{
    public static Expr Int(long value) => new IntLiteral(value);

    public static Expr Name(string name) => new NameRef(name);

    public static Expr Mul(Expr a, Expr b) => (a, b) switch
    {
        (IntLiteral { Value: 1 }, _) => b,
        (_, IntLiteral { Value: 1 }) => a,
        (IntLiteral { Value: 0 }, _) or (_, IntLiteral { Value: 0 }) => Int(0),
        (IntLiteral x, IntLiteral y) when Fits(x.Value, y.Value, multiply: true) => Int(x.Value * y.Value),
        _ => new BinaryExpr("*", a, b),
    };

    public static Expr Mul(params Expr[] factors) => factors.Aggregate(Int(1), Mul);

    public static Expr Add(Expr a, Expr b) => (a, b) switch
    {
        (IntLiteral { Value: 0 }, _) => b,
        _ when a.Equals(b) && a is not IntLiteral => Mul(Int(2), a),
        (_, IntLiteral { Value: 0 }) => a,
        (IntLiteral x, IntLiteral y) when Fits(x.Value, y.Value, multiply: false) => Int(x.Value + y.Value),
        _ => new BinaryExpr("+", a, b),
    };

    public static Expr Sum(IEnumerable<Expr> terms) => terms.Aggregate(Int(0), Add);

    public static Expr Sum(params Expr[] terms) => Sum((IEnumerable<Expr>)terms);

    /// <summary>C#'s remainder, for checks over values already known to be positive.</summary>
    public static Expr Remainder(Expr a, Expr b) => new BinaryExpr("rem", a, b);

    public static Expr Div(Expr a, Expr b) => b is IntLiteral { Value: 1 } ? a : new BinaryExpr("/", a, b);

    /// <summary><paramref name="amount"/> when <paramref name="condition"/> holds, else 0 (a bias's parameters).</summary>
    public static Expr When(Expr condition, Expr amount) => If(condition, amount, Int(0));

    public static Expr If(Expr condition, Expr then, Expr otherwise) => condition switch
    {
        BoolLiteral { Value: true } => then,
        BoolLiteral { Value: false } => otherwise,
        _ => new IfExpr(condition, then, otherwise),
    };

    public static Expr Less(Expr a, Expr b) => new CompareExpr("<", a, b);

    public static Expr NotEqual(Expr a, Expr b) => new CompareExpr("!=", a, b);

    public static Expr Or(Expr a, Expr b) => new LogicalExpr("||", a, b);

    public static Expr And(Expr a, Expr b) => new LogicalExpr("&&", a, b);

    // Literals fold only when the result fits: an overflow stays an expression, which the binder's
    // checked evaluation then reports where it belongs.
    private static bool Fits(long x, long y, bool multiply)
    {
        try
        {
            _ = multiply ? checked(x * y) : checked(x + y);
            return true;
        }
        catch (System.OverflowException)
        {
            return false;
        }
    }

    /// <summary>True when the expression reads no name (its value is fixed at build time).</summary>
    public static bool IsConstant(Expr expr) => !ExpressionEvaluator.Names(expr).Any();
}
