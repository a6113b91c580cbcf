using Liquid.Harness.Data;

namespace Liquid.Harness.Tests.Data;

/// <summary>JSON Lines, one example per line, nested arrays matching each field's shape.</summary>
public sealed class JsonlExamplesTests : DataFolderTest
{
    private static readonly FieldSpec[] Sequence = [Float("x", null, 3), Float("dt", [null]), Long("y")];

    [Fact]
    public void NestedArraysReadBackWithTheSequenceLengthFromTheData()
    {
        var path = Write("seq.jsonl",
            """{"x": [[1, 2, 3], [4, 5, 6]], "dt": [0.5, 1.5], "y": 3}""",
            "",
            """{"y": -2, "dt": [2, 1e-2], "x": [[-1, -2, -3], [0.25, 0, 1e5]]}""");
        var set = ExampleSet.Load(path, Sequence, NoSplit);

        Assert.Equal(2, set.Count);
        Assert.Equal([2L, 3L], set["x"].Shape);
        Assert.Equal([2L], set["dt"].Shape);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f, -1f, -2f, -3f, 0.25f, 0f, 1e5f], Floats(set, "x"));
        Assert.Equal([0.5f, 1.5f, 2f, 1e-2f], Floats(set, "dt"));
        Assert.Equal([3L, -2L], Longs(set, "y"));
    }

    [Fact]
    public void BooleansAcceptTrueFalseOneAndZero()
    {
        var path = Write("mask.jsonl", """{"m": [true, 0, 1, false]}""", """{"m": [1, 1, false, true]}""");
        var set = ExampleSet.Load(path, [Bool("m", 4)], NoSplit);
        Assert.Equal([true, false, true, false, true, true, false, true], Bools(set, "m"));
    }

    [Fact]
    public void ScalarWhereAnArrayBelongsIsWrongNesting()
    {
        var path = Write("bad.jsonl", """{"x": [[1, 2, 3]], "dt": [1], "y": 0}""", """{"x": [5], "dt": [1], "y": 0}""");
        AssertDataError(() => ExampleSet.Load(path, Sequence, NoSplit), $"{path}:2:", "'x[0]'", "an array of values", "found a number");
    }

    [Fact]
    public void ArrayWhereANumberBelongsIsWrongNesting()
    {
        var path = Write("bad.jsonl", """{"x": [[1, 2, [3]]], "dt": [1], "y": 0}""");
        AssertDataError(() => ExampleSet.Load(path, Sequence, NoSplit), $"{path}:1:", "'x[0][2]'", "must be a number", "found an array");
    }

    [Fact]
    public void FirstExampleTooShallowIsWrongNesting()
    {
        var path = Write("bad.jsonl", """{"x": 5, "dt": [1], "y": 0}""");
        AssertDataError(() => ExampleSet.Load(path, Sequence, NoSplit), $"{path}:1:", "'x' must be an array of arrays", "found a number");
    }

    [Fact]
    public void RaggedInnerArrayIsAnError()
    {
        var path = Write("bad.jsonl", """{"x": [[1, 2, 3], [4, 5]], "dt": [1, 2], "y": 0}""");
        AssertDataError(() => ExampleSet.Load(path, Sequence, NoSplit), $"{path}:1:", "'x[1]' has 2 elements, expected 3");
    }

    [Fact]
    public void SequenceLengthMustMatchAcrossExamples()
    {
        var path = Write("bad.jsonl",
            """{"x": [[1, 2, 3]], "dt": [1], "y": 0}""",
            """{"x": [[1, 2, 3]], "dt": [1], "y": 0}""",
            """{"x": [[1, 2, 3], [4, 5, 6]], "dt": [1, 2], "y": 0}""");
        AssertDataError(() => ExampleSet.Load(path, Sequence, NoSplit), $"{path}:3:", "'x' has 2 elements, expected 1", "same shape");
    }

    [Fact]
    public void KnownDimensionMismatchIsAnError()
    {
        var path = Write("bad.jsonl", """{"x": [[1, 2]], "dt": [1], "y": 0}""");
        AssertDataError(() => ExampleSet.Load(path, Sequence, NoSplit), $"{path}:1:", "[1, 2]", "x: float[?, 3]");
    }

    [Fact]
    public void MissingKeyListsTheKeysAndTheModelsFields()
    {
        var path = Write("bad.jsonl", """{"x": [[1, 2, 3]], "dt": [1], "label": 0}""");
        AssertDataError(() => ExampleSet.Load(path, Sequence, NoSplit), $"{path}:1:", "field 'y'", "'x', 'dt', 'label'", "x: float[?, 3], dt: float[?], y: long[]");
    }

    [Fact]
    public void UnusedKeyIsAnErrorUnlessAllowed()
    {
        var path = Write("extra.jsonl", """{"a": 1, "note": "hello"}""");
        AssertDataError(() => ExampleSet.Load(path, [Float("a")], NoSplit), $"{path}:1:", "'note'", "a: float[]");
        Assert.Equal([1f], Floats(ExampleSet.Load(path, [Float("a")], NoSplit with { AllowUnusedColumns = true }), "a"));
    }

    [Theory]
    [InlineData("""{"a": NaN}""", "not valid JSON")]
    [InlineData("""{"a": 1""", "not valid JSON")]
    [InlineData("""[1, 2]""", "expected a JSON object")]
    [InlineData("""{"a": "1.5"}""", "must be a number, found a string")]
    [InlineData("""{"a": null}""", "must be a number, found null")]
    [InlineData("""{"a": 1e39}""", "outside the float32 range")]
    [InlineData("""{"a": 1, "a": 2}""", "'a' appears twice")]
    public void BadLinesNameFileAndLine(string line, string problem)
    {
        var path = Write("bad.jsonl", """{"a": 0}""", line);
        AssertDataError(() => ExampleSet.Load(path, [Float("a")], NoSplit), $"{path}:2:", problem);
    }

    [Theory]
    [InlineData("2.5", "must be an integer, found 2.5")]
    [InlineData("true", "must be an integer, found a boolean")]
    public void NonIntegerLabelIsAnError(string value, string problem)
    {
        var path = Write("bad.jsonl", $$"""{"y": {{value}}}""");
        AssertDataError(() => ExampleSet.Load(path, [Long("y")], NoSplit), $"{path}:1:", "'y'", problem);
    }

    [Fact]
    public void EmptyArrayAndEmptyFileAreErrors()
    {
        var empty = Write("empty.jsonl", "", "");
        AssertDataError(() => ExampleSet.Load(empty, [Float("a")], NoSplit), empty, "empty");
        var path = Write("bad.jsonl", """{"x": [], "dt": [], "y": 0}""");
        AssertDataError(() => ExampleSet.Load(path, Sequence, NoSplit), $"{path}:1:", "'x' is an empty array");
    }
}
