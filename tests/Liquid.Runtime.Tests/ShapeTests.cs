namespace Liquid.Runtime.Tests;

/// <summary>Views, reshapes, joins, splits and indexing on small tensors whose results are written out by hand.</summary>
public class ShapeTests
{
    // 0 … n−1 as float32 with the given shape.
    private static Tensor Range(params long[] shape) => Tensor.Arange(shape.Aggregate(1L, (a, b) => a * b), DType.Float32).Reshape(shape);

    private static float[] F(Tensor t) => t.ToArray<float>();

    private static Tensor Longs(params long[] values) => Tensor.From(values);

    [Fact]
    public void ViewReinterpretsAndSharesStorage()
    {
        using var scope = TensorScope.Enter();
        var flat = Range(6);
        var matrix = flat.View(2, 3);
        Assert.Equal(new long[] { 2, 3 }, matrix.Shape);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, F(matrix));
        Assert.Equal(new long[] { 3, 2 }, flat.View(-1, 2).Shape);
        Assert.Equal(new long[] { 1, 6, 1 }, flat.View(1, -1, 1).Shape);

        matrix.Select(0, 1).Fill_(-1f); // writes through both views
        Assert.Equal(new float[] { 0, 1, 2, -1, -1, -1 }, F(flat));
    }

    [Fact]
    public void ReshapeOfATransposeFollowsLogicalOrder()
    {
        using var scope = TensorScope.Enter();
        var transposed = Range(2, 3).Transpose(0, 1); // [[0,3],[1,4],[2,5]]
        Assert.False(transposed.IsContiguous);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, F(transposed.Reshape(-1)));
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, F(transposed.Reshape(2, 3)));
        Assert.Equal(new long[] { 2, 3 }, transposed.Reshape(2, 3).Shape);
    }

    [Fact]
    public void TransposeAndContiguous()
    {
        using var scope = TensorScope.Enter();
        var matrix = Range(2, 3);
        Assert.True(matrix.IsContiguous);
        var transposed = matrix.Transpose(0, 1);
        Assert.Equal(new long[] { 3, 2 }, transposed.Shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, F(transposed));
        var dense = transposed.Contiguous();
        Assert.True(dense.IsContiguous);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, F(dense));
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, F(matrix.Transpose(-1, -2)));
    }

    [Fact]
    public void PermuteMovesEveryElementToItsPermutedIndex()
    {
        using var scope = TensorScope.Enter();
        var x = Range(2, 3, 4); // x[i, j, k] = 12i + 4j + k
        var permuted = x.Permute(2, 0, 1);
        Assert.Equal(new long[] { 4, 2, 3 }, permuted.Shape);
        var expected = new float[24];
        var n = 0;
        for (var k = 0; k < 4; k++)
            for (var i = 0; i < 2; i++)
                for (var j = 0; j < 3; j++)
                    expected[n++] = 12 * i + 4 * j + k;
        Assert.Equal(expected, F(permuted));
        Assert.Equal(F(x), F(permuted.Permute(1, 2, 0)));
    }

    [Fact]
    public void CatJoinsAlongAnExistingDimension()
    {
        using var scope = TensorScope.Enter();
        var a = Tensor.From(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = Tensor.From(new float[] { 5, 6 }, 1, 2);
        var rows = Tensor.Cat([a, b]);
        Assert.Equal(new long[] { 3, 2 }, rows.Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, F(rows));

        var c = Tensor.From(new float[] { 7, 8 }, 2, 1);
        var columns = Tensor.Cat([a, c], dim: 1);
        Assert.Equal(new long[] { 2, 3 }, columns.Shape);
        Assert.Equal(new float[] { 1, 2, 7, 3, 4, 8 }, F(columns));
        Assert.Equal(new float[] { 1, 2, 7, 3, 4, 8 }, F(Tensor.Cat([a, c], dim: -1)));
    }

    [Fact]
    public void StackJoinsAlongANewDimension()
    {
        using var scope = TensorScope.Enter();
        var a = Tensor.From(new float[] { 1, 2 });
        var b = Tensor.From(new float[] { 3, 4 });
        var first = Tensor.Stack([a, b]);
        Assert.Equal(new long[] { 2, 2 }, first.Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, F(first));
        var last = Tensor.Stack([a, b], dim: 1);
        Assert.Equal(new float[] { 1, 3, 2, 4 }, F(last));
        Assert.Equal(new long[] { 2, 3 }, Tensor.Stack([a, b, a], dim: -1).Shape);
    }

    [Fact]
    public void SplitChunkAndUnbind()
    {
        using var scope = TensorScope.Enter();
        var x = Range(5);
        var bySize = x.Split(2);
        Assert.Equal(3, bySize.Length);
        Assert.Equal(new float[] { 0, 1 }, F(bySize[0]));
        Assert.Equal(new float[] { 2, 3 }, F(bySize[1]));
        Assert.Equal(new float[] { 4 }, F(bySize[2]));

        var bySizes = x.Split([1, 3, 1]);
        Assert.Equal(new[] { 1L, 3L, 1L }, bySizes.Select(t => t.Size(0)));
        Assert.Equal(new float[] { 1, 2, 3 }, F(bySizes[1]));

        var chunks = x.Chunk(3); // chunk size ceil(5/3) = 2
        Assert.Equal(new[] { 2L, 2L, 1L }, chunks.Select(t => t.Size(0)));
        Assert.Equal(3, Range(6).Chunk(4).Length); // at most 4: size ceil(6/4) = 2 gives 3 chunks

        var matrix = Range(2, 4);
        var columnChunks = matrix.Chunk(2, dim: 1);
        Assert.Equal(new float[] { 0, 1, 4, 5 }, F(columnChunks[0]));
        Assert.Equal(new float[] { 2, 3, 6, 7 }, F(columnChunks[1]));

        var rows = matrix.Unbind();
        Assert.Equal(2, rows.Length);
        Assert.Equal(new float[] { 4, 5, 6, 7 }, F(rows[1]));
        var columns = matrix.Unbind(1);
        Assert.Equal(4, columns.Length);
        Assert.Equal(new float[] { 2, 6 }, F(columns[2]));
    }

    [Fact]
    public void NarrowSliceAndSelect()
    {
        using var scope = TensorScope.Enter();
        var m = Range(2, 4); // [[0,1,2,3],[4,5,6,7]]
        var narrow = m.Narrow(1, 1, 2);
        Assert.Equal(new long[] { 2, 2 }, narrow.Shape);
        Assert.Equal(new float[] { 1, 2, 5, 6 }, F(narrow));

        Assert.Equal(new float[] { 1, 3, 5 }, F(Range(8).Slice(0, 1, 7, 2)));
        Assert.Equal(new float[] { 2, 3, 4 }, F(Range(6).Slice(0, 2..^1)));
        Assert.Equal(new float[] { 2, 3, 6, 7 }, F(m.Slice(1, ^2..)));
        Assert.Equal(new float[] { 0, 1, 4, 5 }, F(m.Slice(1, ..2)));
        Assert.Equal(F(m), F(m.Slice(0, ..)));
        Assert.Equal(new float[] { 3, 7 }, F(m.Slice(1, 3, 100))); // the end clamps as in Python

        var column = m.Select(1, 2);
        Assert.Equal(new long[] { 2 }, column.Shape);
        Assert.Equal(new float[] { 2, 6 }, F(column));
        Assert.Equal(new float[] { 4, 5, 6, 7 }, F(m.Select(0, -1)));

        // Slices are views: writing through one changes the base.
        m.Slice(1, 0, 4, 3).Fill_(9f);
        Assert.Equal(new float[] { 9, 1, 2, 9, 9, 5, 6, 9 }, F(m));
    }

    [Fact]
    public void IndexSelectPicksEntriesInIndexOrder()
    {
        using var scope = TensorScope.Enter();
        var m = Range(3, 2); // [[0,1],[2,3],[4,5]]
        Assert.Equal(new float[] { 4, 5, 0, 1, 4, 5 }, F(m.IndexSelect(0, Longs(2, 0, 2))));
        var columns = m.IndexSelect(1, Longs(1));
        Assert.Equal(new long[] { 3, 1 }, columns.Shape);
        Assert.Equal(new float[] { 1, 3, 5 }, F(columns));
    }

    [Fact]
    public void GatherReadsAlongTheDimension()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var alongColumns = x.Gather(1, Tensor.From(new long[] { 2, 0, 1, 1 }, 2, 2)); // out[i][j] = x[i][index[i][j]]
        Assert.Equal(new long[] { 2, 2 }, alongColumns.Shape);
        Assert.Equal(new float[] { 3, 1, 5, 5 }, F(alongColumns));
        var alongRows = x.Gather(0, Tensor.From(new long[] { 1, 0, 1 }, 1, 3)); // out[i][j] = x[index[i][j]][j]
        Assert.Equal(new float[] { 4, 2, 6 }, F(alongRows));
    }

    [Fact]
    public void ScatterAndScatterAddWriteAlongTheDimension()
    {
        using var scope = TensorScope.Enter();
        var zeros = Tensor.Zeros([2, 4]);
        var index = Tensor.From(new long[] { 3, 0, 1, 2 }, 2, 2);
        var source = Tensor.From(new float[] { 10, 20, 30, 40 }, 2, 2);
        var scattered = zeros.Scatter(1, index, source); // self[i][index[i][j]] = src[i][j]
        Assert.Equal(new float[] { 20, 0, 0, 10, 0, 30, 40, 0 }, F(scattered));
        Assert.Equal(new float[8], F(zeros)); // not in place

        var sums = Tensor.Ones([4]).ScatterAdd(0, Longs(0, 1, 0, 3), Tensor.From(new float[] { 1, 2, 3, 4 }));
        Assert.Equal(new float[] { 5, 3, 1, 5 }, F(sums));
    }

    [Fact]
    public void IndexAddAccumulatesScaledRows()
    {
        using var scope = TensorScope.Enter();
        var ones = Tensor.Ones([3, 2]);
        var rows = Tensor.From(new float[] { 1, 1, 2, 2, 3, 3 }, 3, 2);
        var index = Longs(2, 0, 2);
        // Row 0 gets 2·[2,2]; row 2 gets 2·([1,1] + [3,3]); row 1 nothing.
        Assert.Equal(new float[] { 5, 5, 1, 1, 9, 9 }, F(ones.IndexAdd(0, index, rows, alpha: 2)));
        Assert.Equal(new float[] { 1, 1, 1, 1, 1, 1 }, F(ones));
        Assert.Same(ones, ones.IndexAdd_(0, index, rows));
        Assert.Equal(new float[] { 3, 3, 1, 1, 5, 5 }, F(ones));
    }

    [Fact]
    public void MaskedFillAndWhere()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.From(new float[] { 1, 2, 3, 4 });
        var mask = Tensor.From(new[] { true, false, true, false });
        Assert.Equal(new float[] { -1, 2, -1, 4 }, F(x.MaskedFill(mask, -1)));
        Assert.Equal(new float[] { 1, 2, 3, 4 }, F(x));

        var m = Range(2, 3);
        var rowMask = Tensor.From(new[] { false, true }, 2, 1); // broadcasts over columns
        Assert.Equal(new float[] { 0, 1, 2, 0.5f, 0.5f, 0.5f }, F(m.MaskedFill(rowMask, 0.5)));
        Assert.Same(m, m.MaskedFill_(Tensor.From(new[] { true, false, false }), float.NegativeInfinity));
        Assert.Equal(new[] { float.NegativeInfinity, 1, 2, float.NegativeInfinity, 4, 5 }, F(m));

        var chosen = Tensor.Where(Tensor.From(new[] { true, false, true }), Tensor.From(new float[] { 1, 2, 3 }), Tensor.From(new float[] { 10, 20, 30 }));
        Assert.Equal(new float[] { 1, 20, 3 }, F(chosen));
        var broadcast = Tensor.Where(Tensor.From(new[] { false, true }, 2, 1), Range(2, 2), Tensor.From(new float[] { -7 }));
        Assert.Equal(new float[] { -7, -7, 2, 3 }, F(broadcast));
    }

    [Fact]
    public void ExpandRepeatAndRepeatInterleave()
    {
        using var scope = TensorScope.Enter();
        var column = Tensor.From(new float[] { 1, 2 }, 2, 1);
        var expanded = column.Expand(2, 3);
        Assert.Equal(new long[] { 2, 3 }, expanded.Shape);
        Assert.Equal(new float[] { 1, 1, 1, 2, 2, 2 }, F(expanded));
        Assert.False(expanded.IsContiguous); // a stride-0 view, not a copy
        Assert.Equal(new long[] { 2, 4 }, column.Expand(-1, 4).Shape);
        Assert.Equal(new long[] { 3, 2, 2 }, column.Expand(3, 2, 2).Shape);

        var row = Tensor.From(new float[] { 1, 2 });
        var tiled = row.Repeat(2, 2);
        Assert.Equal(new long[] { 2, 4 }, tiled.Shape);
        Assert.Equal(new float[] { 1, 2, 1, 2, 1, 2, 1, 2 }, F(tiled));
        Assert.Equal(new float[] { 1, 2, 1, 2, 1, 2 }, F(row.Repeat(3)));

        Assert.Equal(new float[] { 1, 1, 2, 2 }, F(row.RepeatInterleave(2, 0)));
        Assert.Equal(new float[] { 1, 1, 1, 2, 2, 2 }, F(column.RepeatInterleave(3, 1)));
    }

    [Fact]
    public void SqueezeUnsqueezeAndFlattenChangeOnlyTheShape()
    {
        using var scope = TensorScope.Enter();
        var x = Range(1, 3, 1, 2);
        Assert.Equal(new long[] { 3, 2 }, x.Squeeze().Shape);
        Assert.Equal(new long[] { 3, 1, 2 }, x.Squeeze(0).Shape);
        Assert.Equal(new long[] { 1, 3, 2 }, x.Squeeze(-2).Shape);
        Assert.Equal(new long[] { 1, 3, 1, 2 }, x.Squeeze(1).Shape); // size 3: unchanged
        Assert.Equal(new long[] { 1, 3, 1, 2, 1 }, x.Unsqueeze(-1).Shape);
        Assert.Equal(new long[] { 1, 1, 3, 1, 2 }, x.Unsqueeze(1).Shape);
        Assert.Equal(new long[] { 6 }, x.Flatten().Shape);
        Assert.Equal(new long[] { 1, 3, 2 }, x.Flatten(1, 2).Shape);
        Assert.Equal(new long[] { 1, 6 }, x.Flatten(1).Shape);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, F(x.Squeeze()));
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, F(x.Flatten()));
    }

    [Fact]
    public void TrilAndTriuKeepOneTriangle()
    {
        using var scope = TensorScope.Enter();
        var m = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 3, 3);
        Assert.Equal(new float[] { 1, 0, 0, 4, 5, 0, 7, 8, 9 }, F(m.Tril()));
        Assert.Equal(new float[] { 1, 2, 0, 4, 5, 6, 7, 8, 9 }, F(m.Tril(1)));
        Assert.Equal(new float[] { 0, 0, 0, 4, 0, 0, 7, 8, 0 }, F(m.Tril(-1)));
        Assert.Equal(new float[] { 1, 2, 3, 0, 5, 6, 0, 0, 9 }, F(m.Triu()));
        Assert.Equal(new float[] { 0, 2, 3, 0, 0, 6, 0, 0, 0 }, F(m.Triu(1)));
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, 0, 8, 9 }, F(m.Triu(-1)));

        var wide = Tensor.Ones([2, 4]);
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 1, 0, 0 }, F(wide.Tril()));
        var causal = Tensor.Ones([3, 3], DType.Bool).Tril();
        Assert.Equal(new[] { true, false, false, true, true, false, true, true, true }, causal.ToArray<bool>());
    }

    [Fact]
    public void RollRotatesWithWrapAround()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.From(new float[] { 1, 2, 3, 4, 5 });
        Assert.Equal(new float[] { 4, 5, 1, 2, 3 }, F(x.Roll(2, 0)));
        Assert.Equal(new float[] { 2, 3, 4, 5, 1 }, F(x.Roll(-1, 0)));
        Assert.Equal(new float[] { 1, 2, 3, 4, 5 }, F(x.Roll(5, 0)));
        Assert.Equal(new float[] { 5, 1, 2, 3, 4 }, F(x.Roll(6, 0)));
        var m = Range(2, 3); // [[0,1,2],[3,4,5]]
        Assert.Equal(new float[] { 2, 0, 1, 5, 3, 4 }, F(m.Roll(1, 1)));
        Assert.Equal(new float[] { 3, 4, 5, 0, 1, 2 }, F(m.Roll(1, 0)));
    }

    [Fact]
    public void OpsWorkOnNonContiguousInputs()
    {
        using var scope = TensorScope.Enter();
        var t = Range(2, 3).Transpose(0, 1); // [[0,3],[1,4],[2,5]]
        Assert.Equal(new float[] { 3, 4, 5 }, F(t.Select(1, 1)));
        Assert.Equal(new float[] { 1, 4, 2, 5 }, F(t.Narrow(0, 1, 2)));
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5, 0, 3 }, F(Tensor.Cat([t, t.Narrow(0, 0, 1)])));
        Assert.Equal(new float[] { 3, 0, 4, 1, 5, 2 }, F(t.Roll(1, 1)));
        Assert.Equal(new float[] { 3, 1, 5 }, F(t.Gather(1, Tensor.From(new long[] { 1, 0, 1 }, 3, 1))));
    }
}
