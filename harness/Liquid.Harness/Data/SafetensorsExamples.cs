using System.Buffers.Binary;
using Liquid.Runtime.Serialization;

namespace Liquid.Harness.Data;

/// <summary>
/// Reads a safetensors file of named tensors whose first dimension counts examples: tensor <c>x</c> of
/// shape [N, T, 3] is field <c>x: float[T, 3]</c> for N examples. A file may hold its own splits by
/// prefixing every name with <c>train.</c>, <c>valid.</c> or <c>test.</c> (<c>train.x</c>,
/// <c>test.x</c> …; train is required). Float fields take F32, F64, F16 or BF16; long fields I64, I32,
/// I16, I8 or U8; bool fields BOOL. NaN and infinities are rejected.
/// </summary>
internal static class SafetensorsExamples
{
    private static readonly (string Prefix, Split Split)[] Prefixes = [("train.", Split.Train), ("valid.", Split.Validation), ("test.", Split.Test)];

    /// <summary>The file's tables: one with a null split for an unprefixed file, else one per split it holds.</summary>
    public static List<(Split? Split, ExampleTable Table)> Read(string path, IReadOnlyList<FieldSpec> fields, bool allowUnused, bool allowSplits)
    {
        IReadOnlyList<SafetensorsEntry> entries;
        try
        {
            entries = Safetensors.Read(path, out _);
        }
        catch (SafetensorsException e)
        {
            throw new DataException(e.Message);
        }
        if (entries.Count == 0) throw new DataException($"{path}: the file holds no tensors");

        var prefixed = entries.Where(e => Prefixes.Any(p => e.Name.StartsWith(p.Prefix, StringComparison.Ordinal))).Select(e => e.Name).ToList();
        if (prefixed.Count == 0) return [(null, ReadGroup(path, "", entries.ToDictionary(e => e.Name, StringComparer.Ordinal), fields, allowUnused))];
        if (!allowSplits)
            throw new DataException($"{path}: this file is already one split of a data set, so its tensors cannot carry split prefixes ({Naming.List(prefixed.Select(n => $"'{n}'"))})");
        if (prefixed.Count != entries.Count)
            throw new DataException($"{path}: either every tensor name starts with train., valid. or test., or none does; these do not: {Naming.List(entries.Select(e => e.Name).Except(prefixed).Select(n => $"'{n}'"))}");

        var result = new List<(Split?, ExampleTable)>();
        foreach (var (prefix, split) in Prefixes)
        {
            var group = entries.Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(e => e.Name[prefix.Length..], StringComparer.Ordinal);
            if (group.Count > 0) result.Add((split, ReadGroup(path, prefix, group, fields, allowUnused)));
            else if (split == Split.Train) throw new DataException($"{path}: the tensors carry split prefixes but none starts with 'train.' ({Naming.List(prefixed.Select(n => $"'{n}'"))})");
        }
        return result;
    }

    private static ExampleTable ReadGroup(string path, string prefix, Dictionary<string, SafetensorsEntry> tensors, IReadOnlyList<FieldSpec> fields, bool allowUnused)
    {
        string Where(string name) => $"{path}: tensor '{prefix}{name}'";
        var table = new Dictionary<string, (long[] Shape, Array Values)>(StringComparer.Ordinal);
        long? count = null;
        string? first = null;
        foreach (var field in fields)
        {
            if (!tensors.TryGetValue(field.Name, out var entry))
                throw Naming.Missing(path, $"tensor '{prefix}{field.Name}'", field, "tensors " + Naming.List(tensors.Keys.Select(n => $"'{prefix}{n}'")), fields);
            if (entry.Shape.Length == 0)
                throw new DataException($"{Where(field.Name)}: is a scalar; its first dimension must count the examples ({field} per example)");
            if (count is { } n && entry.Shape[0] != n)
                throw new DataException($"{path}: tensors '{prefix}{first}' and '{prefix}{field.Name}' disagree on the number of examples (first dimension {n} and {entry.Shape[0]})");
            count = entry.Shape[0];
            first ??= field.Name;
            var shape = entry.Shape[1..];
            if (Naming.Misfit(field, shape) is { } misfit) throw new DataException($"{Where(field.Name)}: {misfit}");
            table[field.Name] = (shape, Convert(entry, field, Where(field.Name)));
        }
        if (count == 0) throw new DataException($"{Where(first!)}: has no examples (its first dimension is 0)");
        if (count > int.MaxValue) throw new DataException($"{Where(first!)}: {count} examples are more than this reader holds in memory");
        if (!allowUnused && tensors.Keys.Where(k => !fields.Any(f => f.Name == k)).ToList() is { Count: > 0 } unused)
            throw Naming.Unused(path, "tensor", unused.Select(n => $"'{prefix}{n}'").ToList(), fields);
        return new ExampleTable(path + (prefix.Length > 0 ? $" ({prefix.TrimEnd('.')})" : ""), (int)count!.Value, table);
    }

    private static Array Convert(SafetensorsEntry entry, FieldSpec field, string where)
    {
        var bytes = entry.Data.Span;
        var count = entry.Shape.Aggregate(1L, (a, b) => a * b);
        if (count > Array.MaxLength) throw new DataException($"{where}: {count} elements are more than one array holds");
        switch (field.Type, entry.DType)
        {
            case (FieldType.Float32, "F32" or "F64" or "F16" or "BF16"):
                var floats = new float[count];
                var size = bytes.Length / (int)Math.Max(count, 1);
                for (var i = 0; i < floats.Length; i++)
                {
                    var item = bytes.Slice(i * size, size);
                    floats[i] = entry.DType switch
                    {
                        "F32" => BinaryPrimitives.ReadSingleLittleEndian(item),
                        "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(item),
                        "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(item),
                        _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(item) << 16),
                    };
                    if (!float.IsFinite(floats[i]))
                        throw new DataException($"{where}: element {Index(i, entry.Shape)} is {(float.IsNaN(floats[i]) ? "NaN" : "infinite or outside the float32 range")} (NaN and infinities are rejected)");
                }
                return floats;
            case (FieldType.Int64, "I64" or "I32" or "I16" or "I8" or "U8"):
                var longs = new long[count];
                var width = bytes.Length / (int)Math.Max(count, 1);
                for (var i = 0; i < longs.Length; i++)
                {
                    var item = bytes.Slice(i * width, width);
                    longs[i] = entry.DType switch
                    {
                        "I64" => BinaryPrimitives.ReadInt64LittleEndian(item),
                        "I32" => BinaryPrimitives.ReadInt32LittleEndian(item),
                        "I16" => BinaryPrimitives.ReadInt16LittleEndian(item),
                        "I8" => (sbyte)item[0],
                        _ => item[0],
                    };
                }
                return longs;
            case (FieldType.Bool, "BOOL"):
                var bools = new bool[count];
                for (var i = 0; i < bools.Length; i++)
                {
                    if (bytes[i] > 1) throw new DataException($"{where}: element {Index(i, entry.Shape)} is byte {bytes[i]}, not a boolean (0 or 1)");
                    bools[i] = bytes[i] == 1;
                }
                return bools;
            default:
                var accepted = field.Type switch
                {
                    FieldType.Float32 => "F32, F64, F16 or BF16",
                    FieldType.Int64 => "I64, I32, I16, I8 or U8",
                    _ => "BOOL",
                };
                throw new DataException($"{where}: dtype {entry.DType} does not fit the model's field {field}, which takes {accepted}");
        }
    }

    private static string Index(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return $"[{string.Join(", ", index)}] (example {index[0]})";
    }
}
