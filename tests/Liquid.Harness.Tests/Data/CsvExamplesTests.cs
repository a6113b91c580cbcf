using Liquid.Harness.Data;

namespace Liquid.Harness.Tests.Data;

/// <summary>CSV and TSV files with a header row, mapped to fields by column name.</summary>
public sealed class CsvExamplesTests : DataFolderTest
{
    [Fact]
    public void ScalarsVectorsAndBooleansReadBackInFileOrder()
    {
        // Columns in a scrambled order: the header, not the position, decides where a value goes.
        var path = Write("data.csv",
            "y,x_2,mask,x_0,x_1",
            "3,0.5,true,-1.25,2",
            "0,1e-3,0,4,5.5",
            "",
            "7,-0,FALSE,1E2,6");
        var set = ExampleSet.Load(path, [Float("x", 3), Long("y"), Bool("mask")], NoSplit);

        Assert.Equal(3, set.Count);
        Assert.Equal([3L], set["x"].Shape);
        Assert.Empty(set["y"].Shape);
        Assert.Equal([-1.25f, 2f, 0.5f, 4f, 5.5f, 1e-3f, 100f, 6f, -0f], Floats(set, "x"));
        Assert.Equal([3L, 0L, 7L], Longs(set, "y"));
        Assert.Equal([true, false, false], Bools(set, "mask"));
        Assert.Equal([4f, 5.5f, 1e-3f], set["x"].Example<float>(1).ToArray());
    }

    [Fact]
    public void MatrixFieldTakesRowMajorColumnsAndItsOpenDimensionFromTheHeader()
    {
        var path = Write("seq.csv",
            "x_1_0,x_0_0,x_0_1,x_1_1,x_2_0,x_2_1,label",
            "10,0,1,11,20,21,1",
            "110,100,101,111,120,121,0");
        var set = ExampleSet.Load(path, [Float("x", null, 2), Long("label")], NoSplit);

        Assert.Equal([3L, 2L], set["x"].Shape);
        Assert.Equal([0f, 1f, 10f, 11f, 20f, 21f], set["x"].Example<float>(0).ToArray());
        Assert.Equal([100f, 101f, 110f, 111f, 120f, 121f], set["x"].Example<float>(1).ToArray());
    }

    [Fact]
    public void TsvAndQuotedCsvCellsRead()
    {
        var tsv = Write("data.tsv", "a\tb", "1.5\t2", "3\t-4");
        var set = ExampleSet.Load(tsv, [Float("a"), Long("b")], NoSplit);
        Assert.Equal([1.5f, 3f], Floats(set, "a"));
        Assert.Equal([2L, -4L], Longs(set, "b"));

        var csv = Write("quoted.csv", "\"a\", \"b\"", "\"1.5\",2", " 3 , \"-4\" ");
        var quoted = ExampleSet.Load(csv, [Float("a"), Long("b")], NoSplit);
        Assert.Equal([1.5f, 3f], Floats(quoted, "a"));
        Assert.Equal([2L, -4L], Longs(quoted, "b"));
    }

    [Fact]
    public void RaggedRowNamesFileAndLine()
    {
        var path = Write("ragged.csv", "a,b", "1,2", "3", "4,5");
        AssertDataError(() => ExampleSet.Load(path, [Float("a"), Float("b")], NoSplit), $"{path}:3:", "1 cell,", "2 columns");
    }

    [Theory]
    [InlineData("abc", "is not a number")]
    [InlineData("NaN", "is not finite")]
    [InlineData("inf", "is not finite")]
    [InlineData("-INF", "is not finite")]
    [InlineData("nan", "is not finite")]
    [InlineData("-Infinity", "is not finite")]
    [InlineData("1e39", "outside the float32 range")]
    [InlineData("", "is not a number")]
    public void BadFloatCellNamesLineColumnAndText(string cell, string problem)
    {
        var path = Write("bad.csv", "a,b", "1,2", $"3,{cell}");
        AssertDataError(() => ExampleSet.Load(path, [Float("a"), Float("b")], NoSplit), $"{path}:3:", "column 'b'", $"'{cell}'", problem);
    }

