using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests;

/// <summary>Reductions, orderings and scans on small tensors with hand-computed results.</summary>
public class ReduceTests
{
    // [[1, 2, 3], [4, 5, 6]]
    private static Tensor Matrix(DType dtype = DType.Float64) => Tensor.From(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3).To(dtype);

    private static double[] D(Tensor t) => t.ToArray<double>();

    [Fact]
    public void SumOverAllOneOrSeveralDimensions()
    {
        using var scope = TensorScope.Enter();
        var m = Matrix();
        var total = m.Sum();
        Assert.Equal(0, total.Rank);
        Assert.Equal(21.0, total.Item());
        Assert.Equal(new double[] { 5, 7, 9 }, D(m.Sum(0)));
        Assert.Equal(new double[] { 6, 15 }, D(m.Sum(-1)));
        var kept = m.Sum(1, keepDim: true);
        Assert.Equal(new long[] { 2, 1 }, kept.Shape);
        Assert.Equal(new double[] { 6, 15 }, D(kept));
        Assert.Equal(new double[] { 21 }, D(m.Sum([0, 1])));
        Assert.Equal(new long[] { 1, 1 }, m.Sum([0, 1], keepDim: true).Shape);

        var cube = Tensor.Arange(24, DType.Float64).Reshape(2, 3, 4); // x[i,j,k] = 12i + 4j + k
        var expected = new double[3];
        for (var j = 0; j < 3; j++)
            for (var i = 0; i < 2; i++)
                for (var k = 0; k < 4; k++)
                    expected[j] += 12 * i + 4 * j + k;
        Assert.Equal(expected, D(cube.Sum([0, 2])));
    }

    [Fact]
    public void SumOfIntegersAndBoolsIsInt64()
    {
        using var scope = TensorScope.Enter();
        var ints = Tensor.From(new[] { 1, 2, int.MaxValue }).Sum(); // int32 input, int64 accumulator: no overflow
        Assert.Equal(DType.Int64, ints.DType);
        Assert.Equal(3L + int.MaxValue, ints.ItemInt64());
        var count = Tensor.From(new[] { true, false, true, true }).Sum();
        Assert.Equal(DType.Int64, count.DType);
        Assert.Equal(3L, count.ItemInt64());
        Assert.Equal(0.0, Tensor.Zeros([0]).Sum().Item());
    }

    [Fact]
    public void MeanAndProd()
    {
        using var scope = TensorScope.Enter();
        var m = Matrix();
        Assert.Equal(3.5, m.Mean().Item());
        Assert.Equal(new[] { 2.5, 3.5, 4.5 }, D(m.Mean(0)));
        Assert.Equal(new double[] { 2, 5 }, D(m.Mean(1)));
        Assert.Equal(new long[] { 1, 3 }, m.Mean(0, keepDim: true).Shape);
        Assert.Equal(new[] { 3.5 }, D(m.Mean([0, 1])));
        Assert.Equal(DType.Float32, Matrix(DType.Float32).Mean().DType);
        Assert.Equal(720.0, m.Prod().Item());
        Assert.Equal(24L, Tensor.From(new long[] { 1, 2, 3, 4 }).Prod().ItemInt64());
    }

    [Fact]
    public void MaxMinAndTheirIndices()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.From(new double[] { 3, 9, -1, 4, -7, 8 }, 2, 3);
        Assert.Equal(9.0, x.Max().Item());
        Assert.Equal(-7.0, x.Min().Item());

        var (rowMax, rowArg) = x.Max(1);
        Assert.Equal(new double[] { 9, 8 }, D(rowMax));
        Assert.Equal(DType.Int64, rowArg.DType);
        Assert.Equal(new long[] { 1, 2 }, rowArg.ToArray<long>());

        var (colMin, colArg) = x.Min(0, keepDim: true);
        Assert.Equal(new long[] { 1, 3 }, colMin.Shape);
        Assert.Equal(new double[] { 3, -7, -1 }, D(colMin));
        Assert.Equal(new long[] { 0, 1, 0 }, colArg.ToArray<long>());

        var (colMax, colMaxArg) = x.Max(0);
        Assert.Equal(new double[] { 4, 9, 8 }, D(colMax));
        Assert.Equal(new long[] { 1, 0, 1 }, colMaxArg.ToArray<long>());

