using System.Globalization;
using System.Text.Json;

namespace Liquid.Harness.Training;

/// <summary>
/// Makes checkpoint writes recoverable at every instant. <see cref="Checkpoint.Save"/> writes
/// <c>.NAME.tmp-PID</c>, ends it with a <see cref="MarkerName"/> file listing every file and its
/// size, moves the old <c>NAME/</c> to <c>.NAME.old-PID</c>, moves the new folder to <c>NAME/</c>
/// and deletes the old one. A kill between the two moves leaves no <c>NAME/</c>; loading then
/// takes the newest complete candidate (a temporary folder only if its marker matches its files, an
/// old folder if its files are all there) and moves it back into place. Leftovers of killed saves
/// are deleted once a newer checkpoint is in place.
/// </summary>
public static class CheckpointRecovery
{
    /// <summary>Written last into a checkpoint folder: <c>{"files": {"name": bytes, …}}</c>.</summary>
    public const string MarkerName = "complete.json";

    /// <summary>Files every checkpoint folder holds (older folders without a marker are checked for these).</summary>
    private static readonly string[] Required = ["checkpoint.json", "weights.safetensors", "optimizer.safetensors", "tokenizer.json"];

    /// <summary>Writes the marker of a finished checkpoint folder: every file in it with its size.</summary>
    public static void WriteMarker(string directory)
    {
        var files = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(directory))
            if (Path.GetFileName(file) != MarkerName) files[Path.GetFileName(file)] = new FileInfo(file).Length;
        File.WriteAllText(Path.Combine(directory, MarkerName), JsonSerializer.Serialize(new Dictionary<string, object> { ["files"] = files }));
    }

    /// <summary>
    /// True when <paramref name="directory"/> is a whole checkpoint: its marker's files all exist with
    /// their recorded sizes, or (no marker: written before markers existed, or a former NAME/ folder)
    /// every required file exists. <paramref name="needMarker"/> demands the marker (temporary folders).
    /// </summary>
    public static bool IsComplete(string directory, bool needMarker)
    {
        var marker = Path.Combine(directory, MarkerName);
        if (!File.Exists(marker)) return !needMarker && Required.All(f => File.Exists(Path.Combine(directory, f)));
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(marker));
            foreach (var file in document.RootElement.GetProperty("files").EnumerateObject())
            {
                var path = Path.Combine(directory, file.Name);
                if (Path.GetFileName(file.Name) != file.Name || !File.Exists(path) || new FileInfo(path).Length != file.Value.GetInt64()) return false;
            }
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or IOException)
        {
            return false;
        }
    }

    /// <summary>A folder a save left beside <c>NAME/</c>.</summary>
    private sealed record Candidate(string Path, bool Temporary, long Step);

    /// <summary>
    /// When <paramref name="parent"/>/<paramref name="name"/> is missing, finds the newest complete
    /// checkpoint a killed save left and returns where it can be read: moved back to
    /// <c>NAME/</c> when no other live run holds the folder (said through <paramref name="notice"/>),
    /// else read in place. Null when there is nothing to recover.
    /// </summary>
    public static string? Recover(string parent, string name, Action<string>? notice)
    {
        var target = Path.Combine(parent, name);
        if (Directory.Exists(target) || !Directory.Exists(parent)) return null;
        RunLock.Attempt attempt;
        try
        {
            attempt = RunLock.TryAcquire(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A folder we may not write (no lock file can be made): read the candidate where it lies.
            return Candidates(parent, name).FirstOrDefault()?.Path;
        }
        using var held = attempt.Lock;
        if (held is null)
        {
            // The run writing this folder is between its two moves right now (a few microseconds):
            // give it the moment, then read the candidate where it lies rather than race the run.
            for (var wait = 0; wait < 20 && !Directory.Exists(target); wait++) Thread.Sleep(25);
            return Directory.Exists(target) ? target : Candidates(parent, name).FirstOrDefault()?.Path;
        }
        if (Directory.Exists(target)) return target;
        var best = Candidates(parent, name).FirstOrDefault();
        if (best is null) return null;
        Directory.Move(best.Path, target);
        notice?.Invoke($"recovered {target} from {Path.GetFileName(best.Path)} (step {best.Step}): a save was interrupted before it finished moving folders");
        RemoveLeftovers(parent, name);
        return target;
    }

    /// <summary>
    /// Deletes <c>.NAME.tmp-*</c> and <c>.NAME.old-*</c> folders of saves that can no longer finish:
    /// those of this process and of processes no longer running (a run forced into a folder another
    /// run writes keeps its own until it ends). Call once a newer <c>NAME/</c> is complete.
    /// </summary>
    public static void RemoveLeftovers(string parent, string name)
    {
        foreach (var (path, pid) in Leftovers(parent, name))
        {
            if (pid != Environment.ProcessId && IsRunning(pid)) continue;
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: a leftover that cannot be deleted now goes with the next save.
            }
        }
    }

    private static IEnumerable<Candidate> Candidates(string parent, string name)
    {
        var found = new List<Candidate>();
        foreach (var (path, _) in Leftovers(parent, name))
        {
            var temporary = Path.GetFileName(path).StartsWith($".{name}.tmp-", StringComparison.Ordinal);
            if (!IsComplete(path, needMarker: temporary) || StepOf(path) is not { } step) continue;
            found.Add(new Candidate(path, temporary, step));
        }
        // The newest step wins; at equal steps the folder being swapped in (tmp) is the newer write.
        return found.OrderByDescending(c => c.Step).ThenByDescending(c => c.Temporary).ThenBy(c => c.Path, StringComparer.Ordinal);
    }

    private static IEnumerable<(string Path, int Pid)> Leftovers(string parent, string name)
    {
        if (!Directory.Exists(parent)) yield break;
        foreach (var path in Directory.EnumerateDirectories(parent, $".{name}.*-*"))
        {
            var file = Path.GetFileName(path);
            foreach (var kind in new[] { "tmp", "old" })
            {
                var prefix = $".{name}.{kind}-";
                if (file.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(file[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    yield return (path, pid);
            }
        }
    }

    private static long? StepOf(string directory)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "checkpoint.json")));
            return document.RootElement.TryGetProperty("step", out var step) && step.TryGetInt64(out var value) && value >= 0 ? value : null;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    private static bool IsRunning(int pid) => OperatingSystem.IsLinux() ? Directory.Exists($"/proc/{pid}") : pid == Environment.ProcessId;
}
