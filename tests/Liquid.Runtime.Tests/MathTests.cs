using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests;

/// <summary>
/// Pointwise arithmetic, dtype promotion, activations, softmax, comparisons and predicates against values
/// written by hand or computed here with <see cref="Math"/> from their definitions.
/// </summary>
public class MathTests
{
    private static Tensor F32(params float[] values) => Tensor.From(values);
    private static Tensor F64(params double[] values) => Tensor.From(values);
    private static Tensor I64(params long[] values) => Tensor.From(values);
    private static Tensor B(params bool[] values) => Tensor.From(values);

    // Float64 inputs spanning the regions the activations treat differently.
    private static readonly double[] Inputs = [-30, -8, -3.5, -1, -0.25, -1e-9, 0, 1e-9, 0.3, 1, 2.5, 7, 19.5, 25];

    /// <summary>
    /// erf by its everywhere-convergent series erf(x) = 2/√π · e^(−x²) · Σ (2x²)ⁿ x / (1·3·…·(2n+1)), whose
    /// terms are all of x's sign, so nothing cancels: about 1e-15 relative for |x| ≤ 6. (.NET has no Math.Erf.)
    /// </summary>
    internal static double Erf(double x)
    {
        if (x == 0) return x;
        var term = x;
        var sum = x;
        var twoXSquared = 2 * x * x;
        for (var n = 1; n < 1000; n++)
        {
            term *= twoXSquared / (2 * n + 1);
            sum += term;
            if (Math.Abs(term) < 1e-17 * Math.Abs(sum)) break;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    private static double[] Map(Func<double, double> f, double[] xs) => xs.Select(f).ToArray();

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void ErfHelperMatchesTabulatedValues()
    {
        // DLMF / Abramowitz & Stegun values to 19 digits; the helper is within a few ulps of each.
        double[] xs = [0.1, 0.5, 1, 2, 3, -1, 4.5];
        double[] tabulated = [0.1124629160182848922, 0.5204998778130465377, 0.8427007929497148693, 0.9953222650189527342,
            0.9999779095030014146, -0.8427007929497148693, 0.9999999998033839558];
        TensorAssert.Close(tabulated, xs.Select(Erf).ToArray(), rtol: 5e-16, atol: 0);
    }

    [Fact]
    public void OperatorsBetweenTensors()
    {
        using var scope = TensorScope.Enter();
        var a = F32(1, 2, 3);
        var b = F32(4, 5, 6);
        Assert.Equal(new float[] { 5, 7, 9 }, (a + b).ToArray<float>());
        Assert.Equal(new float[] { -3, -3, -3 }, (a - b).ToArray<float>());
        Assert.Equal(new float[] { 4, 10, 18 }, (a * b).ToArray<float>());
        Assert.Equal(new float[] { 4, 2.5f, 2 }, (b / a).ToArray<float>());
        Assert.Equal(new float[] { 0.25f, 0.4f, 0.5f }, (a / b).ToArray<float>());
        Assert.Equal(new float[] { -1, -2, -3 }, (-a).ToArray<float>());
        Assert.Equal(new float[] { 0, 1, 0 }, (b % a).ToArray<float>());

        var column = Tensor.From(new float[] { 10, 20 }, 2, 1);
        var sum = column + a; // [2,1] + [3] broadcasts to [2,3]
        Assert.Equal(new long[] { 2, 3 }, sum.Shape);
        Assert.Equal(new float[] { 11, 12, 13, 21, 22, 23 }, sum.ToArray<float>());
        Assert.Equal(new float[] { 10, 20, 30, 20, 40, 60 }, (column * a).ToArray<float>());
    }

    [Fact]
    public void OperatorsWithScalarsOnEitherSide()
    {
        using var scope = TensorScope.Enter();
        var a = F32(1, 2, 4);
        Assert.Equal(new float[] { 3, 4, 6 }, (a + 2).ToArray<float>());
        Assert.Equal(new float[] { 3, 4, 6 }, (2 + a).ToArray<float>());
        Assert.Equal(new float[] { 0, 1, 3 }, (a - 1).ToArray<float>());
        Assert.Equal(new float[] { 9, 8, 6 }, (10 - a).ToArray<float>());
        Assert.Equal(new float[] { 3, 6, 12 }, (a * 3).ToArray<float>());
        Assert.Equal(new float[] { 1.5f, 3, 6 }, (1.5 * a).ToArray<float>());
        Assert.Equal(new float[] { 0.5f, 1, 2 }, (a / 2).ToArray<float>());
        Assert.Equal(new float[] { 8, 4, 2 }, (8 / a).ToArray<float>());
        Assert.Equal(new float[] { 1, 0, 0 }, (a % 2).ToArray<float>());
        Assert.Equal(new float[] { 1, 2, 4 }, a.ToArray<float>()); // none of them wrote into a

        // scalar / tensor in float64 against C#'s division (PyTorch computes it as reciprocal · scalar: ≤ 1 ulp apart).
        double[] divisors = [10, 3, 7, 49, -0.3];
        TensorAssert.Close(divisors.Select(d => 3.0 / d).ToArray(), 3.0 / F64(divisors), rtol: 3e-16, atol: 0);
    }

    [Fact]
    public void IntegerTensorsStayIntegralWithIntegerScalarsAndBecomeFloat32WithFloatScalars()
    {
        using var scope = TensorScope.Enter();
        var ints = I64(1, 2, 3);

        var plusInt = ints + 2;
        Assert.Equal(DType.Int64, plusInt.DType);
        Assert.Equal(new long[] { 3, 4, 5 }, plusInt.ToArray<long>());

        var plusFloat = ints + 2.0;
        Assert.Equal(DType.Float32, plusFloat.DType);
        Assert.Equal(new float[] { 3, 4, 5 }, plusFloat.ToArray<float>());

        var timesInt = ints * 3L;
        Assert.Equal(DType.Int64, timesInt.DType);
        Assert.Equal(new long[] { 3, 6, 9 }, timesInt.ToArray<long>());

        var timesFraction = ints * 2.5;
        Assert.Equal(DType.Float32, timesFraction.DType);
        Assert.Equal(new float[] { 2.5f, 5, 7.5f }, timesFraction.ToArray<float>());

        var divided = ints / 2; // true division even for integers
        Assert.Equal(DType.Float32, divided.DType);
        Assert.Equal(new float[] { 0.5f, 1, 1.5f }, divided.ToArray<float>());

        var int32 = Tensor.From(new[] { 1, 2, 3 }) + 2L; // a scalar never widens within its category
        Assert.Equal(DType.Int32, int32.DType);
        Assert.Equal(new[] { 3, 4, 5 }, int32.ToArray<int>());

        var fromBool = B(true, false) + 1;
        Assert.Equal(DType.Int64, fromBool.DType);
        Assert.Equal(new long[] { 2, 1 }, fromBool.ToArray<long>());

        var float32PlusDouble = F32(1) + 0.1; // the tensor's float32 wins over a double scalar
        Assert.Equal(DType.Float32, float32PlusDouble.DType);
        Assert.Equal(new[] { 1.1f }, float32PlusDouble.ToArray<float>());

        var promoted = F32(1, 2) + F64(0.5, 0.25); // between tensors the wider float wins
        Assert.Equal(DType.Float64, promoted.DType);
        Assert.Equal(new[] { 1.5, 2.25 }, promoted.ToArray<double>());

        var mixed = ints + F32(0.5f, 0.5f, 0.5f);
        Assert.Equal(DType.Float32, mixed.DType);
        Assert.Equal(new float[] { 1.5f, 2.5f, 3.5f }, mixed.ToArray<float>());
    }

    [Fact]
    public void RemainderAndFloorDivideRoundTowardsMinusInfinity()
    {
        using var scope = TensorScope.Enter();
        Assert.Equal(new long[] { 0, 2, 1, 2 }, (I64(-3, -1, 4, 5) % 3).ToArray<long>());
        Assert.Equal(new[] { 0.5, 1.5 }, (F64(-3.5, 3.5) % 2.0).ToArray<double>());
        Assert.Equal(new[] { -1.5, -0.5 }, (F64(-3.5, 3.5) % -2.0).ToArray<double>());
        Assert.Equal(new long[] { 1, -1 }, (I64(7, 7) % I64(3, -4)).ToArray<long>());

        var quotient = I64(-7, 7, -8).FloorDivide(2);
        Assert.Equal(DType.Int64, quotient.DType);
        Assert.Equal(new long[] { -4, 3, -4 }, quotient.ToArray<long>());
        Assert.Equal(new[] { -4.0, 3.0 }, F64(-7.5, 7.5).FloorDivide(F64(2, 2)).ToArray<double>());
    }

    [Fact]
    public void PowersWithTensorAndScalarExponents()
    {
        using var scope = TensorScope.Enter();
        var squares = I64(1, 2, 3).Pow(2);
        Assert.Equal(DType.Int64, squares.DType);
        Assert.Equal(new long[] { 1, 4, 9 }, squares.ToArray<long>());
        Assert.Equal(new[] { 2.0, 3.0 }, F64(4, 9).Pow(0.5).ToArray<double>());
        Assert.Equal(new[] { 0.5, 0.25 }, F64(2, 4).Pow(-1).ToArray<double>());
        Assert.Equal(new float[] { 8, 9 }, F32(2, 3).Pow(F32(3, 2)).ToArray<float>());
        Assert.Equal(new float[] { 1, 2, 8 }, F32(0, 1, 3).RPow(2).ToArray<float>());
        double[] xs = [0.3, 1.7, 2.2];
        TensorAssert.Close(xs.Select(x => Math.Pow(x, 1.3)).ToArray(), F64(xs).Pow(1.3), rtol: 1e-14, atol: 0);
    }

    [Fact]
    public void ElementaryFunctionsMatchMath()
    {
        using var scope = TensorScope.Enter();
        double[] positive = [1e-300, 1e-5, 0.3, 1, 2, 10, 1e5, 1e300];
        double[] signed = [-700, -3.5, -1, -1e-8, 0, 1e-8, 0.5, 2, 40, 700];
        var p = F64(positive);
        var s = F64(signed);
        const double rtol = 1e-14;
        TensorAssert.Close(Map(Math.Exp, signed), s.Exp(), rtol: rtol, atol: 0);
        TensorAssert.Close(Map(Math.Log, positive), p.Log(), rtol: rtol, atol: 0);
        TensorAssert.Close(Map(Math.Sqrt, positive), p.Sqrt(), rtol: rtol, atol: 0);
        TensorAssert.Close(Map(x => 1 / Math.Sqrt(x), positive), p.Rsqrt(), rtol: rtol, atol: 0);
        TensorAssert.Close(Map(Math.Abs, signed), s.Abs(), rtol: 0, atol: 0);
        TensorAssert.Close(Map(x => -x, signed), s.Neg(), rtol: 0, atol: 0);
        TensorAssert.Close(Map(x => (double)Math.Sign(x), signed), s.Sign(), rtol: 0, atol: 0);
        TensorAssert.Close(Map(x => x * x, signed), s.Square(), rtol: rtol, atol: 0);
        TensorAssert.Close(Map(x => 1 / x, positive), p.Reciprocal(), rtol: rtol, atol: 0);
        TensorAssert.Close(Map(Math.Sin, signed), s.Sin(), rtol: rtol, atol: 1e-16);
        TensorAssert.Close(Map(Math.Cos, signed), s.Cos(), rtol: rtol, atol: 1e-16);
        TensorAssert.Close(Map(Math.Tanh, signed), s.Tanh(), rtol: rtol, atol: 0);
        TensorAssert.Close(Map(Erf, [-5, -2, -0.7, -1e-9, 0, 0.1, 0.5, 1, 2.5, 4, 6]), F64(-5, -2, -0.7, -1e-9, 0, 0.1, 0.5, 1, 2.5, 4, 6).Erf(), rtol: 1e-14, atol: 0);

        // Edges: log 0 = −∞, log and sqrt of negatives are NaN, 1/0 = ∞.
        var edges = F64(0, -1);
        Assert.Equal(new[] { double.NegativeInfinity, double.NaN }, edges.Log().ToArray<double>());
        Assert.True(double.IsNaN(edges.Sqrt().ToArray<double>()[1]));
        Assert.Equal(double.PositiveInfinity, edges.Reciprocal().ToArray<double>()[0]);

        // float32 follows the same functions to float precision.
        TensorAssert.Close(Map(Math.Exp, [-2, 0.5, 3]), F32(-2, 0.5f, 3).Exp(), rtol: 2e-7, atol: 0);
    }

    [Fact]
    public void Expm1AndLog1pStayAccurateNearZero()
    {
        using var scope = TensorScope.Enter();
        // Taylor series to well past double precision for |x| ≤ 1e-3; the naive forms lose digits here.
        static double Expm1(double x) => x + x * x / 2 + x * x * x / 6 + x * x * x * x / 24 + x * x * x * x * x / 120;
        static double Log1p(double x) => x - x * x / 2 + x * x * x / 3 - x * x * x * x / 4 + x * x * x * x * x / 5;
        double[] small = [-1e-3, -1e-7, 1e-12, 3e-10, 1e-5, 5e-4];
        TensorAssert.Close(Map(Expm1, small), F64(small).Expm1(), rtol: 1e-15, atol: 0);
        TensorAssert.Close(Map(Log1p, small), F64(small).Log1p(), rtol: 1e-15, atol: 0);
        TensorAssert.Close(new[] { Math.E - 1, Math.Exp(2) - 1 }, F64(1, 2).Expm1(), rtol: 1e-15, atol: 0);
        TensorAssert.Close(new[] { Math.Log(2), Math.Log(3) }, F64(1, 2).Log1p(), rtol: 1e-15, atol: 0);
    }

    [Fact]
    public void RoundingFunctions()
    {
        using var scope = TensorScope.Enter();
        var x = F64(0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6);
        Assert.Equal(new[] { 0.0, 2, 2, -0.0, -2, 2, -3 }, x.Round().ToArray<double>()); // half to even
        Assert.Equal(new[] { 0.0, 1, 2, -1, -2, 2, -3 }, x.Floor().ToArray<double>());
        Assert.Equal(new[] { 1.0, 2, 3, -0.0, -1, 3, -2 }, x.Ceil().ToArray<double>());
    }

    [Fact]
    public void ClampWithOneOrBothBounds()
    {
        using var scope = TensorScope.Enter();
        var x = F32(-2, -0.5f, 0.5f, 2);
        Assert.Equal(new float[] { -1, -0.5f, 0.5f, 1 }, x.Clamp(-1, 1).ToArray<float>());
        Assert.Equal(new float[] { 0, 0, 0.5f, 2 }, x.Clamp(min: 0).ToArray<float>());
        Assert.Equal(new float[] { -2, -0.5f, 0, 0 }, x.Clamp(max: 0).ToArray<float>());
        Assert.True(float.IsNaN(F32(float.NaN).Clamp(0, 1).ToArray<float>()[0])); // NaN passes through
        Assert.Equal(new long[] { 0, 3, 4 }, I64(-5, 3, 9).Clamp(0, 4).ToArray<long>());
        Assert.Equal(DType.Int64, I64(-5, 3, 9).Clamp(0, 4).DType); // integer bounds keep the integer dtype, as torch.clamp
    }

    [Fact]
    public void SigmoidTanhReluAndSiluMatchTheirDefinitions()
    {
        using var scope = TensorScope.Enter();
        var x = F64(Inputs);
        TensorAssert.Close(Map(Sigmoid, Inputs), x.Sigmoid(), rtol: 1e-14, atol: 0);
        TensorAssert.Close(Map(Math.Tanh, Inputs), x.Tanh(), rtol: 1e-14, atol: 0);
        TensorAssert.Close(Map(v => Math.Max(v, 0), Inputs), x.Relu(), rtol: 0, atol: 0);
        TensorAssert.Close(Map(v => v * Sigmoid(v), Inputs), x.Silu(), rtol: 1e-14, atol: 0);
        TensorAssert.Close(Map(v => v >= 0 ? v : 0.1 * v, Inputs), x.LeakyRelu(0.1), rtol: 1e-15, atol: 0);
        TensorAssert.Close(Map(v => v >= 0 ? v : 0.01 * v, Inputs), x.LeakyRelu(), rtol: 1e-15, atol: 0);
        TensorAssert.Close(Map(Sigmoid, Inputs), Tensor.From(Inputs.Select(v => (float)v).ToArray()).Sigmoid(), rtol: 1e-6, atol: 1e-7);

        var ints = I64(-2, 0, 3).Relu();
        Assert.Equal(DType.Int64, ints.DType);
        Assert.Equal(new long[] { 0, 0, 3 }, ints.ToArray<long>());
    }

    [Fact]
    public void SoftplusIsLinearAboveTheThreshold()
    {
        using var scope = TensorScope.Enter();
        var x = F64(Inputs);
        static Func<double, double> Softplus(double beta, double threshold) =>
            v => beta * v > threshold ? v : Math.Log(1 + Math.Exp(beta * v)) / beta;
        // Math.Log(1 + e) loses digits only where e^(βx) is below 1e-16 relative, i.e. x ≲ −37/β: covered by atol.
        TensorAssert.Close(Map(Softplus(1, 20), Inputs), x.Softplus(), rtol: 1e-14, atol: 1e-15);
        TensorAssert.Close(Map(Softplus(2, 5), Inputs), x.Softplus(beta: 2, threshold: 5), rtol: 1e-14, atol: 1e-15);
        // Just above the threshold the result is x itself, not log(1 + e^(βx))/β.
        Assert.Equal(new[] { 3.0 }, F64(3).Softplus(beta: 2, threshold: 5).ToArray<double>());
        Assert.Equal(new[] { 25.0 }, F64(25).Softplus().ToArray<double>());
    }

    [Fact]
    public void GeluExactUsesTheNormalCdf()
    {
        using var scope = TensorScope.Enter();
        double[] xs = [-4, -2.5, -1, -0.3, 0, 1e-6, 0.5, 1, 1.7, 3, 4];
        var expected = Map(v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2))), xs);
        // Below −3 the value is a small difference 1 + erf(…), so compare with an absolute floor.
        TensorAssert.Close(expected, F64(xs).Gelu(), rtol: 1e-13, atol: 1e-15);
        TensorAssert.Close(expected, F32(xs.Select(v => (float)v).ToArray()).Gelu(), rtol: 1e-6, atol: 1e-7);
        // Known values: gelu(1) = Φ(1) = 0.841344746068543, gelu(−1) = −(1 − Φ(1)).
        TensorAssert.Close(new[] { 0.8413447460685429, -0.15865525393145707 }, F64(1, -1).Gelu(), rtol: 1e-14, atol: 0);
    }

    [Fact]
    public void GeluTanhApproximationUsesGpt2sFormula()
    {
        using var scope = TensorScope.Enter();
        double[] xs = [-6, -2.5, -1, -0.3, 0, 0.5, 1, 1.7, 3, 6];
        var expected = Map(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), xs);
        TensorAssert.Close(expected, F64(xs).Gelu(tanhApproximation: true), rtol: 1e-13, atol: 1e-15);
        // It differs from the exact form by up to ~5e-4, so the two modes really are different.
        var exact = F64(xs).Gelu().ToArray<double>();
        Assert.Contains(exact.Zip(expected), pair => Math.Abs(pair.First - pair.Second) > 1e-5);
    }

    private static double[] SoftmaxRows(double[] values, int rows, int columns, bool log)
    {
        var result = new double[values.Length];
        for (var r = 0; r < rows; r++)
        {
            var row = values.Skip(r * columns).Take(columns).ToArray();
            var max = row.Max();
            var sum = row.Sum(v => Math.Exp(v - max));
            for (var c = 0; c < columns; c++)
                result[r * columns + c] = log ? row[c] - max - Math.Log(sum) : Math.Exp(row[c] - max) / sum;
        }
        return result;
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxMatchTheirDefinitions()
    {
        using var scope = TensorScope.Enter();
        double[] values = [1, 2, 3, -1, 0, 1000, 1000, 1001, 1002, -5, 0.5, 0.25];
        var x = Tensor.From(values, 3, 4);
        var softmax = x.Softmax(-1);
        TensorAssert.Close(SoftmaxRows(values, 3, 4, log: false), softmax, [3, 4], rtol: 1e-14, atol: 1e-300);
        TensorAssert.Close(SoftmaxRows(values, 3, 4, log: true), x.LogSoftmax(1), [3, 4], rtol: 1e-14, atol: 1e-13);
        TensorAssert.Close([1, 1, 1], softmax.Sum(1), rtol: 1e-15, atol: 0);

        // Along dim 0: the softmax of the transpose along its rows, transposed back.
        var transposed = new double[12];
        for (var r = 0; r < 3; r++)
            for (var c = 0; c < 4; c++)
                transposed[c * 3 + r] = values[r * 4 + c];
        var byColumns = SoftmaxRows(transposed, 4, 3, log: false);
        var expected = new double[12];
        for (var r = 0; r < 3; r++)
            for (var c = 0; c < 4; c++)
                expected[r * 4 + c] = byColumns[c * 3 + r];
        TensorAssert.Close(expected, x.Softmax(0), rtol: 1e-14, atol: 1e-300);

        // A masked (−∞) entry gets exactly zero weight.
        var masked = F64(0, double.NegativeInfinity, Math.Log(3)).Softmax(0);
        Assert.Equal(new[] { 0.25, 0, 0.75 }, masked.ToArray<double>().Select(v => Math.Round(v, 15)));
        Assert.Equal(0.0, masked.ToArray<double>()[1]);
    }

    [Fact]
    public void ComparisonsGiveBoolTensors()
    {
        using var scope = TensorScope.Enter();
        var a = F32(1, 2, 3, float.NaN);
        var b = F32(3, 2, 1, float.NaN);
        var eq = a.Eq(b);
        Assert.Equal(DType.Bool, eq.DType);
        Assert.Equal(new[] { false, true, false, false }, eq.ToArray<bool>()); // NaN ≠ NaN
        Assert.Equal(new[] { true, false, true, true }, a.Ne(b).ToArray<bool>());
        Assert.Equal(new[] { true, false, false, false }, (a < b).ToArray<bool>());
        Assert.Equal(new[] { true, true, false, false }, (a <= b).ToArray<bool>());
        Assert.Equal(new[] { false, false, true, false }, (a > b).ToArray<bool>());
        Assert.Equal(new[] { false, true, true, false }, (a >= b).ToArray<bool>());

        Assert.Equal(new[] { false, true, false, false }, a.Eq(2).ToArray<bool>());
        Assert.Equal(new[] { true, false, true, true }, a.Ne(2).ToArray<bool>());
        Assert.Equal(new[] { true, false, false, false }, (a < 2).ToArray<bool>());
        Assert.Equal(new[] { true, true, false, false }, (a <= 2).ToArray<bool>());
        Assert.Equal(new[] { false, false, true, false }, (a > 2).ToArray<bool>());
        Assert.Equal(new[] { false, true, true, false }, (a >= 2.0).ToArray<bool>());
        Assert.Equal(new[] { false, true, true }, I64(1, 2, 3).Ge(1.5).ToArray<bool>());
    }

    [Fact]
    public void LogicalOperators()
    {
        using var scope = TensorScope.Enter();
        var p = B(true, true, false, false);
        var q = B(true, false, true, false);
        Assert.Equal(new[] { true, false, false, false }, (p & q).ToArray<bool>());
        Assert.Equal(new[] { true, true, true, false }, (p | q).ToArray<bool>());
        Assert.Equal(new[] { false, true, true, false }, p.LogicalXor(q).ToArray<bool>());
        Assert.Equal(new[] { false, false, true, true }, (!p).ToArray<bool>());
        // Non-bool inputs count non-zero as true.
        Assert.Equal(new[] { false, true, false }, F32(0, 2, -1).LogicalAnd(F32(5, 1, 0)).ToArray<bool>());
    }

    [Fact]
    public void AllAndAny()
    {
        using var scope = TensorScope.Enter();
        Assert.False(B(true, true, false).All().ToArray<bool>()[0]);
        Assert.True(B(true, true, false).Any().ToArray<bool>()[0]);
        Assert.True(B(true, true).All().ToArray<bool>()[0]);
        Assert.False(B(false, false).Any().ToArray<bool>()[0]);
        Assert.True(Tensor.Zeros([0], DType.Bool).All().ToArray<bool>()[0]); // vacuous truth
        Assert.False(Tensor.Zeros([0], DType.Bool).Any().ToArray<bool>()[0]);
        Assert.False(F32(1, 2, 0).All().ToArray<bool>()[0]);
        Assert.True(F32(0, 0, -0.5f).Any().ToArray<bool>()[0]);
        var all = Tensor.Ones([2, 2]).All();
        Assert.Equal(0, all.Rank);
        Assert.Equal(1.0, all.Item());
    }

    [Fact]
    public void NanInfAndFinitePredicates()
    {
        using var scope = TensorScope.Enter();
        var x = F64(1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0, -double.Epsilon);
        Assert.Equal(new[] { false, true, false, false, false, false }, x.IsNan().ToArray<bool>());
        Assert.Equal(new[] { false, false, true, true, false, false }, x.IsInf().ToArray<bool>());
        Assert.Equal(new[] { true, false, false, false, true, true }, x.IsFinite().ToArray<bool>());
        Assert.Equal(new[] { true, true }, I64(5, -5).IsFinite().ToArray<bool>());
    }

    [Fact]
    public void MaximumAndMinimumPropagateNan()
    {
        using var scope = TensorScope.Enter();
        var a = F64(1, 5, double.NaN, -0.5);
        var b = F64(2, 3, 0, -0.25);
        Assert.Equal(new[] { 2, 5, double.NaN, -0.25 }, a.Maximum(b).ToArray<double>());
        Assert.Equal(new[] { 1, 3, double.NaN, -0.5 }, a.Minimum(b).ToArray<double>());
    }

    [Fact]
    public void InPlaceArithmeticWritesIntoTheTensor()
    {
        using var scope = TensorScope.Enter();
        var x = F64(1, 2, 3);
        Assert.Same(x, x.Add_(F64(1, 1, 1)));
        Assert.Equal(new[] { 2.0, 3, 4 }, x.ToArray<double>());
        x.Sub_(0.5);
        Assert.Equal(new[] { 1.5, 2.5, 3.5 }, x.ToArray<double>());
        x.Mul_(F64(2, 2, 2));
        Assert.Equal(new[] { 3.0, 5, 7 }, x.ToArray<double>());
        x.Div_(2);
        Assert.Equal(new[] { 1.5, 2.5, 3.5 }, x.ToArray<double>());
        x.Add_(1).Sub_(F64(0.5, 0.5, 0.5)).Mul_(4).Div_(F64(2, 4, 8));
        Assert.Equal(new[] { 4.0, 3, 2 }, x.ToArray<double>());

        x.AddScaled_(F64(1, 2, 3), -2); // x − 2·[1,2,3]
        Assert.Equal(new[] { 2.0, -1, -4 }, x.ToArray<double>());
        x.AddCMul_(F64(1, 2, 3), F64(4, 5, 6), 0.5); // x + 0.5·a·b
        Assert.Equal(new[] { 4.0, 4, 5 }, x.ToArray<double>());
        x.AddCDiv_(F64(1, 2, 3), F64(4, 8, 12), 4); // x + 4·a/b
        Assert.Equal(new[] { 5.0, 5, 6 }, x.ToArray<double>());
        x.Lerp_(F64(9, 1, 6), 0.25); // x + 0.25·(end − x)
        Assert.Equal(new[] { 6.0, 4, 6 }, x.ToArray<double>());

        var ints = I64(1, 2);
        ints.Add_(3);
        Assert.Equal(DType.Int64, ints.DType);
        Assert.Equal(new long[] { 4, 5 }, ints.ToArray<long>());
        var broadcastTarget = Tensor.Zeros([2, 2], DType.Float64);
        broadcastTarget.Add_(F64(1, 2));
        Assert.Equal(new[] { 1.0, 2, 1, 2 }, broadcastTarget.ToArray<double>());
    }

    [Fact]
    public void AllCloseAndEqual()
    {
        using var scope = TensorScope.Enter();
        var a = F64(1, 2, 3);
        Assert.True(a.Equal(F64(1, 2, 3)));
        Assert.False(a.Equal(F64(1, 2, 3.0000001)));
        Assert.False(a.Equal(Tensor.From(new double[] { 1, 2, 3 }, 3, 1)));
        Assert.True(a.AllClose(F64(1, 2, 3.00001)));              // 1e-5 ≤ 1e-8 + 1e-5·3
        Assert.False(a.AllClose(F64(1, 2, 3.001)));
        Assert.True(a.AllClose(F64(1.1, 2, 3), rtol: 0, atol: 0.11));
        Assert.False(a.AllClose(F64(1.1, 2, 3), rtol: 0, atol: 0.09));
    }
}
