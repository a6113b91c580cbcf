using Liquid.Generator.Binding;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Tests;

/// <summary>The expression language (parser, evaluator, rendering back to YAML and C#) and name helpers.</summary>
public class ExpressionTests
{
    private static readonly Dictionary<string, Value> Config = new(StringComparer.Ordinal)
    {
        ["d_model"] = Value.Of(10L),
        ["heads"] = Value.Of(4L),
        ["layers"] = Value.Of(12L),
        ["init_std"] = Value.Of(0.02),
        ["flag"] = Value.Of(true),
    };

    private static Value Evaluate(string text, List<string>? inexact = null) =>
        ExpressionEvaluator.Evaluate(ExpressionParser.Parse(text), Config, inexact ?? []);

    // ---- precedence and associativity -------------------------------------------------------

    [Theory]
    [InlineData("2 + 3 * 4", 14)]
    [InlineData("(2 + 3) * 4", 20)]
    [InlineData("2 - 3 - 4", -5)]
    [InlineData("2 - (3 - 4)", 3)]
    [InlineData("20 / 2 / 5", 2)]
    [InlineData("2 * 3 % 4", 2)]
    [InlineData("7 // 2 * 2", 6)]
    [InlineData("1 + 2 * 3 - 4 // 3", 6)]
    [InlineData("-2 * 3", -6)]
    [InlineData("- -3", 3)]
    [InlineData("2 - -3", 5)]
    [InlineData("+4", 4)]
    [InlineData("min(3, 4) + max(1, 2)", 5)]
    [InlineData("max(min(d_model, 8), heads)", 8)]
    [InlineData("4 * d_model + 1", 41)]
    [InlineData("1_000 + 1", 1001)]
    [InlineData("  2*3  ", 6)]
    public void IntegerArithmeticFollowsPrecedence(string text, long expected)
    {
        var value = Evaluate(text);
        Assert.Equal(ValueKind.Int, value.Kind);
        Assert.Equal(expected, value.Int);
    }

    // ---- floor division and modulo ----------------------------------------------------------

    [Theory]
    [InlineData("7 // 2", 3)]
    [InlineData("-7 // 2", -4)]
    [InlineData("7 // -2", -4)]
    [InlineData("-7 // -2", 3)]
    [InlineData("6 // -3", -2)]
    [InlineData("7 % 3", 1)]
    [InlineData("-7 % 3", 2)]
    [InlineData("7 % -3", -2)]
    [InlineData("-7 % -3", -1)]
    [InlineData("-6 % 3", 0)]
    public void FloorDivisionAndModuloRoundTowardsNegativeInfinity(string text, long expected)
    {
        var value = Evaluate(text);
        Assert.Equal(ValueKind.Int, value.Kind);
        Assert.Equal(expected, value.Int);
    }

    [Theory]
    [InlineData("-7.0 // 2", -4.0)]
    [InlineData("7.5 // 2", 3.0)]
    [InlineData("-7.5 % 2", 0.5)]
    [InlineData("7.5 % -2", -0.5)]
    public void FloatFloorDivisionAndModuloMatchPython(string text, double expected)
    {
        var value = Evaluate(text);
        Assert.Equal(ValueKind.Float, value.Kind);
        Assert.Equal(expected, value.Float);
    }

    // ---- exact division ---------------------------------------------------------------------

    [Fact]
    public void ExactIntegerDivisionIsSilent()
    {
        var inexact = new List<string>();
        var value = Evaluate("d_model * heads / 8", inexact);
        Assert.Equal(5, value.Int);
        Assert.Empty(inexact);
    }

    [Fact]
    public void InexactIntegerDivisionIsReportedWithBothOperands()
    {
        var inexact = new List<string>();
        var value = Evaluate("d_model / heads", inexact);
        Assert.Equal(ValueKind.Int, value.Kind);
        Assert.Equal(2, value.Int);
        Assert.Equal(["d_model (10) is not divisible by heads (4)"], inexact);
    }

