using System.Runtime.InteropServices;
using Liquid.Harness.Data;
using Liquid.Runtime.Serialization;

namespace Liquid.Harness.Tests.Data;

/// <summary>Safetensors files of named tensors whose first dimension counts the examples.</summary>
public sealed class SafetensorsExamplesTests : DataFolderTest
{
    private static SafetensorsEntry Entry<T>(string name, string dtype, T[] values, params long[] shape) where T : unmanaged =>
        new(name, dtype, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    private string WriteTensors(string name, params SafetensorsEntry[] entries)
    {
        var path = Path.Combine(Folder, name);
        Safetensors.Write(path, entries);
        return path;
    }

    [Fact]
    public void TensorsReadBackByNameAndDTypesConvert()
    {
        var path = WriteTensors("data.safetensors",
            Entry("x", "F32", [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f], 2, 2, 3),
            Entry("w", "F64", [0.5, -1.25], 2),
            Entry("h", "F16", [(Half)0.5f, (Half)(-2f)], 2),
            Entry("y", "I32", [7, -3], 2),
            Entry("m", "BOOL", new byte[] { 1, 0, 0, 1 }, 2, 2));
        var set = ExampleSet.Load(path, [Float("x", null, 3), Float("w"), Float("h"), Long("y"), Bool("m", 2)], NoSplit);

        Assert.Equal(2, set.Count);
        Assert.Equal([2L, 3L], set["x"].Shape);
        Assert.Equal([7f, 8f, 9f, 10f, 11f, 12f], set["x"].Example<float>(1).ToArray());
        Assert.Equal([0.5f, -1.25f], Floats(set, "w"));
        Assert.Equal([0.5f, -2f], Floats(set, "h"));
        Assert.Equal([7L, -3L], Longs(set, "y"));
        Assert.Equal([true, false, false, true], Bools(set, "m"));
    }

    [Fact]
    public void PrefixedTensorsAreTheFilesOwnSplits()
    {
        var path = WriteTensors("split.safetensors",
            Entry("train.x", "F32", Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), 20),
            Entry("train.y", "I64", Enumerable.Range(0, 20).Select(i => (long)i).ToArray(), 20),
            Entry("test.x", "F32", [100f, 101f, 102f], 3),
            Entry("test.y", "I64", [100L, 101L, 102L], 3));
        var set = ExampleSet.Load(path, [Float("x"), Long("y")]);

        Assert.Equal(23, set.Count);
        Assert.Equal(3, set.Test.Count);
        Assert.Equal([100L, 101L, 102L], set.Test.Indices.ToArray().Select(i => Longs(set, "y")[i]));
        // No valid. tensors: 5 % of the 20 training examples (1) is carved out as validation, and the note says so.
        Assert.Equal(1, set.Validation.Count);
        Assert.Equal(19, set.Train.Count);
        Assert.Contains(set.Notes, n => n.Contains("no validation split", StringComparison.Ordinal) && n.Contains("5 % (1)", StringComparison.Ordinal));
        Assert.True(set.Validation.Indices[0] < 20);
    }

    [Fact]
    public void MismatchedFirstDimensionsNameBothTensors()
    {
        var path = WriteTensors("bad.safetensors", Entry("x", "F32", [1f, 2f, 3f], 3), Entry("y", "I64", [1L, 2L], 2));
        AssertDataError(() => ExampleSet.Load(path, [Float("x"), Long("y")], NoSplit), path, "'x'", "'y'", "3 and 2");
    }

    [Fact]
    public void MissingTensorListsTheFilesTensorsAndTheModelsFields()
    {
        var path = WriteTensors("bad.safetensors", Entry("x", "F32", [1f], 1), Entry("target", "I64", [1L], 1));
        AssertDataError(() => ExampleSet.Load(path, [Float("x"), Long("y")], NoSplit), path, "field 'y'", "'x', 'target'", "x: float[], y: long[]");
    }

    [Fact]
    public void NaNElementIsNamedByTensorAndIndex()
    {
        var path = WriteTensors("bad.safetensors", Entry("x", "F32", [1f, 2f, 3f, float.NaN], 2, 2));
        AssertDataError(() => ExampleSet.Load(path, [Float("x", 2)], NoSplit), path, "tensor 'x'", "[1, 1] (example 1)", "NaN");
        var infinite = WriteTensors("inf.safetensors", Entry("x", "F64", [1.0, 1e300], 2));
        AssertDataError(() => ExampleSet.Load(infinite, [Float("x")], NoSplit), infinite, "tensor 'x'", "[1] (example 1)", "infinite");
    }

    [Fact]
    public void WrongDTypeShapeOrPrefixesAreErrors()
    {
        var ints = WriteTensors("ints.safetensors", Entry("x", "I64", [1L], 1));
        AssertDataError(() => ExampleSet.Load(ints, [Float("x")], NoSplit), ints, "tensor 'x'", "dtype I64", "F32, F64, F16 or BF16");
        var shape = WriteTensors("shape.safetensors", Entry("x", "F32", [1f, 2f, 3f, 4f], 2, 2));
        AssertDataError(() => ExampleSet.Load(shape, [Float("x", 3)], NoSplit), shape, "tensor 'x'", "[2]", "x: float[3]");
        var scalar = WriteTensors("scalar.safetensors", Entry("x", "F32", [1f]));
        AssertDataError(() => ExampleSet.Load(scalar, [Float("x")], NoSplit), scalar, "tensor 'x'", "scalar");
        var mixed = WriteTensors("mixed.safetensors", Entry("train.x", "F32", [1f], 1), Entry("x", "F32", [1f], 1));
        AssertDataError(() => ExampleSet.Load(mixed, [Float("x")], NoSplit), mixed, "either every tensor name", "'x'");
        var noTrain = WriteTensors("notrain.safetensors", Entry("test.x", "F32", [1f], 1));
        AssertDataError(() => ExampleSet.Load(noTrain, [Float("x")], NoSplit), noTrain, "'train.'");
        var unused = WriteTensors("unused.safetensors", Entry("x", "F32", [1f], 1), Entry("extra", "F32", [1f], 1));
        AssertDataError(() => ExampleSet.Load(unused, [Float("x")], NoSplit), unused, "'extra'", "x: float[]");
        var empty = WriteTensors("empty.safetensors", Entry("x", "F32", Array.Empty<float>(), 0));
        AssertDataError(() => ExampleSet.Load(empty, [Float("x")], NoSplit), empty, "no examples");
    }

    [Fact]
    public void CorruptFileIsOneClearError()
    {
        var path = Path.Combine(Folder, "corrupt.safetensors");
        File.WriteAllBytes(path, [200, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'x']);
        AssertDataError(() => ExampleSet.Load(path, [Float("x")], NoSplit), path, "header length");
        var truncated = Path.Combine(Folder, "short.safetensors");
        File.WriteAllBytes(truncated, [1, 2]);
        AssertDataError(() => ExampleSet.Load(truncated, [Float("x")], NoSplit), truncated, "too short");
    }
}
