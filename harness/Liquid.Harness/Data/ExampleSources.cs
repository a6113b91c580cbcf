using System.Text.RegularExpressions;

namespace Liquid.Harness.Data;

/// <summary>
/// Turns a data spec into the files to read and the split each one holds, then reads them with the
/// reader for their extension. The layouts, in the order they are tried:
/// <list type="bullet">
/// <item><c>builtin:NAME</c>: a built-in data set (its own splits).</item>
/// <item>a folder: its files <c>train.EXT</c>, <c>valid.EXT</c>, <c>test.EXT</c> (or <c>STEM.train.EXT</c> …), one train file required.</item>
/// <item>a file <c>[STEM.]train.EXT</c>, <c>[STEM.]valid.EXT</c> or <c>[STEM.]test.EXT</c>: it and its siblings of the same stem and extension.</item>
/// <item>any other file: all examples in one; a safetensors file may hold <c>train.</c>/<c>valid.</c>/<c>test.</c> prefixed tensors.</item>
/// </list>
/// EXT is csv, tsv, jsonl or safetensors.
/// </summary>
internal static partial class ExampleSources
{
    private static readonly Dictionary<string, Func<IReadOnlyList<FieldSpec>, Action<string>?, List<(Split?, ExampleTable)>>> Builtins = new(StringComparer.Ordinal)
    {
        [FashionMnist.Name] = FashionMnist.Read,
        [SyntheticSets.Spiral] = SyntheticSets.ReadSpiral,
        [SyntheticSets.Oscillator] = SyntheticSets.ReadOscillator,
    };

    private static readonly string[] Extensions = [".csv", ".tsv", ".jsonl", ".safetensors"];

    [GeneratedRegex(@"^(?:(?<stem>.+)\.)?(?<split>train|valid|test)(?<ext>\.[A-Za-z]+)$")]
    private static partial Regex SplitFileName();

    /// <summary>The tables of every split the source has, and a word for its format.</summary>
    public static (List<(Split? Split, ExampleTable Table)> Parts, string Format) Read(string spec, IReadOnlyList<FieldSpec> fields, bool allowUnused, Action<string>? log)
    {
        if (spec.StartsWith("builtin:", StringComparison.Ordinal))
        {
            if (!Builtins.TryGetValue(spec, out var builtin))
                throw new DataException($"unknown built-in data set '{spec}'; the built-in data sets are {string.Join(", ", Builtins.Keys)}");
            return (builtin(fields, log), "built-in");
        }

        var path = Path.GetFullPath(spec);
        if (Directory.Exists(path)) return ReadSplitFiles(FolderSplits(spec, path), fields, allowUnused);
        if (!File.Exists(path)) throw new DataException($"data '{spec}' does not exist (a .csv, .tsv, .jsonl or .safetensors file, a folder of train/valid/test files, or {string.Join(", ", Builtins.Keys)})");
        var extension = Extension(spec, path);
        var match = SplitFileName().Match(Path.GetFileName(path));
        if (match.Success)
        {
            var folder = Path.GetDirectoryName(path)!;
            var stem = match.Groups["stem"].Success ? match.Groups["stem"].Value + "." : "";
            var files = new Dictionary<Split, string>();
            foreach (var (word, split) in SplitWords)
            {
                var sibling = Path.Combine(folder, $"{stem}{word}{match.Groups["ext"].Value}");
                if (File.Exists(sibling)) files[split] = sibling;
            }
            if (!files.ContainsKey(Split.Train))
                throw new DataException($"{path} is one split of a data set, but its train split {Path.Combine(folder, $"{stem}train{match.Groups["ext"].Value}")} is missing");
            return ReadSplitFiles(files, fields, allowUnused);
        }
        return ([.. ReadFile(path, extension, fields, allowUnused, allowSplits: true)], FormatName(extension));
    }

    private static readonly (string Word, Split Split)[] SplitWords = [("train", Split.Train), ("valid", Split.Validation), ("test", Split.Test)];

    private static Dictionary<Split, string> FolderSplits(string spec, string folder)
    {
        var found = new Dictionary<Split, List<string>>();
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            var match = SplitFileName().Match(Path.GetFileName(file));
            if (!match.Success || !Extensions.Contains(match.Groups["ext"].Value.ToLowerInvariant())) continue;
            var split = SplitWords.First(w => w.Word == match.Groups["split"].Value).Split;
            if (!found.TryGetValue(split, out var list)) found[split] = list = [];
            list.Add(file);
        }
        if (!found.ContainsKey(Split.Train))
            throw new DataException($"data folder '{spec}' holds no training file: expected train.EXT (or NAME.train.EXT) with EXT one of {string.Join(", ", Extensions)}, and optionally valid.EXT and test.EXT");
        foreach (var (split, list) in found)
            if (list.Count > 1)
                throw new DataException($"data folder '{spec}' holds {list.Count} {SplitWords.First(w => w.Split == split).Word} files ({string.Join(", ", list.Select(Path.GetFileName))}); keep one per split");
        return found.ToDictionary(f => f.Key, f => f.Value[0]);
    }

    private static (List<(Split?, ExampleTable)>, string) ReadSplitFiles(Dictionary<Split, string> files, IReadOnlyList<FieldSpec> fields, bool allowUnused)
    {
        var parts = new List<(Split?, ExampleTable)>();
        var formats = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (split, file) in files.OrderBy(f => f.Key))
        {
            var extension = Extension(file, file);
            formats.Add(FormatName(extension));
            foreach (var (_, table) in ReadFile(file, extension, fields, allowUnused, allowSplits: false)) parts.Add((split, table));
        }
        return (parts, string.Join("/", formats) + ", split files");
    }

    private static List<(Split?, ExampleTable)> ReadFile(string path, string extension, IReadOnlyList<FieldSpec> fields, bool allowUnused, bool allowSplits) => extension switch
    {
        ".csv" => [(null, CsvExamples.Read(path, ',', fields, allowUnused))],
        ".tsv" => [(null, CsvExamples.Read(path, '\t', fields, allowUnused))],
        ".jsonl" => [(null, JsonlExamples.Read(path, fields, allowUnused))],
        _ => SafetensorsExamples.Read(path, fields, allowUnused, allowSplits),
    };

    private static string Extension(string spec, string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (!Extensions.Contains(extension))
            throw new DataException($"{spec}: unknown data format '{(extension.Length == 0 ? "(no extension)" : extension)}'; use {string.Join(", ", Extensions)}, a folder of split files, or {string.Join(", ", Builtins.Keys)}");
        return extension;
    }

    private static string FormatName(string extension) => extension switch
    {
        ".csv" => "CSV",
        ".tsv" => "TSV",
        ".jsonl" => "JSONL",
        _ => "safetensors",
    };
}
