namespace Liquid.Generator.Tests.Support;

/// <summary>Paths in the source tree (not the build output), found from the test assembly's location.</summary>
internal static class Repo
{
    /// <summary>The folder that holds <c>Liquid.Compiler.sln</c>.</summary>
    public static string Root => Liquid.Tests.RepositoryRoot.Path;

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
}