        // A NaN is the maximum and the minimum, as in PyTorch.
        Assert.True(double.IsNaN(Tensor.From(new[] { 1.0, double.NaN, 3 }).Max().Item()));
        Assert.True(double.IsNaN(Tensor.From(new[] { 1.0, double.NaN, 3 }).Min().Item()));
    }

    [Fact]
    public void ArgMaxAndArgMinFlattenOrReduceOneDimension()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.From(new double[] { 3, 9, -1, 4, -7, 8 }, 2, 3);
        var flat = x.ArgMax();
        Assert.Equal(0, flat.Rank);
        Assert.Equal(1L, flat.ItemInt64());
        Assert.Equal(4L, x.ArgMin().ItemInt64());
        Assert.Equal(new long[] { 1, 2 }, x.ArgMax(1).ToArray<long>());
        Assert.Equal(new long[] { 2, 1 }, x.ArgMin(-1).ToArray<long>());
        Assert.Equal(new long[] { 1, 3 }, x.ArgMax(0, keepDim: true).Shape);
        Assert.Equal(new long[] { 1, 0, 1 }, x.ArgMax(0).ToArray<long>());
        // Ties: the first maximal index.
        Assert.Equal(1L, Tensor.From(new[] { 0.0, 5, 5, 2 }).ArgMax().ItemInt64());
    }

    [Fact]
    public void TopKLargestOrSmallest()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.From(new double[] { 1, 5, 3, 9, 7 });
        var (values, indices) = x.TopK(2);
        Assert.Equal(new double[] { 9, 7 }, D(values));
        Assert.Equal(new long[] { 3, 4 }, indices.ToArray<long>());
        var (small, smallIndices) = x.TopK(3, largest: false);
        Assert.Equal(new double[] { 1, 3, 5 }, D(small));
        Assert.Equal(new long[] { 0, 2, 1 }, smallIndices.ToArray<long>());

        var rows = Tensor.From(new double[] { 4, 1, 3, 2, 0, 8, 6, 7 }, 2, 4);
        var (rowValues, rowIndices) = rows.TopK(2, dim: 1);
        Assert.Equal(new long[] { 2, 2 }, rowValues.Shape);
        Assert.Equal(new double[] { 4, 3, 8, 7 }, D(rowValues));
        Assert.Equal(new long[] { 0, 2, 1, 3 }, rowIndices.ToArray<long>());
        var (colValues, colIndices) = rows.TopK(1, dim: 0);
        Assert.Equal(new double[] { 4, 8, 6, 7 }, D(colValues));
        Assert.Equal(new long[] { 0, 1, 1, 1 }, colIndices.ToArray<long>());
    }

    [Fact]
    public void SortReturnsValuesAndThePermutation()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.From(new double[] { 3, -1, 2, 10, 0 });
        var (ascending, order) = x.Sort();
        Assert.Equal(new double[] { -1, 0, 2, 3, 10 }, D(ascending));
        Assert.Equal(new long[] { 1, 4, 2, 0, 3 }, order.ToArray<long>());
        var (descending, reverse) = x.Sort(descending: true);
        Assert.Equal(new double[] { 10, 3, 2, 0, -1 }, D(descending));
        Assert.Equal(new long[] { 3, 0, 2, 4, 1 }, reverse.ToArray<long>());

        // Stable sorting keeps equal keys in input order.
        var ties = Tensor.From(new long[] { 2, 1, 2, 1, 0 });
        var (_, stableUp) = ties.Sort(stable: true);
        Assert.Equal(new long[] { 4, 1, 3, 0, 2 }, stableUp.ToArray<long>());
        var (_, stableDown) = ties.Sort(descending: true, stable: true);
        Assert.Equal(new long[] { 0, 2, 1, 3, 4 }, stableDown.ToArray<long>());

        var m = Tensor.From(new double[] { 3, 1, 2, 0, 5, 4 }, 2, 3);
        var (byRow, _) = m.Sort(dim: 1);
        Assert.Equal(new double[] { 1, 2, 3, 0, 4, 5 }, D(byRow));
        var (byColumn, columnOrder) = m.Sort(dim: 0);
        Assert.Equal(new double[] { 0, 1, 2, 3, 5, 4 }, D(byColumn));
        Assert.Equal(new long[] { 1, 0, 0, 0, 1, 1 }, columnOrder.ToArray<long>());
    }

    [Fact]
    public void CumSumIsARunningTotal()
    {
        using var scope = TensorScope.Enter();
        Assert.Equal(new double[] { 1, 3, 6, 10 }, D(Tensor.From(new double[] { 1, 2, 3, 4 }).CumSum(0)));
        var m = Matrix();
        Assert.Equal(new double[] { 1, 2, 3, 5, 7, 9 }, D(m.CumSum(0)));
        Assert.Equal(new double[] { 1, 3, 6, 4, 9, 15 }, D(m.CumSum(-1)));
        var ints = Tensor.From(new long[] { 5, -2, 7 }).CumSum(0);
        Assert.Equal(DType.Int64, ints.DType);
        Assert.Equal(new long[] { 5, 3, 10 }, ints.ToArray<long>());
    }

    [Fact]
    public void VarianceAndStandardDeviationUseBesselsCorrectionByDefault()
    {
        using var scope = TensorScope.Enter();
        // Mean 5, squared deviations sum to 32 over 8 values.
        var x = Tensor.From(new double[] { 2, 4, 4, 4, 5, 5, 7, 9 });
        TensorAssert.Close([32.0 / 7], x.Var(), rtol: 1e-15, atol: 0);
        TensorAssert.Close([Math.Sqrt(32.0 / 7)], x.Std(), rtol: 1e-15, atol: 0);
        Assert.Equal(4.0, x.Var(correction: 0).Item());
        Assert.Equal(2.0, x.Std(correction: 0).Item());

        var m = Tensor.From(new double[] { 1, 2, 3, 4, 2, 4, 6, 8 }, 2, 4); // rows: means 2.5 and 5
        TensorAssert.Close([5.0 / 3, 20.0 / 3], m.Var(dim: 1), rtol: 1e-15, atol: 0);
        TensorAssert.Close([1.25, 5.0], m.Var(dim: 1, correction: 0), rtol: 1e-15, atol: 0);
        TensorAssert.Close([Math.Sqrt(5.0 / 3), Math.Sqrt(20.0 / 3)], m.Std(dim: -1), rtol: 1e-15, atol: 0);
        Assert.Equal(new long[] { 2, 1 }, m.Std(dim: 1, keepDim: true).Shape);
        TensorAssert.Close([0.5, 2, 4.5, 8], m.Var(dim: 0), rtol: 1e-15, atol: 0); // columns: (a − b)²/2
    }

    [Fact]
    public void NormsOfEveryOrder()
    {
        using var scope = TensorScope.Enter();
        var v = Tensor.From(new double[] { 3, -4 });
        Assert.Equal(5.0, v.Norm().Item());
        Assert.Equal(7.0, v.Norm(p: 1).Item());
        Assert.Equal(4.0, v.Norm(p: double.PositiveInfinity).Item());
        TensorAssert.Close([Math.Pow(27 + 64, 1.0 / 3)], v.Norm(p: 3), rtol: 1e-15, atol: 0);

        var m = Tensor.From(new double[] { 3, 4, 6, 8 }, 2, 2);
        Assert.Equal(new double[] { 5, 10 }, D(m.Norm(dim: 1)));
        Assert.Equal(new double[] { 7, 14 }, D(m.Norm(dim: 1, p: 1)));
        Assert.Equal(new long[] { 1, 2 }, m.Norm(dim: 0, keepDim: true).Shape);
        TensorAssert.Close([Math.Sqrt(45), Math.Sqrt(80)], m.Norm(dim: 0), rtol: 1e-15, atol: 0);
        TensorAssert.Close([Math.Sqrt(125)], m.Norm(), rtol: 1e-15, atol: 0); // Frobenius
    }

    [Fact]
    public void LogSumExpIsStableForLargeValues()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.From(new double[] { 1, 2, 3 });
        TensorAssert.Close([Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3))], x.LogSumExp(0), rtol: 1e-15, atol: 0);

        // exp(1000) overflows; the stable form gives 1000 + log 2.
        var large = Tensor.From(new double[] { 1000, 1000, -1000, -1000 }, 2, 2);
        TensorAssert.Close([1000 + Math.Log(2), -1000 + Math.Log(2)], large.LogSumExp(1), rtol: 1e-15, atol: 0);
        TensorAssert.Close([1000, 1000], large.LogSumExp(0), rtol: 1e-15, atol: 0);
        Assert.Equal(new long[] { 2, 1 }, large.LogSumExp(1, keepDim: true).Shape);
        Assert.Equal(double.NegativeInfinity, Tensor.From(new[] { double.NegativeInfinity, double.NegativeInfinity }).LogSumExp(0).Item());
    }

    // PyTorch reads x.var(1) and x.std(1) as "along dim 1"; an earlier overload set bound a lone integer
    // to `correction` instead and silently returned one number.
    [Fact]
    public void VarAndStdWithOneIntegerArgumentReduceThatDimensionAsInPyTorch()
    {
        using var scope = TensorScope.Enter();
        var m = Tensor.From(new double[] { 1, 2, 3, 4, 2, 4, 6, 8 }, 2, 4);
        TensorAssert.Close([5.0 / 3, 20.0 / 3], m.Var(1), [2], rtol: 1e-15, atol: 0);
        TensorAssert.Close([Math.Sqrt(5.0 / 3), Math.Sqrt(20.0 / 3)], m.Std(-1), [2], rtol: 1e-15, atol: 0);
    }

    // PyTorch reads x.norm(1) as the 1-norm; an earlier overload set bound an int literal to `dim`.
    [Fact]
    public void NormWithOneIntegerArgumentIsTheOrderAsInPyTorch()
    {
        using var scope = TensorScope.Enter();
        var m = Tensor.From(new double[] { 3, 4, 6, 8 }, 2, 2);
        Assert.Equal(21.0, m.Norm(1).Item());
        Assert.Equal(7.0, Tensor.From(new double[] { 3, -4 }).Norm(1).Item());
    }
}
