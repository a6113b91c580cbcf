using Liquid.Harness.Data;

namespace Liquid.Harness.Tests.Data;

/// <summary>The built-in corpora read every fortune file Debian installs, in either naming scheme.</summary>
public sealed class FortunesTests
{
    /// <summary>Debian names English files <c>art</c>, Spanish ones <c>arte.fortunes</c>; both have a binary
    /// <c>.dat</c> index and a <c>.u8</c> symlink beside them, which must not be read.</summary>
    [Theory]
    [InlineData("builtin:fortunes", "/usr/share/games/fortunes")]
    [InlineData("builtin:fortunes-es", "/usr/share/games/fortunes/es")]
    public void BuiltinCorpusHoldsTheFirstFortuneOfEveryFile(string spec, string folder)
    {
        var sources = Directory.GetFiles(folder)
            .Where(f => !f.EndsWith(".dat", StringComparison.Ordinal) && !f.EndsWith(".u8", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(sources);

        var text = new DataSource(spec).Read().Train;
        foreach (var file in sources)
        {
            var firstLine = File.ReadLines(file).First(l => l.Trim().Length > 0 && l != "%");
            Assert.Contains(firstLine, text);
        }
        Assert.DoesNotContain('\0', text);   // nothing of the binary .dat indexes
        if (spec.EndsWith("-es", StringComparison.Ordinal)) Assert.Contains("ñ", text);
    }
}
