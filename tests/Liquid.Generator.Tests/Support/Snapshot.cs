using System.Text;

namespace Liquid.Generator.Tests.Support;

/// <summary>
/// Approved-file snapshots. <c>Snapshots/&lt;name&gt;.verified.cs</c> holds the approved text; a
/// mismatch writes <c>&lt;name&gt;.received.cs</c> beside it and fails with a line diff. With
/// <c>UPDATE_SNAPSHOTS=1</c> the received text is accepted: the verified file is overwritten and the
/// received file deleted. Review the change in git before committing it.
/// </summary>
internal static class Snapshot
{
    private const int MaxDiffLines = 60;

    public static bool Updating => Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1";

    public static string VerifiedPath(string name) => Path.Combine(Repo.SnapshotsDirectory, name + ".verified.cs");

    public static string ReceivedPath(string name) => Path.Combine(Repo.SnapshotsDirectory, name + ".received.cs");

    /// <summary>Compares <paramref name="actual"/> with the approved snapshot <paramref name="name"/>.</summary>
    public static void Verify(string name, string actual)
    {
        actual = Normalize(actual);
        var verifiedPath = VerifiedPath(name);
        var receivedPath = ReceivedPath(name);
        var verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;

        if (verified == actual)
        {
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }
        if (Updating)
        {
            Directory.CreateDirectory(Repo.SnapshotsDirectory);
            File.WriteAllText(verifiedPath, actual, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(Repo.SnapshotsDirectory);
        File.WriteAllText(receivedPath, actual, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        var relative = Path.GetRelativePath(Repo.Root, verifiedPath);
        var message = verified is null
            ? $"No approved snapshot {relative}. The generated text was written to {Path.GetFileName(receivedPath)}; " +
              "read it, then run the tests with UPDATE_SNAPSHOTS=1 to accept it."
            : $"Generated text differs from {relative} (received text in {Path.GetFileName(receivedPath)}; " +
              $"UPDATE_SNAPSHOTS=1 accepts it):{Environment.NewLine}{Diff(verified, actual)}";
        Assert.Fail(message);
    }

    /// <summary>'\n' line ends and no byte-order mark, so the comparison ignores git's checkout settings.</summary>
    public static string Normalize(string text) => text.TrimStart('\uFEFF').Replace("\r\n", "\n");

    /// <summary>
    /// A unified-style diff: hunks headed by <c>@@ -line,count +line,count @@</c> (1-based, verified
    /// then received), two lines of context, '-' for approved lines, '+' for generated ones.
    /// </summary>
    public static string Diff(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var edits = Edits(a, b);
        var output = new StringBuilder();
        var shown = 0;
        const int context = 2;
        var i = 0;
        while (i < edits.Count)
        {
            if (edits[i].Kind == ' ')
            {
                i++;
                continue;
            }
            var start = Math.Max(0, i - context);
            var end = i;
            // Extend the hunk while changes are closer than 2 × context lines apart.
            var lastChange = i;
            while (end < edits.Count && end - lastChange <= 2 * context)
            {
                if (edits[end].Kind != ' ') lastChange = end;
                end++;
            }
            end = Math.Min(edits.Count, lastChange + context + 1);
            var hunk = edits.GetRange(start, end - start);
            output.Append($"@@ -{hunk[0].A + 1},{hunk.Count(e => e.Kind != '+')} +{hunk[0].B + 1},{hunk.Count(e => e.Kind != '-')} @@").Append(Environment.NewLine);
            foreach (var edit in hunk)
            {
                if (shown++ >= MaxDiffLines)
                {
                    var remaining = edits.Count(e => e.Kind != ' ');
                    output.Append($"… diff cut after {MaxDiffLines} lines ({remaining} changed lines in all); compare the files for the rest").Append(Environment.NewLine);
                    return output.ToString();
                }
                var text = edit.Kind == '+' ? b[edit.B] : a[edit.A];
                output.Append(edit.Kind).Append(' ').Append(text).Append(Environment.NewLine);
            }
            i = end;
        }
        return output.ToString();
    }

    private readonly record struct Edit(char Kind, int A, int B);

    /// <summary>The edit script of a longest-common-subsequence alignment of two line arrays.</summary>
    private static List<Edit> Edits(string[] a, string[] b)
    {
        // Common prefix and suffix first: snapshots usually differ in a few lines, so the quadratic
        // table below stays small.
        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix]) prefix++;
        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[a.Length - 1 - suffix] == b[b.Length - 1 - suffix]) suffix++;

        var n = a.Length - prefix - suffix;
        var m = b.Length - prefix - suffix;
        var edits = new List<Edit>(a.Length + b.Length);
        for (var k = 0; k < prefix; k++) edits.Add(new Edit(' ', k, k));

        if ((long)n * m > 4_000_000)
        {
            // Too large to align: show the middle as replaced wholesale.
            for (var k = 0; k < n; k++) edits.Add(new Edit('-', prefix + k, prefix));
            for (var k = 0; k < m; k++) edits.Add(new Edit('+', prefix + n, prefix + k));
        }
        else
        {
            var lcs = new int[n + 1, m + 1];
            for (var x = n - 1; x >= 0; x--)
                for (var y = m - 1; y >= 0; y--)
                    lcs[x, y] = a[prefix + x] == b[prefix + y] ? lcs[x + 1, y + 1] + 1 : Math.Max(lcs[x + 1, y], lcs[x, y + 1]);
            int p = 0, q = 0;
            while (p < n || q < m)
            {
                if (p < n && q < m && a[prefix + p] == b[prefix + q])
                {
                    edits.Add(new Edit(' ', prefix + p, prefix + q));
                    p++;
                    q++;
                }
                else if (p < n && (q == m || lcs[p + 1, q] >= lcs[p, q + 1]))
                {
                    edits.Add(new Edit('-', prefix + p, prefix + q));
                    p++;
                }
                else
                {
                    edits.Add(new Edit('+', prefix + p, prefix + q));
                    q++;
                }
            }
        }
        for (var k = 0; k < suffix; k++) edits.Add(new Edit(' ', a.Length - suffix + k, b.Length - suffix + k));
        return edits;
    }
}
