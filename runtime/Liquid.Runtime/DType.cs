namespace Liquid.Runtime;

/// <summary>Element types. Values equal libtorch's <c>c10::ScalarType</c> so they cross the ABI as is.</summary>
public enum DType
{
    /// <summary><c>torch.uint8</c></summary>
    UInt8 = 0,
    /// <summary><c>torch.int8</c></summary>
    Int8 = 1,
    /// <summary><c>torch.int16</c></summary>
    Int16 = 2,
    /// <summary><c>torch.int32</c></summary>
    Int32 = 3,
    /// <summary><c>torch.int64</c></summary>
    Int64 = 4,
    /// <summary><c>torch.float16</c></summary>
    Float16 = 5,
    /// <summary><c>torch.float32</c></summary>
    Float32 = 6,
    /// <summary><c>torch.float64</c></summary>
    Float64 = 7,
    /// <summary><c>torch.complex64</c> (results of the FFT family).</summary>
    Complex64 = 9,
    /// <summary><c>torch.complex128</c></summary>
    Complex128 = 10,
    /// <summary><c>torch.bool</c></summary>
    Bool = 11,
    /// <summary><c>torch.bfloat16</c></summary>
    BFloat16 = 15,
}

/// <summary>Facts about <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.UInt8 or DType.Int8 or DType.Bool => 1,
        DType.Int16 or DType.Float16 or DType.BFloat16 => 2,
        DType.Int32 or DType.Float32 => 4,
        DType.Int64 or DType.Float64 or DType.Complex64 => 8,
        DType.Complex128 => 16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for real floating-point types (the ones autograd differentiates).</summary>
    public static bool IsFloatingPoint(this DType dtype) =>
        dtype is DType.Float16 or DType.BFloat16 or DType.Float32 or DType.Float64;

    /// <summary>True for complex types.</summary>
    public static bool IsComplex(this DType dtype) => dtype is DType.Complex64 or DType.Complex128;

    /// <summary>PyTorch's spelling, e.g. <c>float32</c>.</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.UInt8 => "uint8",
        DType.Int8 => "int8",
        DType.Int16 => "int16",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.Float16 => "float16",
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Complex64 => "complex64",
        DType.Complex128 => "complex128",
        DType.Bool => "bool",
        DType.BFloat16 => "bfloat16",
        _ => dtype.ToString(),
    };

    /// <summary>The dtype that holds values of the .NET type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(short)) return DType.Int16;
        if (typeof(T) == typeof(sbyte)) return DType.Int8;
        if (typeof(T) == typeof(byte)) return DType.UInt8;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        if (typeof(T) == typeof(Half)) return DType.Float16;
        if (typeof(T) == typeof(System.Numerics.Complex)) return DType.Complex128;
        throw new NotSupportedException($"no tensor dtype holds .NET type {typeof(T).Name}");
    }
}
