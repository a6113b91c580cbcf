using Liquid.Harness.Data;

namespace Liquid.Harness.Tests.Data;

/// <summary>A temporary folder for the small data files a test writes, removed afterwards.</summary>
public abstract class DataFolderTest : IDisposable
{
    protected string Folder { get; } = Directory.CreateTempSubdirectory("liquid-data-").FullName;

    public void Dispose()
    {
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Writes <paramref name="lines"/> (joined with newlines) to <paramref name="name"/> in the folder.</summary>
    protected string Write(string name, params string[] lines)
    {
        var path = Path.Combine(Folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    /// <summary>Reader tests keep every example in train, so tiny files need no carving.</summary>
    protected static readonly LoadOptions NoSplit = new(ValidationShare: 0, TestShare: 0);

    protected static FieldSpec Float(string name, params long?[] shape) => new(name, FieldType.Float32, shape);

    protected static FieldSpec Long(string name, params long?[] shape) => new(name, FieldType.Int64, shape);

    protected static FieldSpec Bool(string name, params long?[] shape) => new(name, FieldType.Bool, shape);

    /// <summary>
    /// Loading must fail with exactly one <see cref="DataException"/> (not another type, not a crash)
    /// whose message holds every fragment (file and line, the cell, the names …).
    /// </summary>
    protected static DataException AssertDataError(Action load, params string[] fragments)
    {
        var error = Assert.Throws<DataException>(load);
        foreach (var fragment in fragments)
            Assert.True(error.Message.Contains(fragment, StringComparison.Ordinal), $"expected '{fragment}' in: {error.Message}");
        Assert.DoesNotContain("\n", error.Message);
        return error;
    }

    protected static float[] Floats(ExampleSet set, string field) => (float[])set[field].Values;

    protected static long[] Longs(ExampleSet set, string field) => (long[])set[field].Values;

    protected static bool[] Bools(ExampleSet set, string field) => (bool[])set[field].Values;
}