    [Fact]
    public void EveryInexactDivisionIsReported()
    {
        var inexact = new List<string>();
        Evaluate("(7 / 2) + (d_model + 1) / 2", inexact);
        Assert.Equal(["7 (7) is not divisible by 2 (2)", "d_model + 1 (11) is not divisible by 2 (2)"], inexact);
    }

    [Theory]
    [InlineData("7.0 / 2", 3.5)]
    [InlineData("7 / 2.0", 3.5)]
    [InlineData("init_std / 2", 0.01)]
    [InlineData("7 // 2 + 0.5", 3.5)]
    public void FloatDivisionIsNeverInexact(string text, double expected)
    {
        var inexact = new List<string>();
        var value = Evaluate(text, inexact);
        Assert.Equal(ValueKind.Float, value.Kind);
        Assert.Equal(expected, value.Float, 12);
        Assert.Empty(inexact);
    }

    // ---- functions --------------------------------------------------------------------------

    [Fact]
    public void MinAndMaxKeepIntegersIntegral()
    {
        Assert.Equal(Value.Of(4L), Evaluate("min(d_model, heads)"));
        Assert.Equal(Value.Of(10L), Evaluate("max(d_model, heads)"));
        Assert.Equal(Value.Of(-3L), Evaluate("min(-3, 0)"));
    }

    [Fact]
    public void MinAndMaxOfMixedTypesAreFloats()
    {
        Assert.Equal(Value.Of(2.5), Evaluate("min(d_model, 2.5)"));
        Assert.Equal(Value.Of(10.0), Evaluate("max(d_model, 2.5)"));
    }

    [Fact]
    public void SqrtIsAlwaysAFloat()
    {
        Assert.Equal(Value.Of(4.0), Evaluate("sqrt(16)"));
        Assert.Equal(0.02 / Math.Sqrt(24), Evaluate("init_std / sqrt(2 * layers)").Float, 15);
    }

    [Fact]
    public void FloatLiteralsKeepTheirSpelling()
    {
        var literal = Assert.IsType<FloatLiteral>(ExpressionParser.Parse("6e-4"));
        Assert.Equal(6e-4, literal.Value);
        Assert.Equal("6e-4", literal.Text);
    }

    // ---- errors -----------------------------------------------------------------------------

