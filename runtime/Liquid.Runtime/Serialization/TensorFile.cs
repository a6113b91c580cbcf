using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Serialization;

/// <summary>Named tensors to and from safetensors files; module weights through <see cref="ModuleFiles"/>.</summary>
public static class TensorFile
{
    /// <summary>Writes <paramref name="tensors"/> (sorted by name, so equal inputs give equal bytes), atomically.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => new SafetensorsEntry(t.Key, Code(t.Value.DType, t.Key), t.Value.Shape, t.Value.ToBytes()));
        Safetensors.Write(path, entries, metadata);
    }

    /// <summary>Reads every tensor of a safetensors file; throws <see cref="SafetensorsException"/> for a corrupt file.</summary>
    public static Dictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata, Device device = default)
    {
        var entries = Safetensors.Read(path, out metadata);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in entries)
            {
                var dtype = DTypeOf(entry.DType) ?? throw new SafetensorsException(Path.GetFileName(path), entry.Name, $"dtype {entry.DType} has no tensor type in this runtime");
                result[entry.Name] = Tensor.FromBytes(entry.Data.Span, dtype, entry.Shape, device);
            }
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Reads every tensor of a safetensors file, ignoring its metadata.</summary>
    public static Dictionary<string, Tensor> Load(string path, Device device = default) => Load(path, out _, device);

    /// <summary>The safetensors dtype code of <paramref name="dtype"/> (F32, BF16, I64 …).</summary>
    public static string Code(DType dtype, string tensorName = "") => dtype switch
    {
        DType.Float64 => "F64",
        DType.Float32 => "F32",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        DType.Int16 => "I16",
        DType.Int8 => "I8",
        DType.UInt8 => "U8",
        DType.Bool => "BOOL",
        _ => throw new NotSupportedException($"tensor '{tensorName}': dtype {dtype.Name()} cannot be stored in safetensors"),
    };

    /// <summary>The dtype of a safetensors code, or null if this runtime has none for it.</summary>
    public static DType? DTypeOf(string code) => code switch
    {
        "F64" => DType.Float64,
        "F32" => DType.Float32,
        "F16" => DType.Float16,
        "BF16" => DType.BFloat16,
        "I64" => DType.Int64,
        "I32" => DType.Int32,
        "I16" => DType.Int16,
        "I8" => DType.Int8,
        "U8" => DType.UInt8,
        "BOOL" => DType.Bool,
        _ => null,
    };
}

/// <summary>Saving and loading a module's state dict as safetensors.</summary>
public static class ModuleFiles
{
    /// <summary>Writes the module's state dict (parameters and persistent buffers).</summary>
    public static void SaveWeights(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var state = module.StateDict();
        try
        {
            TensorFile.Save(path, state, metadata);
        }
        finally
        {
            foreach (var tensor in state.Values) tensor.Dispose();
        }
    }

    /// <summary>Loads weights written by <see cref="SaveWeights"/> (or by PyTorch with the same keys); see <see cref="Module.LoadStateDict"/>.</summary>
    public static StateDictReport LoadWeights(this Module module, string path, bool strict = true)
    {
        var state = TensorFile.Load(path);
        try
        {
            return module.LoadStateDict(state, strict);
        }
        finally
        {
            foreach (var tensor in state.Values) tensor.Dispose();
        }
    }
}
