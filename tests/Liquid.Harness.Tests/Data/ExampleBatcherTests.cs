using Liquid.Harness.Data;
using Liquid.Runtime;

namespace Liquid.Harness.Tests.Data;

/// <summary>
/// Shuffled training batches that resume exactly, sequential evaluation batches, and the tensors
/// they come out as. In its own serial collection because it counts live native tensors.
/// </summary>
[Collection(BatcherCollection.Name)]
public sealed class ExampleBatcherTests : DataFolderTest
{
    private ExampleSet Load(int count)
    {
        // id = row number; x = [id, -id]; y = id mod 3; m = id is even.
        var path = Write("data.jsonl", [.. Enumerable.Range(0, count).Select(i => $$"""{"id": {{i}}, "x": [{{i}}, {{-i}}], "y": {{i % 3}}, "m": {{(i % 2 == 0 ? "true" : "false")}}}""")]);
        return ExampleSet.Load(path, [Long("id"), Float("x", 2), Long("y"), Bool("m")]);
    }

    private static long[] Ids(Dictionary<string, Tensor> batch) => batch["id"].ToArray<long>();

    [Fact]
    public void EachEpochVisitsEveryTrainingExampleOnce()
    {
        var set = Load(100);
        var train = set.Train.Indices.ToArray();
        var batcher = new ExampleBatcher(set.Train, batch: 10, seed: 42);
        var drawn = new List<int>();
        for (var step = 0; step < 3 * train.Length / 10; step++) drawn.AddRange(batcher.NextIndices());

        Assert.Equal((ulong)(3 * train.Length), batcher.Position);
        var epochs = drawn.Chunk(train.Length).ToList();
        Assert.Equal(3, epochs.Count);
        foreach (var epoch in epochs) Assert.Equal(train, epoch.Order());
        // Shuffled, and differently each epoch.
        Assert.NotEqual(train, epochs[0]);
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(epochs[1], epochs[2]);
        Assert.Empty(drawn.Intersect(set.Validation.Indices.ToArray().Concat(set.Test.Indices.ToArray())));
    }

    [Fact]
    public void ResumingFromAPositionDrawsWhatTheUninterruptedBatcherDraws()
    {
        var set = Load(37);   // 33 training examples: batches of 4 straddle epoch boundaries
        var straight = new ExampleBatcher(set.Train, 4, seed: 7);
        var expected = Enumerable.Range(0, 40).Select(_ => straight.NextIndices()).ToList();

        foreach (var interruptAt in new[] { 1, 8, 9, 25 })
        {
            var first = new ExampleBatcher(set.Train, 4, seed: 7);
            for (var i = 0; i < interruptAt; i++) first.NextIndices();
            var resumed = new ExampleBatcher(set.Train, 4, seed: 7, position: first.Position);
            for (var i = interruptAt; i < expected.Count; i++) Assert.Equal(expected[i], resumed.NextIndices());
        }

        var otherSeed = new ExampleBatcher(set.Train, 4, seed: 8);
        Assert.NotEqual(expected[0].Concat(expected[1]), otherSeed.NextIndices().Concat(otherSeed.NextIndices()));
    }

    [Fact]
    public void BatchTensorsHoldTheDrawnExamples()
    {
        var set = Load(50);
        var before = Torch.LiveTensors;
        using (TensorScope.Enter())
        {
            var batcher = new ExampleBatcher(set.Train, 6, seed: 3);
            var batch = batcher.Next();
            Assert.Equal(["id", "x", "y", "m"], batch.Keys);
            Assert.Equal([6L], batch["id"].Shape);
            Assert.Equal([6L, 2L], batch["x"].Shape);
            Assert.Equal(DType.Float32, batch["x"].DType);
            Assert.Equal(DType.Int64, batch["y"].DType);
            Assert.Equal(DType.Bool, batch["m"].DType);
            var ids = Ids(batch);
            Assert.Equal(ids.SelectMany(i => new[] { (float)i, -(float)i }), batch["x"].ToArray<float>());
            Assert.Equal(ids.Select(i => i % 3), batch["y"].ToArray<long>());
            Assert.Equal(ids.Select(i => i % 2 == 0), batch["m"].ToArray<bool>());
            Assert.Equal(before + 4, Torch.LiveTensors);
        }
        Assert.Equal(before, Torch.LiveTensors);
    }

    [Fact]
    public void SequentialBatchesCoverASplitInOrder()
    {
        var set = Load(200);   // 10 validation examples
        var before = Torch.LiveTensors;
        var sizes = new List<long>();
        var ids = new List<long>();
        // No scope is open, so the batches belong to this loop, which disposes them.
        foreach (var batch in ExampleBatcher.Sequential(set.Validation, 4))
        {
            sizes.Add(batch["x"].Shape[0]);
            ids.AddRange(Ids(batch));
            foreach (var tensor in batch.Values) tensor.Dispose();
        }
        Assert.Equal([4L, 4L, 2L], sizes);
        Assert.Equal(set.Validation.Indices.ToArray().Select(i => (long)i), ids);
        Assert.Equal(before, Torch.LiveTensors);
    }

    [Fact]
    public void EmptySplitIsAnError()
    {
        var set = ExampleSet.Load(Write("d.csv", "id,x_0,x_1,y,m", "1,1,1,1,1", "2,2,2,2,0"), [Long("id"), Float("x", 2), Long("y"), Bool("m")], NoSplit);
        AssertDataError(() => _ = new ExampleBatcher(set.Validation, 2, 0), "validation split", "empty");
        Assert.Empty(ExampleBatcher.Sequential(set.Test, 2));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BatcherCollection
{
    public const string Name = "Example batcher (counts live tensors)";
}
