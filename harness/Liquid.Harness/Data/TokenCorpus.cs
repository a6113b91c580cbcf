using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Liquid.Harness.Text;

namespace Liquid.Harness.Data;

/// <summary>
/// A corpus tokenized once and cached on disk as a memory-mapped file of int32 ids, keyed by the
/// tokenizer and a hash of the text, with a deterministic train/validation split: the source's own
/// validation split when it has one, else the last share of the tokens.
/// </summary>
public sealed class TokenCorpus : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;

    private TokenCorpus(MemoryMappedFile file, MemoryMappedViewAccessor view, long trainCount, long validationCount, string cachePath)
    {
        _file = file;
        _view = view;
        TrainCount = trainCount;
        ValidationCount = validationCount;
        CachePath = cachePath;
    }

    /// <summary>Tokens in the training split.</summary>
    public long TrainCount { get; }

    /// <summary>Tokens in the validation split.</summary>
    public long ValidationCount { get; }

    /// <summary>The cache file.</summary>
    public string CachePath { get; }

    /// <summary>Copies <paramref name="destination"/>.Length training tokens from <paramref name="offset"/>.</summary>
    public void ReadTrain(long offset, Span<int> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + destination.Length, TrainCount, nameof(offset));
        Read(offset, destination);
    }

    /// <summary>Copies validation tokens from <paramref name="offset"/> (within the validation split).</summary>
    public void ReadValidation(long offset, Span<int> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + destination.Length, ValidationCount, nameof(offset));
        Read(TrainCount + offset, destination);
    }

    // Layout: two int64 counts, then the training ids, then the validation ids (int32, little-endian).
    private unsafe void Read(long offset, Span<int> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        byte* start = null;
        var handle = _view.SafeMemoryMappedViewHandle;
        handle.AcquirePointer(ref start);
        try
        {
            new ReadOnlySpan<int>(start + _view.PointerOffset + 16 + offset * 4, destination.Length).CopyTo(destination);
        }
        finally
        {
            handle.ReleasePointer();
        }
    }

    /// <summary>
    /// Tokenizes <paramref name="texts"/> with <paramref name="tokenizer"/>, or maps the cached result;
    /// <paramref name="validationShare"/> of the tokens become validation when the source has no split.
    /// </summary>
    public static TokenCorpus Load(DataSource.Texts texts, ITokenizer tokenizer, string tokenizerKey, string cacheDirectory, double validationShare = 0.05)
    {
        // Bytes and text of one file differ where it is not UTF-8, so the key says which was encoded,
        // and a byte-encoded corpus is keyed by its bytes (two files differing only in invalid bytes
        // have the same text).
        var bytes = tokenizer is ByteTokenizer && texts.TrainBytes is not null;
        var trainBytes = bytes ? texts.TrainBytes!() : null;
        var validationBytes = bytes && texts.Validation is not null ? texts.ValidationBytes?.Invoke() : null;
        var key = bytes
            ? Hash(tokenizerKey + ":bytes", Convert.ToHexString(SHA256.HashData(trainBytes!)), validationBytes is null ? texts.Validation ?? "" : Convert.ToHexString(SHA256.HashData(validationBytes)),
                validationShare.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
            : Hash(tokenizerKey, texts.Train, texts.Validation ?? "", validationShare.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(cacheDirectory);
        var path = Path.Combine(cacheDirectory, key + ".tokens");
        if (!File.Exists(path))
        {
            int[] train, validation;
            if (texts.Validation is not null)
            {
                train = trainBytes is not null ? ((ByteTokenizer)tokenizer).EncodeBytes(trainBytes) : tokenizer.Encode(texts.Train);
                validation = validationBytes is not null ? ((ByteTokenizer)tokenizer).EncodeBytes(validationBytes) : tokenizer.Encode(texts.Validation);
            }
            else
            {
                var all = trainBytes is not null ? ((ByteTokenizer)tokenizer).EncodeBytes(trainBytes) : tokenizer.Encode(texts.Train);
                var cut = (int)Math.Round(all.Length * (1 - validationShare));
                train = all[..cut];
                validation = all[cut..];
            }
            if (train.Length < 2) throw new DataException($"the training data has only {train.Length} tokens");
            WriteAtomically(path, train, validation);
        }
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        var trainCount = view.ReadInt64(0);
        var validationCount = view.ReadInt64(8);
        if (trainCount < 0 || validationCount < 0 || 16 + (trainCount + validationCount) * 4 > new FileInfo(path).Length)
        {
            view.Dispose();
            file.Dispose();
            File.Delete(path);
            throw new DataException($"token cache {path} was corrupt and has been removed; run again to rebuild it");
        }
        return new TokenCorpus(file, view, trainCount, validationCount, path);
    }

    /// <summary>
    /// The ids of a source's training split: its bytes for the byte tokenizer (lossless), else its text.
    /// </summary>
    public static int[] EncodeTrain(DataSource.Texts texts, ITokenizer tokenizer) =>
        tokenizer is ByteTokenizer bytes && texts.TrainBytes is { } read ? bytes.EncodeBytes(read()) : tokenizer.Encode(texts.Train);

    private static void WriteAtomically(string path, int[] train, int[] validation)
    {
        var temporary = path + "." + Environment.ProcessId + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write((long)train.Length);
            writer.Write((long)validation.Length);
            writer.Write(MemoryMarshal.AsBytes(train.AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(validation.AsSpan()));
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static string Hash(params string[] parts)
    {
        using var sha = SHA256.Create();
        foreach (var part in parts)
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            sha.TransformBlock(BitConverter.GetBytes(bytes.Length), 0, 4, null, 0);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexStringLower(sha.Hash!)[..24];
    }

    /// <summary>Unmaps the cache file.</summary>
    public void Dispose()
    {
        _view.Dispose();
        _file.Dispose();
    }
}
