namespace Liquid.Generator.Tests.Support;

/// <summary>Paths in the source tree (not the build output), found from the test assembly's location.</summary>
internal static class Repo
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The folder that holds <c>Liquid.Compiler.sln</c>.</summary>
    public static string Root => s_root.Value;

    /// <summary><c>models/</c>: the project's own model files.</summary>
    public static string ModelsDirectory => Path.Combine(Root, "models");

    /// <summary>This test project's source folder.</summary>
    public static string TestProjectDirectory => Path.Combine(Root, "tests", "Liquid.Generator.Tests");

    /// <summary>Model files written for these tests.</summary>
    public static string FixturesDirectory => Path.Combine(TestProjectDirectory, "Fixtures");

    /// <summary>Approved generated sources.</summary>
    public static string SnapshotsDirectory => Path.Combine(TestProjectDirectory, "Snapshots");

    /// <summary>Every <c>models/*.model.yaml</c>, ordered by file name.</summary>
    public static IReadOnlyList<string> ModelFiles => ModelFilesIn(ModelsDirectory);

    /// <summary>Every <c>Fixtures/*.model.yaml</c>, ordered by file name.</summary>
    public static IReadOnlyList<string> FixtureFiles => ModelFilesIn(FixturesDirectory);

    private static IReadOnlyList<string> ModelFilesIn(string directory) =>
        Directory.GetFiles(directory, "*.model.yaml").OrderBy(Path.GetFileName, StringComparer.Ordinal).ToList();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Liquid.Compiler.sln"))) return directory.FullName;
        throw new DirectoryNotFoundException("no Liquid.Compiler.sln above " + AppContext.BaseDirectory);
    }
}
