using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Liquid.Runtime.Serialization;

namespace Liquid.Runtime.Tests.Support;

/// <summary>
/// Reference tensors written by <c>tests/reference/*.py</c> (safetensors files under
/// <c>tests/reference/data/</c>), read with the runtime's own reader and turned into tensors.
/// </summary>
public sealed class Reference
{
        private static readonly Lazy<Reference> s_runtimeOps = new(() => Open("tests/reference/data/runtime_ops.safetensors"));

    private readonly Dictionary<string, SafetensorsEntry> _entries;

    private Reference(string path, IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Metadata = metadata;
        _entries = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>The repository root: the nearest ancestor of the test binaries holding <c>Liquid.Compiler.sln</c>.</summary>
    public static string RepoRoot => Liquid.Tests.RepositoryRoot.Path;

    /// <summary>The values written by <c>tests/reference/make_runtime_ops.py</c>.</summary>
    public static Reference RuntimeOps => s_runtimeOps.Value;

    /// <summary>The file this reference was read from.</summary>
    public string Path { get; }

    /// <summary>The file's <c>__metadata__</c> map.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor name in the file.</summary>
    public IEnumerable<string> Names => _entries.Keys;

    /// <summary>Reads a reference file given relative to the repository root.</summary>
    public static Reference Open(string relativePath)
    {
        var path = System.IO.Path.Combine(RepoRoot, relativePath);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: run tests/reference/regenerate.sh", path);
        var entries = Safetensors.Read(path, out var metadata);
        return new Reference(path, entries, metadata);
    }

    /// <summary>True if the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The dtype string and shape of a stored tensor.</summary>
    public SafetensorsEntry Entry(string name) =>
        _entries.TryGetValue(name, out var entry)
            ? entry
            : throw new KeyNotFoundException($"{Path} has no tensor '{name}' (regenerate with tests/reference/regenerate.sh?)");

    /// <summary>A new tensor holding the stored values, in the stored dtype and shape.</summary>
    public Tensor Load(string name)
    {
        var entry = Entry(name);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian");
        var bytes = entry.Data.Span;
        return entry.DType switch
        {
            "F64" => Tensor.From(MemoryMarshal.Cast<byte, double>(bytes), entry.Shape),
            "F32" => Tensor.From(MemoryMarshal.Cast<byte, float>(bytes), entry.Shape),
            "F16" => Tensor.From(MemoryMarshal.Cast<byte, Half>(bytes), entry.Shape),
            "BF16" => LoadBFloat16(bytes, entry.Shape),
            "I64" => Tensor.From(MemoryMarshal.Cast<byte, long>(bytes), entry.Shape),
            "I32" => Tensor.From(MemoryMarshal.Cast<byte, int>(bytes), entry.Shape),
            "I16" => Tensor.From(MemoryMarshal.Cast<byte, short>(bytes), entry.Shape),
            "I8" => Tensor.From(MemoryMarshal.Cast<byte, sbyte>(bytes), entry.Shape),
            "U8" => Tensor.From(bytes, entry.Shape),
            "BOOL" => Tensor.From(MemoryMarshal.Cast<byte, bool>(bytes), entry.Shape),
            _ => throw new NotSupportedException($"{Path}: tensor '{name}' has dtype {entry.DType}, which Reference cannot load"),
        };
    }

    /// <summary>The stored values as int64, flattened (for small configuration tensors).</summary>
    public long[] LoadInt64(string name)
    {
        using var tensor = Load(name);
        return tensor.ToArray<long>();
    }

    // bfloat16 is the top half of a float32, so widening is exact; the float tensor then narrows back exactly.
    private static Tensor LoadBFloat16(ReadOnlySpan<byte> bytes, long[] shape)
    {
        var values = new float[bytes.Length / 2];
        for (var k = 0; k < values.Length; k++)
            values[k] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * k)..]) << 16);
        using var wide = Tensor.From<float>(values, shape);
        return wide.To(DType.BFloat16);
    }
}