    [Theory]
    [InlineData("", "it ends where a value was expected")]
    [InlineData("4 *", "it ends where a value was expected")]
    [InlineData("(1 + 2", "a '(' is not closed")]
    [InlineData("1 + 2)", "unexpected ')' at column 6")]
    [InlineData("1 2", "unexpected '2' at column 3")]
    [InlineData("2 ** 3", "unexpected '*' at column 4")]
    [InlineData("foo(1)", "'foo' is not a function; the functions are min(a, b), max(a, b) and sqrt(a)")]
    [InlineData("min(1)", "min takes two arguments")]
    [InlineData("max(1, 2", "max( is not closed")]
    [InlineData("max(1, 2, 3)", "max( is not closed")]
    [InlineData("sqrt(4", "sqrt( is not closed")]
    [InlineData("1e", "an exponent needs digits")]
    [InlineData("1e+", "an exponent needs digits")]
    [InlineData("99999999999999999999", "'99999999999999999999' does not fit in a 64-bit integer")]
    [InlineData("1e999", "'1e999' is not a finite number")]
    [InlineData("٣", "unexpected '٣' at column 1")]
    [InlineData("d_model @ 2", "unexpected '@' at column 9")]
    public void SyntaxErrorsSayWhatIsWrong(string text, string message)
    {
        var error = Assert.Throws<ExpressionException>(() => ExpressionParser.Parse(text));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void DeepNestingIsAnErrorNotAStackOverflow()
    {
        var error = Assert.Throws<ExpressionException>(() => ExpressionParser.Parse(new string('(', 400) + "1" + new string(')', 400)));
        Assert.Equal($"it nests deeper than {ExpressionParser.MaxNesting} levels", error.Message);
        Assert.Throws<ExpressionException>(() => ExpressionParser.Parse(string.Concat(Enumerable.Repeat("-", 400)) + "1"));
        Assert.Throws<ExpressionException>(() => ExpressionParser.Parse(string.Concat(Enumerable.Repeat("min(1, ", 100)) + "1" + new string(')', 100)));
        var nested = new string('(', ExpressionParser.MaxNesting - 1) + "1" + new string(')', ExpressionParser.MaxNesting - 1);
        Assert.Equal(Value.Of(1L), Evaluate(nested));
    }

    [Fact]
    public void OverlongExpressionsAreAnError()
    {
        var text = string.Concat(Enumerable.Repeat("1 + ", 1000)) + "1";
        Assert.Contains("longer than", Assert.Throws<ExpressionException>(() => ExpressionParser.Parse(text)).Message);
    }

    [Theory]
    [InlineData("1 / 0", "division by zero")]
    [InlineData("1 // 0", "division by zero")]
    [InlineData("1 % 0", "division by zero")]
    [InlineData("1.0 / 0", "division by zero")]
    [InlineData("1.5 // 0", "division by zero")]
    [InlineData("d_model % (heads - 4)", "division by zero")]
    [InlineData("sqrt(-1)", "sqrt of a negative number")]
    [InlineData("flag + 1", "'+' needs numbers")]
    [InlineData("sqrt(flag)", "sqrt needs a number")]
    public void EvaluationErrorsSayWhatIsWrong(string text, string message)
    {
        var error = Assert.Throws<ExpressionException>(() => Evaluate(text));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("9223372036854775807 + 1")]
    [InlineData("-9223372036854775807 - 2")]
    [InlineData("9223372036854775807 * 2")]
    [InlineData("-(-9223372036854775807 - 1)")]
    public void IntegerOverflowIsDetected(string text) =>
        Assert.Throws<OverflowException>(() => Evaluate(text));

    // ---- names and rendering ----------------------------------------------------------------

    [Fact]
    public void NamesAreListedInOrderOfAppearance() =>
        Assert.Equal(["a", "b", "c", "a", "d"], ExpressionEvaluator.Names(ExpressionParser.Parse("a * (b + min(c, a)) - sqrt(-d)")).Select(n => n.Name));

    [Theory]
    [InlineData("4 * d_model + 1")]
    [InlineData("(a + b) * c")]
    [InlineData("a - (b - c)")]
    [InlineData("a - b - c")]
    [InlineData("a + b + c")]
    [InlineData("a / (b * c)")]
    [InlineData("a * b / c")]
    [InlineData("-(a + b)")]
    [InlineData("-(-a)")]
    [InlineData("a - -b")]
    [InlineData("min(a, b) + max(1, 2.5)")]
    [InlineData("init_std / sqrt(2 * layers)")]
    [InlineData("8 * d_model // 3")]
    [InlineData("-d_model % 7")]
    [InlineData("6e-4")]
    public void RenderingGivesBackTheCanonicalText(string text) =>
        Assert.Equal(text, Render.Expression(ExpressionParser.Parse(text)));

    [Theory]
    [InlineData("((a)) + (b)", "a + b")]
    [InlineData("(a * b) + c", "a * b + c")]
    [InlineData("a + (b * c)", "a + b * c")]
    [InlineData("2*d_model", "2 * d_model")]
    [InlineData("+a", "a")]
    public void RenderingDropsRedundantParentheses(string text, string expected) =>
        Assert.Equal(expected, Render.Expression(ExpressionParser.Parse(text)));

    [Theory]
    [InlineData("4 * d_model + 1", "4 * config.DModel + 1")]
    [InlineData("8 * d_model // 3", "Floor.Divide(8 * config.DModel, 3)")]
    [InlineData("(a + b) % c", "Floor.Modulo(config.A + config.B, config.C)")]
    [InlineData("a - b // c", "config.A - Floor.Divide(config.B, config.C)")]
    [InlineData("min(a, 2)", "Math.Min(config.A, 2)")]
    [InlineData("init_std / sqrt(2 * layers)", "config.InitStd / Math.Sqrt(2 * config.Layers)")]
    [InlineData("6e-4", "6e-4")]
    [InlineData("1E5", "1E5")]
    [InlineData("1.", "1.0")]
    [InlineData(".5", "0.5")]
    [InlineData("-(-a)", "-(-config.A)")]
    [InlineData("- -1", "-(-1)")]
    public void RenderingAsCSharp(string text, string expected) =>
        Assert.Equal(expected, Render.CSharp(ExpressionParser.Parse(text), name => "config." + Names.Pascal(name)));

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-7, "1E-07")]
    [InlineData(-3.0, "-3.0")]
    [InlineData(12345678912345.0, "12345678912345.0")]
    public void DoublesRenderAsCSharpRealLiterals(double value, string expected) =>
        Assert.Equal(expected, Render.CSharpDouble(value));

    [Theory]
    [InlineData("d_model", "DModel")]
    [InlineData("ln_f", "LnF")]
    [InlineData("tiny-gpt", "TinyGpt")]
    [InlineData("gpt2", "Gpt2")]
    [InlineData("kv_heads", "KvHeads")]
    [InlineData("h", "H")]
    [InlineData("__x__", "X")]
    [InlineData("a.b c", "ABC")]
    [InlineData("1abc", "_1abc")]
    [InlineData("", "_")]
    public void PascalCase(string name, string expected) => Assert.Equal(expected, Names.Pascal(name));

    [Theory]
    [InlineData("ln_f", "_lnF")]
    [InlineData("wte", "_wte")]
    [InlineData("self_attn", "_selfAttn")]
    public void FieldNames(string name, string expected) => Assert.Equal(expected, Names.Field(name));

    [Theory]
    [InlineData("hiden", ", did you mean 'hidden'?")]
    [InlineData("D_Model", ", did you mean 'd_model'?")]
    [InlineData("haeds", ", did you mean 'heads'?")]
    [InlineData("vocab_sise", ", did you mean 'vocab_size'?")]
    [InlineData("xyz", "")]
    [InlineData("completely_different", "")]
    [InlineData("", "")]
    public void SuggestionsNameTheClosestCandidate(string word, string expected) =>
        Assert.Equal(expected, Names.Suggest(word, ["hidden", "heads", "d_model", "vocab_size", "layers"]));

    [Fact]
    public void SuggestionTiesGoToTheOrdinallyFirstCandidate() =>
        Assert.Equal(", did you mean 'aa'?", Names.Suggest("ab", ["ac", "aa"]));

    [Fact]
    public void SuggestionsOfNothingAreEmpty() => Assert.Equal("", Names.Suggest("hidden", []));

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("Heads", "heads", 0)]
    [InlineData("abc", "abc", 0)]
    public void LevenshteinDistance(string a, string b, int expected) => Assert.Equal(expected, Names.Distance(a, b));

    [Fact]
    public void VeryLongWordsAreNotCompared() => Assert.Equal(int.MaxValue, Names.Distance(new string('a', 65), "a"));

    [Theory]
    [InlineData("d_model", true)]
    [InlineData("Gpt2", true)]
    [InlineData("_x", false)]
    [InlineData("2x", false)]
    [InlineData("a-b", false)]
    [InlineData("a.b", false)]
    [InlineData("é", false)]
    [InlineData("", false)]
    public void Identifiers(string name, bool expected) => Assert.Equal(expected, Names.IsIdentifier(name));

    [Theory]
    [InlineData("MyModels.TokenMixer", true)]
    [InlineData("Mixer", true)]
    [InlineData("A..B", false)]
    [InlineData("A.class", false)]
    [InlineData("global::A", false)]
    [InlineData("A B", false)]
    [InlineData("List<int>", false)]
    public void QualifiedTypeNames(string name, bool expected) => Assert.Equal(expected, Names.IsQualifiedName(name));
}
