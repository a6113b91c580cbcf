using System.Text;
using System.Text.Json;

namespace Liquid.Harness.Data;

/// <summary>
/// Where training text comes from: a text file or folder, WikiText raw files (split by name), JSONL
/// with a text field, or a built-in corpus from Debian's fortune packages.
/// </summary>
public sealed record DataSource(string Spec, string? Field = null)
{
    /// <summary>Folders where Debian installs the fortune files.</summary>
    private static readonly Dictionary<string, string> Builtins = new(StringComparer.Ordinal)
    {
        ["builtin:fortunes"] = "/usr/share/games/fortunes",
        ["builtin:fortunes-es"] = "/usr/share/games/fortunes/es",
    };

    /// <summary>
    /// The text of each split. <c>Validation</c> is null when the source does not name one.
    /// <c>TrainBytes</c> / <c>ValidationBytes</c> read the same splits as the files' raw bytes
    /// (null for sources that are text by nature: JSONL strings, fortunes), so the byte tokenizer
    /// sees exactly what is on disk, invalid UTF-8 included, where the text has U+FFFD.
    /// </summary>
    public sealed record Texts(string Train, string? Validation, string Description)
    {
        /// <summary>Reads the training split as bytes.</summary>
        public Func<byte[]>? TrainBytes { get; init; }

        /// <summary>Reads the validation split as bytes (null when there is no validation split or no byte form).</summary>
        public Func<byte[]>? ValidationBytes { get; init; }
    }

    /// <summary>Reads the source; a missing path or empty corpus is a clear <see cref="DataException"/>.</summary>
    public Texts Read()
    {
        if (Builtins.TryGetValue(Spec, out var folder)) return new Texts(ReadFortunes(folder), null, Spec);
        if (Spec.StartsWith("builtin:", StringComparison.Ordinal))
            throw new DataException($"unknown built-in corpus '{Spec}': use {string.Join(" or ", Builtins.Keys)}");
        var path = Path.GetFullPath(Spec);
        if (Directory.Exists(path)) return ReadFolder(path);
        if (!File.Exists(path)) throw new DataException($"data file '{Spec}' does not exist");
        return new Texts(ReadFile(path), null, Spec) { TrainBytes = () => ReadFileBytes(path) };
    }

    private Texts ReadFolder(string folder)
    {
        // WikiText raw layout: wiki.train.raw / wiki.valid.raw / wiki.test.raw.
        var train = Path.Combine(folder, "wiki.train.raw");
        if (File.Exists(train))
        {
            var valid = Path.Combine(folder, "wiki.valid.raw");
            return new Texts(File.ReadAllText(train), File.Exists(valid) ? File.ReadAllText(valid) : null, Spec + " (WikiText)")
            {
                TrainBytes = () => File.ReadAllBytes(train),
                ValidationBytes = File.Exists(valid) ? () => File.ReadAllBytes(valid) : null,
            };
        }
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(f) is ".txt" or ".md" or ".raw" or ".jsonl" or "")
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new DataException($"data folder '{Spec}' holds no .txt, .md, .raw or .jsonl files");
        var text = new StringBuilder();
        foreach (var file in files) text.Append(ReadFile(file)).Append('\n');
        return new Texts(text.ToString(), null, $"{Spec} ({files.Count} files)") { TrainBytes = () => ReadFolderBytes(files) };
    }

    // The same concatenation as the text (each file, then a newline), in bytes.
    private byte[] ReadFolderBytes(List<string> files)
    {
        using var bytes = new MemoryStream();
        foreach (var file in files)
        {
            bytes.Write(ReadFileBytes(file));
            bytes.WriteByte((byte)'\n');
        }
        return bytes.ToArray();
    }

    // A text file's bytes as they are (a UTF-8 BOM included: it is in the file); a JSONL file's
    // text fields, which are Unicode strings, as UTF-8.
    private byte[] ReadFileBytes(string path) =>
        path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(ReadFile(path)) : File.ReadAllBytes(path);

    private string ReadFile(string path)
    {
        if (!path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return File.ReadAllText(path);
        var field = Field ?? "text";
        var text = new StringBuilder();
        var line = 0;
        foreach (var json in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(json)) continue;
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String)
                    throw new DataException($"{path}:{line}: no string field '{field}' (choose one with --field)");
                text.Append(value.GetString()).Append('\n');
            }
            catch (JsonException e)
            {
                throw new DataException($"{path}:{line}: not valid JSON ({e.Message})");
            }
        }
        return text.ToString();
    }

    // Fortune files separate entries with a line holding only '%'; the .dat indexes are binary.
    private static string ReadFortunes(string folder)
    {
        if (!Directory.Exists(folder)) throw new DataException($"the built-in corpus needs Debian's fortunes packages ({folder} is missing): run ./liquid once as root, or apt-get install fortunes fortunes-es");
        // English files have no extension (art, science), Spanish ones end in .fortunes
        // (arte.fortunes); the .u8 names beside them are symlinks to the same files.
        var files = Directory.EnumerateFiles(folder)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && Path.GetExtension(f) != ".dat" && new FileInfo(f).LinkTarget is null)
            .Order(StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        foreach (var file in files)
            foreach (var entry in File.ReadAllText(file, Encoding.UTF8).Split("\n%\n"))
                if (entry.Trim().Length > 0) text.Append(entry.Trim('\n')).Append("\n\n");
        if (text.Length == 0) throw new DataException($"no fortunes found in {folder}");
        return text.ToString();
    }
}

/// <summary>Bad or missing training data.</summary>
public sealed class DataException(string message) : Exception(message);
