using System.Numerics;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests;

/// <summary>
/// Matrix products against naive loops and the FFT family against a naive DFT, both written here in C#.
/// </summary>
public class LinalgTests
{
    private static double[] Random(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).ToArray();
    }

    // c[b, i, j] = Σk a[b, i, k]·b[b, k, j] for row-major [batch, n, m] and [batch, m, p].
    private static double[] NaiveBatchedMatMul(double[] a, double[] b, int batch, int n, int m, int p)
    {
        var c = new double[batch * n * p];
        for (var s = 0; s < batch; s++)
            for (var i = 0; i < n; i++)
                for (var j = 0; j < p; j++)
                {
                    var sum = 0.0;
                    for (var k = 0; k < m; k++) sum += a[(s * n + i) * m + k] * b[(s * m + k) * p + j];
                    c[(s * n + i) * p + j] = sum;
                }
        return c;
    }

    private const double Rtol = 1e-12;
    private const double Atol = 1e-13;

    [Fact]
    public void MatMulOfMatricesMatchesTheTripleLoop()
    {
        using var scope = TensorScope.Enter();
        var a = Random(3 * 5, 1);
        var b = Random(5 * 4, 2);
        var expected = NaiveBatchedMatMul(a, b, 1, 3, 5, 4);
        var product = Tensor.From(a, 3, 5).MatMul(Tensor.From(b, 5, 4));
        TensorAssert.Close(expected, product, [3, 4], Rtol, Atol);
        TensorAssert.Close(expected, Tensor.From(a, 3, 5).Mm(Tensor.From(b, 5, 4)), [3, 4], Rtol, Atol);

        // Hand-checked: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]].
        var small = Tensor.From(new float[] { 1, 2, 3, 4 }, 2, 2).MatMul(Tensor.From(new float[] { 5, 6, 7, 8 }, 2, 2));
        Assert.Equal(new float[] { 19, 22, 43, 50 }, small.ToArray<float>());
    }

    [Fact]
    public void MatMulOfTransposedViewsUsesLogicalLayout()
    {
        using var scope = TensorScope.Enter();
        var a = Random(5 * 3, 3); // stored [5, 3], used transposed as [3, 5]
        var aT = new double[15];
        for (var i = 0; i < 5; i++)
            for (var j = 0; j < 3; j++)
                aT[j * 5 + i] = a[i * 3 + j];
        var b = Random(5 * 2, 4);
        var product = Tensor.From(a, 5, 3).Transpose(0, 1).MatMul(Tensor.From(b, 5, 2));
        TensorAssert.Close(NaiveBatchedMatMul(aT, b, 1, 3, 5, 2), product, [3, 2], Rtol, Atol);
    }

    [Fact]
    public void MatMulBroadcastsBatchesAndHandlesVectors()
    {
        using var scope = TensorScope.Enter();
        var a = Random(2 * 3 * 4, 5);
        var w = Random(4 * 5, 6);
        // [2, 3, 4] @ [4, 5]: the matrix is shared by both batches.
        var batched = Tensor.From(a, 2, 3, 4).MatMul(Tensor.From(w, 4, 5));
        TensorAssert.Close(NaiveBatchedMatMul(a, w.Concat(w).ToArray(), 2, 3, 4, 5), batched, [2, 3, 5], Rtol, Atol);

        // vector @ matrix and matrix @ vector drop the vector's dimension.
        var v = Random(4, 7);
        var vm = Tensor.From(v).MatMul(Tensor.From(w, 4, 5));
        TensorAssert.Close(NaiveBatchedMatMul(v, w, 1, 1, 4, 5), vm, [5], Rtol, Atol);
        var mv = Tensor.From(a.Take(12).ToArray(), 3, 4).MatMul(Tensor.From(v));
        TensorAssert.Close(NaiveBatchedMatMul(a.Take(12).ToArray(), v, 1, 3, 4, 1), mv, [3], Rtol, Atol);
        var dot = Tensor.From(v).MatMul(Tensor.From(v));
        Assert.Equal(0, dot.Rank);
        TensorAssert.Close([v.Sum(x => x * x)], dot, rtol: Rtol, atol: Atol);
    }

    [Fact]
    public void BmmMultipliesEachBatch()
    {
        using var scope = TensorScope.Enter();
        var a = Random(3 * 2 * 4, 8);
        var b = Random(3 * 4 * 5, 9);
        var product = Tensor.From(a, 3, 2, 4).Bmm(Tensor.From(b, 3, 4, 5));
        TensorAssert.Close(NaiveBatchedMatMul(a, b, 3, 2, 4, 5), product, [3, 2, 5], Rtol, Atol);
    }

    [Fact]
    public void BAddBmmScalesBothTerms()
    {
        using var scope = TensorScope.Enter();
        var a = Random(2 * 3 * 4, 10);
        var b = Random(2 * 4 * 2, 11);
        var input = Random(2 * 3 * 2, 12);
        var ab = NaiveBatchedMatMul(a, b, 2, 3, 4, 2);
        var expected = input.Zip(ab, (x, y) => 0.5 * x + 2 * y).ToArray();
        var result = Tensor.From(input, 2, 3, 2).BAddBmm(Tensor.From(a, 2, 3, 4), Tensor.From(b, 2, 4, 2), beta: 0.5, alpha: 2);
        TensorAssert.Close(expected, result, [2, 3, 2], Rtol, Atol);

        var defaults = Tensor.From(input, 2, 3, 2).BAddBmm(Tensor.From(a, 2, 3, 4), Tensor.From(b, 2, 4, 2));
        TensorAssert.Close(input.Zip(ab, (x, y) => x + y).ToArray(), defaults, [2, 3, 2], Rtol, Atol);

        // The input broadcasts: one [1, 2] row bias for every batch and row.
        var bias = new[] { 10.0, -10.0 };
        var broadcast = Tensor.From(bias, 1, 2).BAddBmm(Tensor.From(a, 2, 3, 4), Tensor.From(b, 2, 4, 2));
        TensorAssert.Close(ab.Select((y, k) => y + bias[k % 2]).ToArray(), broadcast, [2, 3, 2], Rtol, Atol);
    }

    [Fact]
    public void OuterProduct()
    {
        using var scope = TensorScope.Enter();
        var outer = Tensor.From(new double[] { 1, 2, 3 }).Outer(Tensor.From(new double[] { 4, 5 }));
        Assert.Equal(new long[] { 3, 2 }, outer.Shape);
        Assert.Equal(new double[] { 4, 5, 8, 10, 12, 15 }, outer.ToArray<double>());
    }

    [Fact]
    public void Float32MatMulIsCloseToTheDoubleLoop()
    {
        using var scope = TensorScope.Enter();
        var a = Random(4 * 6, 13);
        var b = Random(6 * 3, 14);
        var af = a.Select(x => (float)x).ToArray();
        var bf = b.Select(x => (float)x).ToArray();
        var expected = NaiveBatchedMatMul(af.Select(x => (double)x).ToArray(), bf.Select(x => (double)x).ToArray(), 1, 4, 6, 3);
        var product = Tensor.From(af, 4, 6).MatMul(Tensor.From(bf, 6, 3));
        Assert.Equal(DType.Float32, product.DType);
        TensorAssert.Close(expected, product, [4, 3], rtol: 1e-5, atol: 1e-6);
    }

    // ---- FFT -------------------------------------------------------------------------------------------

    // X[k] = Σn x[n]·e^(∓2πi·kn/N), scaled by `scale`.
    private static Complex[] NaiveDft(Complex[] x, bool inverse = false, double scale = 1)
    {
        var n = x.Length;
        var sign = inverse ? 1 : -1;
        var result = new Complex[n];
        for (var k = 0; k < n; k++)
        {
            var sum = Complex.Zero;
            for (var t = 0; t < n; t++)
                sum += x[t] * Complex.FromPolarCoordinates(1, sign * 2 * Math.PI * ((long)k * t % n) / n);
            result[k] = sum * scale;
        }
        return result;
    }

    private static Complex[] Real(double[] x) => x.Select(v => new Complex(v, 0)).ToArray();

    private static void AssertComplexClose(Complex[] expected, Tensor actual, double atol = 1e-12)
    {
        Assert.True(actual.DType.IsComplex(), $"expected a complex result, got {actual.DType}");
        var values = actual.ToArray<Complex>();
        Assert.Equal(expected.Length, values.Length);
        var worst = expected.Zip(values, (e, a) => Complex.Abs(e - a)).Max();
        Assert.True(worst <= atol, $"largest |expected − actual| is {worst:G3}, above {atol:G3}");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(7)]
    [InlineData(1)]
    public void RfftKeepsTheNonNegativeFrequenciesOfTheDft(int n)
    {
        using var scope = TensorScope.Enter();
        var x = Random(n, 20 + n);
        var spectrum = Tensor.From(x).Rfft();
        Assert.Equal(DType.Complex128, spectrum.DType);
        Assert.Equal(new long[] { n / 2 + 1 }, spectrum.Shape);
        AssertComplexClose(NaiveDft(Real(x)).Take(n / 2 + 1).ToArray(), spectrum);
    }

    [Fact]
    public void RfftOfHandPickedSignals()
    {
        using var scope = TensorScope.Enter();
        // A constant has only a DC term; a cosine at frequency 1 has N/2 at bins ±1.
        AssertComplexClose([new(4, 0), 0, 0], Tensor.From(new double[] { 1, 1, 1, 1 }).Rfft());
        var cosine = Enumerable.Range(0, 8).Select(t => Math.Cos(2 * Math.PI * t / 8)).ToArray();
        AssertComplexClose([0, new(4, 0), 0, 0, 0], Tensor.From(cosine).Rfft());
        // An impulse at t = 1 has the phases e^(−2πik/4).
        AssertComplexClose([1, new(0, -1), -1], Tensor.From(new double[] { 0, 1, 0, 0 }).Rfft());
        // float32 in, complex64 out.
        var single = Tensor.From(new float[] { 1, 2, 3, 4 }).Rfft();
        Assert.Equal(DType.Complex64, single.DType);
        TensorAssert.Close(new double[] { 10, 0, -2, 2, -2, 0 }, single.ViewAsReal(), [3, 2], rtol: 1e-6, atol: 1e-6);
    }

    [Fact]
    public void RfftWithLengthTruncatesOrZeroPads()
    {
        using var scope = TensorScope.Enter();
        var x = Random(8, 30);
        var truncated = Tensor.From(x).Rfft(n: 6);
        Assert.Equal(new long[] { 4 }, truncated.Shape);
        AssertComplexClose(NaiveDft(Real(x.Take(6).ToArray())).Take(4).ToArray(), truncated);
        var padded = Tensor.From(x).Rfft(n: 10);
        Assert.Equal(new long[] { 6 }, padded.Shape);
        AssertComplexClose(NaiveDft(Real(x.Concat([0.0, 0.0]).ToArray())).Take(6).ToArray(), padded);
    }

    [Fact]
    public void FftOfComplexAndRealSignals()
    {
        using var scope = TensorScope.Enter();
        var re = Random(6, 40);
        var im = Random(6, 41);
        var z = re.Zip(im, (a, b) => new Complex(a, b)).ToArray();
        var spectrum = Tensor.From(z).Fft();
        Assert.Equal(DType.Complex128, spectrum.DType);
        AssertComplexClose(NaiveDft(z), spectrum);
        AssertComplexClose(NaiveDft(z), Tensor.Complex(Tensor.From(re), Tensor.From(im)).Fft());

        var realInput = Tensor.From(re).Fft(); // real input is promoted to complex, all N bins
        Assert.Equal(new long[] { 6 }, realInput.Shape);
        AssertComplexClose(NaiveDft(Real(re)), realInput);

        AssertComplexClose(NaiveDft(z, inverse: true, scale: 1.0 / 6), Tensor.From(z).Ifft());
    }

    [Theory]
    [InlineData(FftNorm.Backward, 1.0)]
    [InlineData(FftNorm.Forward, 1.0 / 5)]
    [InlineData(FftNorm.Ortho, 0.4472135954999579)] // 1/√5
    public void NormModesScaleTheForwardTransform(FftNorm norm, double forwardScale)
    {
        using var scope = TensorScope.Enter();
        var x = Random(5, 50);
        AssertComplexClose(NaiveDft(Real(x), scale: forwardScale).Take(3).ToArray(), Tensor.From(x).Rfft(norm: norm));
        AssertComplexClose(NaiveDft(Real(x), scale: forwardScale), Tensor.From(x).Fft(norm: norm));
        // The inverse carries the rest of 1/N.
        var inverseScale = 1.0 / 5 / forwardScale;
        var z = Real(x);
        AssertComplexClose(NaiveDft(z, inverse: true, scale: inverseScale), Tensor.From(z).Ifft(norm: norm));
    }

    [Theory]
    [InlineData(FftNorm.Backward)]
    [InlineData(FftNorm.Forward)]
    [InlineData(FftNorm.Ortho)]
    public void InverseTransformsUndoTheForwardOnes(FftNorm norm)
    {
        using var scope = TensorScope.Enter();
        foreach (var n in new[] { 8, 9 })
        {
            var x = Random(n, 60 + n);
            var back = Tensor.From(x).Rfft(norm: norm).Irfft(n: n, norm: norm);
            Assert.Equal(DType.Float64, back.DType);
            TensorAssert.Close(x, back, [n], rtol: 0, atol: 1e-14);

            var z = x.Zip(Random(n, 70 + n), (a, b) => new Complex(a, b)).ToArray();
            var roundTrip = Tensor.From(z).Fft(norm: norm).Ifft(norm: norm);
            AssertComplexClose(z, roundTrip, atol: 1e-14);
        }
    }

    [Fact]
    public void IrfftDefaultsToAnEvenLengthAndMatchesTheHermitianInverse()
    {
        using var scope = TensorScope.Enter();
        // Bins 0…3 of a length-6 real signal; irfft's default length is 2·(4 − 1) = 6.
        Complex[] half = [new(3, 0), new(1, -2), new(-0.5, 0.25), new(2, 0)];
        var full = new Complex[6];
        for (var k = 0; k < 6; k++) full[k] = k < 4 ? half[k] : Complex.Conjugate(half[6 - k]);
        var expected = NaiveDft(full, inverse: true, scale: 1.0 / 6).Select(c => c.Real).ToArray();
        var signal = Tensor.From(half).Irfft();
        Assert.Equal(DType.Float64, signal.DType);
        TensorAssert.Close(expected, signal, [6], rtol: 0, atol: 1e-14);
    }

    [Fact]
    public void FftAlongAChosenDimension()
    {
        using var scope = TensorScope.Enter();
        // A [4, 2] signal transformed along dim 0: each column on its own.
        var x = Random(8, 80);
        var spectrum = Tensor.From(x, 4, 2).Rfft(dim: 0);
        Assert.Equal(new long[] { 3, 2 }, spectrum.Shape);
        var values = spectrum.ToArray<Complex>();
        for (var column = 0; column < 2; column++)
        {
            var signal = Enumerable.Range(0, 4).Select(t => new Complex(x[t * 2 + column], 0)).ToArray();
            var expected = NaiveDft(signal);
            for (var k = 0; k < 3; k++)
                Assert.True(Complex.Abs(expected[k] - values[k * 2 + column]) < 1e-12, $"column {column}, bin {k}");
        }
    }

    [Fact]
    public void RealImagAndViewAsRealSplitComplexValues()
    {
        using var scope = TensorScope.Enter();
        var z = Tensor.Complex(Tensor.From(new double[] { 1, -2 }), Tensor.From(new double[] { 3, 0.5 }));
        Assert.Equal(DType.Complex128, z.DType);
        Assert.Equal(new double[] { 1, -2 }, z.Real().ToArray<double>());
        Assert.Equal(new double[] { 3, 0.5 }, z.Imag().ToArray<double>());
        var pairs = z.ViewAsReal();
        Assert.Equal(new long[] { 2, 2 }, pairs.Shape);
        Assert.Equal(new double[] { 1, 3, -2, 0.5 }, pairs.ToArray<double>());
    }
}
