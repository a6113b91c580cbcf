namespace Liquid.Tests;

/// <summary>
/// The repository's root folder (the one holding <c>Liquid.Compiler.sln</c>), found from the test
/// binaries wherever they were built. Linked into every test project by tests/Directory.Build.props.
/// </summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Liquid.Compiler.sln"))) return directory.FullName;
        throw new DirectoryNotFoundException($"no folder above {AppContext.BaseDirectory} holds Liquid.Compiler.sln");
    }
}
