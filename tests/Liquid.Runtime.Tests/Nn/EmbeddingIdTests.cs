using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>An id outside an embedding's table is a managed error naming the layer, the id and the count.</summary>
public sealed class EmbeddingIdTests
{
    private sealed class Holder : Module
    {
        public Holder() => Table = RegisterModule("wte", new Embedding(new EmbeddingOptions(Count: 5, Dim: 3)));

        public Embedding Table { get; }
    }

    [Theory]
    [InlineData(new long[] { 0, 4, 5, 2 }, 5)]
    [InlineData(new long[] { 3, 1, 9, 7 }, 9)]
    [InlineData(new long[] { 1, -2, 0, 4 }, -2)]
    public void OutOfRangeIdIsNamed(long[] ids, long bad)
    {
        using var holder = new Holder();
        using var input = Tensor.From(ids, 2, 2);
        var error = Assert.Throws<IdOutOfRangeException>(() => holder.Table.Forward(input));
        Assert.Equal(bad, error.Id);
        Assert.Equal(5, error.Count);
        Assert.Equal("wte (Embedding)", error.Layer);
        Assert.Equal($"wte (Embedding): id {bad} is out of range for a vocabulary of 5 (valid ids are 0 to 4)", error.Message);
    }

    [Fact]
    public void ValidIdsStillLookUpTheirRows()
    {
        using var holder = new Holder();
        using var scope = TensorScope.Enter();
        var ids = Tensor.From(new long[] { 4, 0 }, 1, 2);
        var rows = holder.Table.Forward(ids);
        var weight = holder.Table.Weight.ToArray<float>();
        Assert.Equal(weight[12..15].Concat(weight[0..3]).ToArray(), rows.ToArray<float>());
    }
}