    [Theory]
    [InlineData("3.5", "is not an integer")]
    [InlineData("x", "is not an integer")]
    [InlineData("99999999999999999999", "is not an integer")]
    public void BadIntegerCell(string cell, string problem)
    {
        var path = Write("bad.csv", "y", "1", cell);
        AssertDataError(() => ExampleSet.Load(path, [Long("y")], NoSplit), $"{path}:3:", "column 'y'", problem);
    }

    [Fact]
    public void BadBooleanCell()
    {
        var path = Write("bad.csv", "m", "true", "yes");
        AssertDataError(() => ExampleSet.Load(path, [Bool("m")], NoSplit), $"{path}:3:", "column 'm'", "'yes'", "not a boolean");
    }

    [Fact]
    public void MissingColumnListsTheFilesColumnsAndTheModelsFields()
    {
        var path = Write("data.csv", "a,lable", "1,2");
        AssertDataError(() => ExampleSet.Load(path, [Float("a"), Long("label")], NoSplit),
            $"{path}:1:", "field 'label'", "'a', 'lable'", "a: float[], label: long[]");
    }

    [Fact]
    public void MissingElementColumnOfAVectorFieldIsNamed()
    {
        var path = Write("data.csv", "x_0,x_1,x_3", "1,2,3");
        AssertDataError(() => ExampleSet.Load(path, [Float("x", 4)], NoSplit), $"{path}:1:", "x_2");
    }

    [Fact]
    public void ColumnBeyondTheDeclaredShapeIsAnError()
    {
        var path = Write("data.csv", "x_0,x_1,x_2", "1,2,3");
        AssertDataError(() => ExampleSet.Load(path, [Float("x", 2)], NoSplit), $"{path}:1:", "'x_2'", "x: float[2]");
    }

    [Fact]
    public void UnusedColumnIsAnErrorUnlessAllowed()
    {
        var path = Write("data.csv", "id,a", "17,1", "18,2", "19,3");
        AssertDataError(() => ExampleSet.Load(path, [Float("a")], NoSplit), $"{path}:1:", "'id'", "a: float[]");

        var set = ExampleSet.Load(path, [Float("a")], NoSplit with { AllowUnusedColumns = true });
        Assert.Equal([1f, 2f, 3f], Floats(set, "a"));
    }

    [Fact]
    public void EmptyFileAndHeaderOnlyFileAreErrors()
    {
        var empty = Write("empty.csv", "", "  ");
        AssertDataError(() => ExampleSet.Load(empty, [Float("a")], NoSplit), empty, "empty");
        var header = Write("header.csv", "a");
        AssertDataError(() => ExampleSet.Load(header, [Float("a")], NoSplit), header, "no examples");
    }

    [Fact]
    public void DuplicateColumnAndUnclosedQuoteAreErrors()
    {
        var twice = Write("twice.csv", "a,a", "1,2");
        AssertDataError(() => ExampleSet.Load(twice, [Float("a")], NoSplit), $"{twice}:1:", "'a' twice");
        var quote = Write("quote.csv", "a,b", "1,\"2");
        AssertDataError(() => ExampleSet.Load(quote, [Float("a"), Float("b")], NoSplit), $"{quote}:2:", "not closed");
    }

    [Fact]
    public void AmbiguousColumnIsAnError()
    {
        // h_0 is both the scalar field h_0 and element 0 of the vector field h.
        var path = Write("data.csv", "h_0,h_1", "1,2");
        AssertDataError(() => ExampleSet.Load(path, [Float("h", [null]), Float("h_0")], NoSplit), $"{path}:1:", "'h_0'", "'h' or 'h_0'");
    }

    [Fact]
    public void UnknownFormatAndMissingPathAreErrors()
    {
        var text = Write("data.txt", "a", "1");
        AssertDataError(() => ExampleSet.Load(text, [Float("a")], NoSplit), "unknown data format '.txt'");
        AssertDataError(() => ExampleSet.Load(Path.Combine(Folder, "nope.csv"), [Float("a")]), "nope.csv", "does not exist");
    }
}
