using Liquid.Harness.Data;

namespace Liquid.Harness.Tests.Data;

/// <summary>Train / validation / test: the source's own split files, else seeded shares of train.</summary>
public sealed class SplitTests : DataFolderTest
{
    private static readonly FieldSpec[] Fields = [Float("x"), Long("id")];

    /// <summary>A CSV whose id column is each example's line order, so a split's ids say which rows it holds.</summary>
    private string WriteRows(string name, int count, int firstId = 0) =>
        Write(name, [.. new[] { "x,id" }.Concat(Enumerable.Range(firstId, count).Select(i => $"{i * 0.5},{i}"))]);

    private static long[] Ids(ExampleSplit split) => split.Indices.ToArray().Select(i => ((long[])split.Set["id"].Values)[i]).ToArray();

    [Fact]
    public void CarvedSplitsAreDisjointCompleteSizedAndDeterministic()
    {
        var path = WriteRows("data.csv", 1000);
        var set = ExampleSet.Load(path, Fields);

        Assert.Equal(50, set.Validation.Count);
        Assert.Equal(50, set.Test.Count);
        Assert.Equal(900, set.Train.Count);
        var all = Ids(set.Train).Concat(Ids(set.Validation)).Concat(Ids(set.Test)).ToList();
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), all.Order());
        // Carved examples are spread over the file, not its tail.
        Assert.True(Ids(set.Validation).Max() - Ids(set.Validation).Min() > 500);
        Assert.Contains(set.Notes, n => n.Contains("no validation or test split", StringComparison.Ordinal) && n.Contains("split seed 0", StringComparison.Ordinal));

        var again = ExampleSet.Load(path, Fields);
        Assert.Equal(Ids(set.Validation), Ids(again.Validation));
        Assert.Equal(Ids(set.Test), Ids(again.Test));

        var reseeded = ExampleSet.Load(path, Fields, new LoadOptions(SplitSeed: 1));
        Assert.NotEqual(Ids(set.Validation), Ids(reseeded.Validation));
        Assert.Equal(50, reseeded.Validation.Count);
    }

    [Fact]
    public void SharesAreOptions()
    {
        var set = ExampleSet.Load(WriteRows("data.csv", 200), Fields, new LoadOptions(ValidationShare: 0.1, TestShare: 0));
        Assert.Equal((180, 20, 0), (set.Train.Count, set.Validation.Count, set.Test.Count));
        Assert.Throws<ArgumentException>(() => ExampleSet.Load(WriteRows("more.csv", 10), Fields, new LoadOptions(ValidationShare: 0.6, TestShare: 0.4)));
    }

    [Fact]
    public void TooFewExamplesToCarveIsAnError()
    {
        var path = WriteRows("two.csv", 2);
        AssertDataError(() => ExampleSet.Load(path, Fields), path, "too few");
    }

    [Fact]
    public void SplitFilesBesideEachOtherAreTheSplits()
    {
        WriteRows("pts.train.csv", 30, firstId: 0);
        WriteRows("pts.valid.csv", 5, firstId: 100);
        var test = WriteRows("pts.test.csv", 4, firstId: 200);
        WriteRows("other.train.csv", 3, firstId: 900);

        // Naming any one of the three files means the whole set.
        foreach (var spec in new[] { Path.Combine(Folder, "pts.train.csv"), test })
        {
            var set = ExampleSet.Load(spec, Fields);
            Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), Ids(set.Train));
            Assert.Equal(Enumerable.Range(100, 5).Select(i => (long)i), Ids(set.Validation));
            Assert.Equal(Enumerable.Range(200, 4).Select(i => (long)i), Ids(set.Test));
            Assert.Empty(set.Notes);
            Assert.EndsWith("pts.valid.csv", set.Validation.Origin);
        }
    }

    [Fact]
    public void FolderOfSplitFilesWithoutValidationCarvesItFromTrainOnly()
    {
        var folder = Path.Combine(Folder, "set");
        WriteRows("set/train.jsonl.txt", 1);   // not a data file: ignored
        Write("set/train.jsonl", [.. Enumerable.Range(0, 40).Select(i => $$"""{"x": {{i}}, "id": {{i}}}""")]);
        Write("set/test.jsonl", [.. Enumerable.Range(500, 10).Select(i => $$"""{"x": {{i}}, "id": {{i}}}""")]);
        Write("set/README.md", "not data");

        var set = ExampleSet.Load(folder, Fields);
        Assert.Equal(Enumerable.Range(500, 10).Select(i => (long)i), Ids(set.Test));
        Assert.Equal(2, set.Validation.Count);  // 5 % of 40
        Assert.Equal(38, set.Train.Count);
        Assert.All(Ids(set.Validation), id => Assert.InRange(id, 0, 39));
        Assert.Empty(Ids(set.Train).Intersect(Ids(set.Validation)));
        Assert.Contains(set.Notes, n => n.Contains("no validation split", StringComparison.Ordinal));
    }

    [Fact]
    public void SplitLayoutErrors()
    {
        var empty = Path.Combine(Folder, "empty");
        Directory.CreateDirectory(empty);
        AssertDataError(() => ExampleSet.Load(empty, Fields), "empty", "no training file");

        var lonely = WriteRows("lonely.test.csv", 3);
        AssertDataError(() => ExampleSet.Load(lonely, Fields), lonely, "lonely.train.csv", "missing");

        WriteRows("two/a.train.csv", 3);
        WriteRows("two/b.train.csv", 3);
        AssertDataError(() => ExampleSet.Load(Path.Combine(Folder, "two"), Fields), "2 train files", "a.train.csv", "b.train.csv");
    }

    [Fact]
    public void SplitFilesMustAgreeOnShapes()
    {
        Write("seq.train.jsonl", """{"x": [1, 2]}""", """{"x": [3, 4]}""");
        var test = Write("seq.test.jsonl", """{"x": [1, 2, 3]}""");
        AssertDataError(() => ExampleSet.Load(test, [Float("x", [null])]), test, "[3]", "[2]", "seq.train.jsonl");
    }

    [Fact]
    public void UnknownBuiltinListsTheKnownOnes()
    {
        AssertDataError(() => ExampleSet.Load("builtin:mnist", Fields), "builtin:mnist", "builtin:fashion-mnist");
    }
}
