using System.Runtime.InteropServices;
using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

public sealed partial class Tensor
{
    /// <summary>
    /// Copies <paramref name="data"/> (row-major) into a new tensor of the matching dtype
    /// (<c>torch.tensor</c>). Without a shape the tensor is one-dimensional.
    /// </summary>
    public static unsafe Tensor From<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, Device device = default) where T : unmanaged
    {
        long count = 1;
        foreach (var size in shape)
        {
            if (size < 0) throw new ArgumentException($"shape [{string.Join(", ", shape.ToArray())}] has a negative size", nameof(shape));
            count *= size;
        }
        if (count != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape.ToArray())}] holds {count} values but {data.Length} were given", nameof(shape));
        var dtype = DTypes.Of<T>();
        fixed (T* pointer = data)
            return Wrap(Native.lq_from_data(pointer, shape, shape.Length, (int)dtype, (int)device.Type, device.Index));
    }

    /// <summary>A tensor of <paramref name="dtype"/> whose row-major element bytes are <paramref name="bytes"/> (little-endian).</summary>
    public static unsafe Tensor FromBytes(ReadOnlySpan<byte> bytes, DType dtype, ReadOnlySpan<long> shape, Device device = default)
    {
        long count = 1;
        foreach (var size in shape) count = checked(count * size);
        if (count * dtype.SizeOf() != bytes.Length)
            throw new ArgumentException($"{dtype.Name()}[{string.Join(", ", shape.ToArray())}] needs {count * dtype.SizeOf()} bytes but {bytes.Length} were given", nameof(bytes));
        fixed (byte* pointer = bytes)
            return Wrap(Native.lq_from_data(pointer, shape, shape.Length, (int)dtype, (int)device.Type, device.Index));
    }

    /// <summary>The row-major element bytes of this tensor (copied to the host).</summary>
    public unsafe byte[] ToBytes()
    {
        var result = new byte[NumElements * DType.SizeOf()];
        fixed (byte* pointer = result)
            Check(Native.lq_copy_to(H(), pointer, result.Length));
        return result;
    }

    /// <summary>A one-dimensional tensor holding <paramref name="data"/>.</summary>
    public static Tensor From<T>(T[] data, Device device = default) where T : unmanaged =>
        From<T>(data, [data.LongLength], device);

    /// <summary>A tensor of the given shape holding <paramref name="data"/> (row-major).</summary>
    public static Tensor From<T>(T[] data, params long[] shape) where T : unmanaged => From<T>(data, shape, default);

    /// <summary>A zero-dimensional tensor holding one value (<c>torch.tensor(value)</c>).</summary>
    public static Tensor Scalar<T>(T value, Device device = default) where T : unmanaged =>
        From<T>(new ReadOnlySpan<T>(in value), ReadOnlySpan<long>.Empty, device);

    /// <summary>
    /// Copies the values to a new array, converting to <typeparamref name="T"/>'s dtype first if needed
    /// (<c>tensor.tolist()</c>, flattened).
    /// </summary>
    public unsafe T[] ToArray<T>() where T : unmanaged
    {
        _ = H(); // a disposed tensor is reported as used by ToArray, not by the DType read below
        var dtype = DTypes.Of<T>();
        if (dtype != DType)
        {
            using var converted = To(dtype);
            return converted.ToArray<T>();
        }
        var result = new T[NumElements];
        fixed (T* pointer = result)
            Check(Native.lq_copy_to(H(), pointer, (long)result.Length * sizeof(T)));
        return result;
    }

    /// <summary>The single value of a one-element tensor as a double (<c>tensor.item()</c>).</summary>
    public double Item()
    {
        Check(Native.lq_item_double(H(), out var value));
        return value;
    }

    /// <summary>The single value of a one-element integer tensor (<c>tensor.item()</c>).</summary>
    public long ItemInt64()
    {
        Check(Native.lq_item_int64(H(), out var value));
        return value;
    }

    /// <summary>Converts to another dtype (<c>tensor.to(dtype)</c>); returns a new handle even if nothing changes.</summary>
    public Tensor To(DType dtype) => Wrap(Native.lq_to(H(), (int)dtype, (int)Device.Type, Device.Index, 0));

    /// <summary>Moves to another device (<c>tensor.to(device)</c>).</summary>
    public Tensor To(Device device) => Wrap(Native.lq_to(H(), (int)DType, (int)device.Type, device.Index, 0));

    /// <summary>Converts dtype and device in one step (<c>tensor.to(device, dtype)</c>).</summary>
    public Tensor To(Device device, DType dtype, bool copy = false) =>
        Wrap(Native.lq_to(H(), (int)dtype, (int)device.Type, device.Index, copy ? 1 : 0));

    /// <summary>A copy with its own storage (<c>tensor.clone()</c>); differentiable.</summary>
    public Tensor Clone() => Wrap(Native.lq_clone(H()));

    /// <summary>Copies <paramref name="source"/>'s values into this tensor in place (<c>tensor.copy_</c>); returns this.</summary>
    public Tensor Copy_(Tensor source)
    {
        Check(Native.lq_copy_(H(), source.H()));
        return this;
    }

    /// <summary>Tensors from a native list result, in order; the list itself is freed.</summary>
    internal static Tensor[] FromList(nint list, [System.Runtime.CompilerServices.CallerMemberName] string op = "")
    {
        if (list == IntPtr.Zero) throw TorchException.FromLastError(op);
        try
        {
            var result = new Tensor[Native.lq_list_size(list)];
            for (var k = 0; k < result.Length; k++) result[k] = Wrap(Native.lq_list_get(list, k), op);
            return result;
        }
        finally
        {
            Native.lq_list_free(list);
        }
    }
}

/// <summary>
/// Raw handles of several tensors for one native call (cat, stack, fused RNN weights). Each handle
/// is AddRef'd for the duration, as the marshaller does for single tensors.
/// </summary>
internal ref struct HandleArray
{
    private readonly TensorHandle[] _owners;
    private readonly nint[] _handles;
    private int _acquired;

    public HandleArray(ReadOnlySpan<Tensor> tensors, string op)
    {
        _owners = new TensorHandle[tensors.Length];
        _handles = new nint[tensors.Length];
        _acquired = 0;
        try
        {
            for (var k = 0; k < tensors.Length; k++)
            {
                var handle = (tensors[k] ?? throw new ArgumentNullException(nameof(tensors), $"{op}: tensor {k} is null")).H(op);
                var added = false;
                handle.DangerousAddRef(ref added);
                _owners[k] = handle;
                _handles[k] = handle.DangerousGetHandle();
                _acquired++;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public readonly ReadOnlySpan<nint> Handles => _handles;

    public void Dispose()
    {
        for (var k = 0; k < _acquired; k++) _owners[k].DangerousRelease();
        _acquired = 0;
    }
}
