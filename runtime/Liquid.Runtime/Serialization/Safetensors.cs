using System.Buffers;
using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using static System.FormattableString;

namespace Liquid.Runtime.Serialization;

/// <summary>One tensor of a safetensors file: its name, element type, shape and raw little-endian bytes.</summary>
/// <param name="Name">The tensor's key, e.g. <c>h.0.attn.qkv.weight</c>.</param>
/// <param name="DType">The safetensors dtype string: F64, F32, F16, BF16, I64, I32, I16, I8, U8 or BOOL.</param>
/// <param name="Shape">The dimensions, outermost first; empty for a scalar.</param>
/// <param name="Data">
/// The elements in row-major order, little-endian, exactly <c>element size × product of Shape</c> bytes.
/// Entries returned by <see cref="Safetensors.Read(ReadOnlyMemory{byte}, string, out IReadOnlyDictionary{string, string})"/>
/// are views into the caller's buffer (or into one array holding the whole file), not copies.
/// </param>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, ReadOnlyMemory<byte> Data);

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (tensor name → dtype, shape and [begin, end) offsets into the data buffer, plus an optional
/// <c>__metadata__</c> map of strings), then the data buffer.
/// </summary>
/// <remarks>
/// Reading validates the whole header before handing out any tensor and throws only
/// <see cref="SafetensorsException"/>, whose message names the file and, where it applies, the tensor.
/// Files are read whole into one array, so the limit is <see cref="Array.MaxLength"/> bytes;
/// memory-mapping larger checkpoints is future work.
/// </remarks>
public static class Safetensors
{
    /// <summary>The largest JSON header accepted, in bytes (the same limit as the reference implementation).</summary>
    public const int MaxHeaderLength = 100_000_000;

    private const int PrefixLength = sizeof(ulong);
    private const int HeaderAlignment = 8;
    private const string MetadataKey = "__metadata__";

    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8,
        ["F32"] = 4,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["I64"] = 8,
        ["I32"] = 4,
        ["I16"] = 2,
        ["I8"] = 1,
        ["U8"] = 1,
        ["BOOL"] = 1,
    };

    private static readonly string SupportedDTypes = string.Join(", ", ElementSizes.Keys);

    /// <summary>Gets the size in bytes of one element of a safetensors dtype (case-sensitive, e.g. "F32" → 4).</summary>
    /// <returns><see langword="false"/> if the dtype is not one this implementation supports.</returns>
    public static bool TryGetElementSize(string dtype, out int size)
    {
        size = 0;
        return dtype is not null && ElementSizes.TryGetValue(dtype, out size);
    }

    /// <summary>Reads a safetensors file.</summary>
    /// <param name="path">The file to read; it is named in every error message.</param>
    /// <param name="metadata">The <c>__metadata__</c> map, empty if the file has none.</param>
    /// <returns>The tensors in data-buffer order; their data share one array holding the file.</returns>
    /// <exception cref="SafetensorsException">The file cannot be read or breaks the format.</exception>
    public static IReadOnlyList<SafetensorsEntry> Read(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Read(ReadFile(path), path, out metadata);
    }

    /// <summary>Reads safetensors content that is already in memory.</summary>
    /// <param name="bytes">The whole file's content. The returned entries are slices of it, so it must not change while they are used.</param>
    /// <param name="sourceName">The name to put in error messages, usually the file the bytes came from.</param>
    /// <param name="metadata">The <c>__metadata__</c> map, empty if there is none.</param>
    /// <returns>The tensors in data-buffer order.</returns>
    /// <exception cref="SafetensorsException">The content breaks the format.</exception>
    public static IReadOnlyList<SafetensorsEntry> Read(
        ReadOnlyMemory<byte> bytes, string sourceName, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(sourceName);

        ReadOnlySpan<byte> span = bytes.Span;
        if (span.Length < PrefixLength)
        {
            throw TooShort(sourceName, span.Length);
        }

        int headerLength = CheckHeaderLength(
            BinaryPrimitives.ReadUInt64LittleEndian(span), span.Length - PrefixLength, sourceName);
        ReadOnlyMemory<byte> header = bytes.Slice(PrefixLength, headerLength);
        ReadOnlyMemory<byte> buffer = bytes[(PrefixLength + headerLength)..];

        (List<TensorInfo> tensors, metadata) = ParseHeader(header, buffer.Length, sourceName);
        List<TensorInfo> ordered = OrderAndCheckTiling(tensors, buffer.Length, sourceName);

        var entries = new SafetensorsEntry[ordered.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            TensorInfo tensor = ordered[i];
            // Offsets were checked against buffer.Length, which is an int, so the casts cannot truncate.
            ReadOnlyMemory<byte> data = buffer.Slice((int)tensor.Begin, (int)(tensor.End - tensor.Begin));
            entries[i] = new SafetensorsEntry(tensor.Name, tensor.DType, tensor.Shape, data);
        }

        return entries;
    }

    /// <summary>
    /// Writes tensors to a safetensors file, atomically: the bytes go to a temporary file in the same
    /// directory, which then replaces <paramref name="path"/>, so readers never see a partial file.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="entries">The tensors, written in this order, header and data alike.</param>
    /// <param name="metadata">Optional <c>__metadata__</c>; keys are written in ordinal order so the output is deterministic.</param>
    /// <exception cref="SafetensorsException">An entry is invalid (checked before anything is written) or the file cannot be written.</exception>
    public static void Write(
        string path, IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(entries);

        // Materialise once: the sequence is walked for the header and again for the data.
        SafetensorsEntry[] list = entries.ToArray();
        byte[] header = BuildHeader(list, metadata, path);
        WriteAtomically(path, header, list);
    }

    private sealed record TensorInfo(string Name, string DType, long[] Shape, long Begin, long End);

    private static byte[] ReadFile(string path)
    {
        try
        {
            // Unbuffered: the content is read in two large chunks straight into its final array.
            using var stream = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            long fileLength = stream.Length;
            if (fileLength < PrefixLength)
            {
                throw TooShort(path, fileLength);
            }

            Span<byte> prefix = stackalloc byte[PrefixLength];
            stream.ReadExactly(prefix);

            // Check the declared header length against the real size before allocating anything,
            // so a corrupt prefix is reported as such rather than as an out-of-memory failure.
            CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), fileLength - PrefixLength, path);
            if (fileLength > Array.MaxLength)
            {
                throw new SafetensorsException(path, null, Invariant(
                    $"the file is {fileLength} bytes; files over {Array.MaxLength} bytes need memory mapping, which is not supported yet"));
            }

            byte[] bytes = GC.AllocateUninitializedArray<byte>((int)fileLength);
            prefix.CopyTo(bytes);
            stream.ReadExactly(bytes.AsSpan(PrefixLength));
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SafetensorsException(path, null, $"cannot read the file: {e.Message}", e);
        }
    }

    private static SafetensorsException TooShort(string source, long length) =>
        new(source, null, Invariant($"the file is {length} bytes, too short for the 8-byte header length"));

    private static int CheckHeaderLength(ulong declared, long available, string source)
    {
        if (declared > MaxHeaderLength)
        {
            throw new SafetensorsException(source, null, Invariant(
                $"header length {declared} exceeds the limit of {MaxHeaderLength} bytes"));
        }

        if ((long)declared > available)
        {
            throw new SafetensorsException(source, null, Invariant(
                $"header length {declared} runs past the end of the file ({available} bytes follow the 8-byte length)"));
        }

        return (int)declared;
    }

    private static (List<TensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata) ParseHeader(
        ReadOnlyMemory<byte> header, long bufferLength, string source)
    {
        // JsonDocument would reject malformed UTF-8 too, but this gives a plainer message.
        if (!Utf8.IsValid(header.Span))
        {
            throw new SafetensorsException(source, null, "the header is not valid UTF-8");
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(header);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SafetensorsException(source, null,
                    $"the header must be a JSON object, found {Describe(root.ValueKind)}");
            }

            var tensors = new List<TensorInfo>();
            IReadOnlyDictionary<string, string> metadata = ReadOnlyDictionary<string, string>.Empty;
            // JsonDocument keeps duplicate keys, and silently taking one of them would hide a corrupt header.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                string name = property.Name;
                bool isMetadata = name == MetadataKey;
                if (!seen.Add(name))
                {
                    throw isMetadata
                        ? new SafetensorsException(source, null, "__metadata__ appears more than once in the header")
                        : new SafetensorsException(source, name, "the name appears more than once in the header");
                }

                if (isMetadata)
                {
                    metadata = ParseMetadata(property.Value, source);
                }
                else
                {
                    tensors.Add(ParseTensor(name, property.Value, bufferLength, source));
                }
            }

            return (tensors, metadata);
        }
        catch (JsonException e)
        {
            throw new SafetensorsException(source, null, $"the header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Raised when a string escapes an unpaired surrogate (e.g. "\ud800"), which has no UTF-16 form.
            throw new SafetensorsException(source, null, $"the header holds a string that is not valid Unicode: {e.Message}", e);
        }
    }

    private static ReadOnlyDictionary<string, string> ParseMetadata(JsonElement value, string source)
    {
        // The reference implementation models the map as optional, so an explicit null means "none".
        if (value.ValueKind == JsonValueKind.Null)
        {
            return ReadOnlyDictionary<string, string>.Empty;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsException(source, null,
                $"__metadata__ must be an object of string values, found {Describe(value.ValueKind)}");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty property in value.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw new SafetensorsException(source, null,
                    $"__metadata__ value for key '{property.Name}' must be a string, found {Describe(property.Value.ValueKind)}");
            }

            if (!metadata.TryAdd(property.Name, property.Value.GetString()!))
            {
                throw new SafetensorsException(source, null,
                    $"__metadata__ key '{property.Name}' appears more than once");
            }
        }

        return new ReadOnlyDictionary<string, string>(metadata);
    }

    private static TensorInfo ParseTensor(string name, JsonElement value, long bufferLength, string source)
    {
        SafetensorsException Error(string detail) => new(source, name, detail);

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error($"expected an object with dtype, shape and data_offsets, found {Describe(value.ValueKind)}");
        }

        string? dtype = null;
        int elementSize = 0;
        long[]? shape = null;
        long[]? offsets = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype":
                    if (dtype is not null)
                    {
                        throw Error("'dtype' appears more than once");
                    }

                    if (field.Value.ValueKind != JsonValueKind.String)
                    {
                        throw Error($"dtype must be a string, found {Describe(field.Value.ValueKind)}");
                    }

                    dtype = field.Value.GetString()!;
                    if (!TryGetElementSize(dtype, out elementSize))
                    {
                        throw Error($"unknown dtype '{dtype}' (supported: {SupportedDTypes})");
                    }

                    break;

                case "shape":
                    if (shape is not null)
                    {
                        throw Error("'shape' appears more than once");
                    }

                    shape = ParseIntegers(field.Value, "shape", expectedCount: null, Error);
                    break;

                case "data_offsets":
                    if (offsets is not null)
                    {
                        throw Error("'data_offsets' appears more than once");
                    }

                    offsets = ParseIntegers(field.Value, "data_offsets", expectedCount: 2, Error);
                    break;

                // Other fields are ignored, as the reference implementation does.
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Error($"'{missing}' is missing");
        }

        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end)
        {
            throw Error(Invariant($"data_offsets [{begin}, {end}] end before they begin"));
        }

        if (end > bufferLength)
        {
            throw Error(Invariant(
                $"data_offsets [{begin}, {end}] run past the end of the data buffer ({bufferLength} bytes)"));
        }

        if (!TryGetByteLength(elementSize, shape, out long needed))
        {
            throw Error(Invariant($"{FormatType(dtype, shape)} has more than {long.MaxValue} bytes"));
        }

        if (end - begin != needed)
        {
            throw Error(Invariant(
                $"data_offsets [{begin}, {end}] hold {end - begin} bytes but {FormatType(dtype, shape)} needs {needed}"));
        }

        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /// <summary>Parses a JSON array of non-negative integers that fit in a long (shape dims, offsets).</summary>
    private static long[] ParseIntegers(
        JsonElement value, string field, int? expectedCount, Func<string, SafetensorsException> error)
    {
        string expected = expectedCount == 2
            ? $"{field} must be an array of two non-negative integers [begin, end]"
            : $"{field} must be an array of non-negative integers";
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw error($"{expected}, found {Describe(value.ValueKind)}");
        }

        int count = value.GetArrayLength();
        if (expectedCount is int required && count != required)
        {
            throw error(Invariant($"{expected}, found {count} elements"));
        }

        var result = new long[count];
        int index = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long number) || number < 0)
            {
                throw error(Invariant($"{expected}, found {Abbreviate(item.GetRawText())} at index {index}"));
            }

            result[index++] = number;
        }

        return result;
    }

    /// <summary>Checks that the tensors tile the data buffer exactly, and returns them in buffer order.</summary>
    private static List<TensorInfo> OrderAndCheckTiling(List<TensorInfo> tensors, long bufferLength, string source)
    {
        // OrderBy is stable, so zero-size tensors that share an offset keep their header order.
        List<TensorInfo> ordered = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        long covered = 0;
        TensorInfo? previous = null;
        foreach (TensorInfo tensor in ordered)
        {
            if (tensor.Begin < covered)
            {
                // Sorted by start, so only the previous (non-empty) tensor can reach past this start.
                throw new SafetensorsException(source, tensor.Name, Invariant(
                    $"data_offsets [{tensor.Begin}, {tensor.End}] overlap tensor '{previous!.Name}' at [{previous.Begin}, {previous.End}]"));
            }

            if (tensor.Begin > covered)
            {
                throw new SafetensorsException(source, tensor.Name, Invariant(
                    $"bytes [{covered}, {tensor.Begin}) of the data buffer before this tensor belong to no tensor"));
            }

            covered = tensor.End;
            previous = tensor;
        }

        if (covered != bufferLength)
        {
            throw new SafetensorsException(source, null, Invariant(
                $"bytes [{covered}, {bufferLength}) at the end of the data buffer belong to no tensor"));
        }

        return ordered;
    }

    private static bool TryGetByteLength(int elementSize, long[] shape, out long byteLength)
    {
        // A zero dimension empties the tensor whatever the others are, so test it before multiplying.
        if (Array.IndexOf(shape, 0L) >= 0)
        {
            byteLength = 0;
            return true;
        }

        long product = elementSize;
        foreach (long dim in shape)
        {
            if (product > long.MaxValue / dim)
            {
                byteLength = 0;
                return false;
            }

            product *= dim;
        }

        byteLength = product;
        return true;
    }

    private static byte[] BuildHeader(
        SafetensorsEntry[] entries, IReadOnlyDictionary<string, string>? metadata, string path)
    {
        var json = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII names readable; the header is never embedded in HTML.
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var writer = new Utf8JsonWriter(json, options))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach ((string key, string value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    if (key is null || value is null || !IsWellFormedUtf16(key) || !IsWellFormedUtf16(value))
                    {
                        throw new SafetensorsException(path, null,
                            $"__metadata__ entry '{key}' needs a non-null key and value of well-formed Unicode");
                    }

                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            long offset = 0;
            for (int i = 0; i < entries.Length; i++)
            {
                SafetensorsEntry entry = entries[i];
                long byteLength = ValidateEntry(entry, i, names, path);
                writer.WriteStartObject(entry.Name);
                writer.WriteString("dtype", entry.DType);
                writer.WriteStartArray("shape");
                foreach (long dim in entry.Shape)
                {
                    writer.WriteNumberValue(dim);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + byteLength);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += byteLength;
            }

            writer.WriteEndObject();
        }

        // Pad with spaces (JSON whitespace) so the data buffer starts 8-byte aligned and
        // a reader can view F64/I64 data in place.
        int paddedLength = (json.WrittenCount + HeaderAlignment - 1) / HeaderAlignment * HeaderAlignment;
        if (paddedLength > MaxHeaderLength)
        {
            throw new SafetensorsException(path, null, Invariant(
                $"the header would be {paddedLength} bytes, over the limit of {MaxHeaderLength}"));
        }

        byte[] header = new byte[paddedLength];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return header;
    }

    /// <summary>Checks one entry before anything touches the disk, and returns its byte length.</summary>
    private static long ValidateEntry(SafetensorsEntry? entry, int index, HashSet<string> names, string path)
    {
        if (entry is null)
        {
            throw new SafetensorsException(path, null, Invariant($"entry {index} is null"));
        }

        // Records do not enforce nullable annotations, so a caller can still pass null members.
        string? name = entry.Name;
        if (name is null || !IsWellFormedUtf16(name))
        {
            throw new SafetensorsException(path, null, Invariant($"entry {index} needs a name of well-formed Unicode"));
        }

        SafetensorsException Error(string detail) => new(path, name, detail);

        if (name == MetadataKey)
        {
            throw Error("the name is reserved for the metadata map");
        }

        if (!names.Add(name))
        {
            throw Error("the name appears more than once");
        }

        if (!TryGetElementSize(entry.DType, out int elementSize))
        {
            throw Error($"unknown dtype '{entry.DType}' (supported: {SupportedDTypes})");
        }

        if (entry.Shape is null)
        {
            throw Error("the shape is null; use an empty array for a scalar");
        }

        if (Array.Exists(entry.Shape, dim => dim < 0))
        {
            throw Error($"shape {FormatType(entry.DType, entry.Shape)} has a negative dimension");
        }

        if (!TryGetByteLength(elementSize, entry.Shape, out long needed))
        {
            throw Error(Invariant($"{FormatType(entry.DType, entry.Shape)} has more than {long.MaxValue} bytes"));
        }

        if (entry.Data.Length != needed)
        {
            throw Error(Invariant(
                $"the data has {entry.Data.Length} bytes but {FormatType(entry.DType, entry.Shape)} needs {needed}"));
        }

        return needed;
    }

    private static void WriteAtomically(string path, byte[] header, SafetensorsEntry[] entries)
    {
        string? tempPath = null;
        try
        {
            string fullPath = Path.GetFullPath(path);
            // Beside the target, so the final move is a rename within one file system.
            string directory = Path.GetDirectoryName(fullPath) ?? ".";
            tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
            using (var stream = new FileStream(
                tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> prefix = stackalloc byte[PrefixLength];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (SafetensorsEntry entry in entries)
                {
                    stream.Write(entry.Data.Span);
                }

                // Reach the disk before the rename, or a crash could leave a renamed but empty file.
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
            tempPath = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SafetensorsException(path, null, $"cannot write the file: {e.Message}", e);
        }
        finally
        {
            if (tempPath is not null)
            {
                TryDelete(tempPath);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the failure that got us here is the one worth reporting.
        }
    }

    private static bool IsWellFormedUtf16(string text)
    {
        ReadOnlySpan<char> rest = text;
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out _, out int consumed) != OperationStatus.Done)
            {
                return false;
            }

            rest = rest[consumed..];
        }

        return true;
    }

    private static string FormatType(string dtype, long[] shape) =>
        $"{dtype}[{string.Join(", ", shape.Select(dim => dim.ToString(CultureInfo.InvariantCulture)))}]";

    private static string Abbreviate(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 37), "...");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
