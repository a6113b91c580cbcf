using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

/// <summary>
/// An n-dimensional array on a device, backed by one libtorch tensor (<c>torch.Tensor</c>).
/// </summary>
/// <remarks>
/// A tensor owns native memory: dispose it, or create it inside a <see cref="TensorScope"/>, which
/// disposes what it tracked when it ends. Views share storage with their base, as in PyTorch;
/// disposing a view releases only the view's reference. Ops are split by area across the partial
/// files <c>Tensor.*.cs</c>; each one's XML doc names the PyTorch op it maps to.
/// </remarks>
public sealed partial class Tensor : IDisposable
{
    private readonly TensorHandle _handle;
    private long[]? _shape;
    private DType? _dtype;

    // The scope that will dispose this tensor, if any; Keep() moves it outward.
    internal TensorScope? Scope;

    private Tensor(nint raw)
    {
        _handle = new TensorHandle(raw);
        TensorScope.Track(this);
    }

    /// <summary>Turns a native result into a tensor, or throws the op's <see cref="TorchException"/>.</summary>
    internal static Tensor Wrap(nint raw, [CallerMemberName] string op = "") =>
        raw == IntPtr.Zero ? throw TorchException.FromLastError(op) : new Tensor(raw);

    /// <summary>Throws the op's <see cref="TorchException"/> if a native status reports failure.</summary>
    internal static void Check(int status, [CallerMemberName] string op = "")
    {
        if (status != 0) throw TorchException.FromLastError(op);
    }

    /// <summary>The native handle for a call made by <paramref name="op"/>; refuses disposed tensors.</summary>
    internal TensorHandle H([CallerMemberName] string op = "")
    {
        if (_handle.IsClosed) ThrowDisposed(op);
        return _handle;
    }

    private static void ThrowDisposed(string op) =>
        throw new ObjectDisposedException(nameof(Tensor), $"{op}: the tensor was used after Dispose().");

    /// <summary>True once <see cref="Dispose"/> ran.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>Releases the native tensor now (storage is freed when no view still uses it).</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>Sizes of each dimension (<c>tensor.shape</c>).</summary>
    public long[] Shape => (long[])CachedShape.Clone();

    // A tensor's sizes never change behind its handle (only SetData replaces them, and it drops the
    // cache), so they are read once; Rank and Size use the cached array without copying it.
    private long[] CachedShape
    {
        get
        {
            if (_shape is null)
            {
                var shape = new long[Native.lq_tensor_dim(H())];
                Check(Native.lq_tensor_shape(H(), shape, shape.Length));
                _shape = shape;
            }
            return _shape;
        }
    }

    /// <summary>Number of dimensions (<c>tensor.dim()</c>).</summary>
    public int Rank => CachedShape.Length;

    /// <summary>Size of dimension <paramref name="dim"/>; negative values count from the end.</summary>
    public long Size(int dim)
    {
        var shape = CachedShape;
        var d = dim < 0 ? dim + shape.Length : dim;
        if ((uint)d >= (uint)shape.Length)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"tensor of rank {shape.Length} has no dimension {dim}");
        return shape[d];
    }

    /// <summary>Total number of elements (<c>tensor.numel()</c>).</summary>
    public long NumElements => Native.lq_tensor_numel(H());

    /// <summary>Element type (<c>tensor.dtype</c>).</summary>
    public DType DType => _dtype ??= (DType)Native.lq_tensor_dtype(H());


    /// <summary>Where the tensor lives (<c>tensor.device</c>).</summary>
    public Device Device
    {
        get
        {
            Check(Native.lq_tensor_device(H(), out var type, out var index));
            return new Device((DeviceType)type, index);
        }
    }

    /// <summary>True when the elements are laid out densely in row-major order.</summary>
    public bool IsContiguous => Native.lq_tensor_is_contiguous(H()) == 1;

    /// <summary>A second handle to the same tensor (not a copy), with its own lifetime.</summary>
    public Tensor Alias() => Wrap(Native.lq_tensor_alias(H()));

    /// <summary>
    /// Shape, dtype, device, autograd flag and a preview of the values, e.g.
    /// <c>Tensor[2, 3] float32 cpu [[1, 2, 3], [4, 5, 6]]</c>.
    /// </summary>
    public override string ToString()
    {
        if (IsDisposed) return "Tensor(disposed)";
        var text = new StringBuilder();
        text.Append("Tensor[").Append(string.Join(", ", Shape)).Append("] ").Append(DType.Name()).Append(' ').Append(Device);
        if (RequiresGrad) text.Append(" requires_grad");
        text.Append(' ');
        AppendPreview(text);
        return text.ToString();
    }

    private const int PreviewLimit = 64;

    private void AppendPreview(StringBuilder text)
    {
        if (DType.IsComplex())
        {
            text.Append("(complex values: see Real() and Imag())");
            return;
        }
        var shape = Shape;
        var count = NumElements;
        using var flat = Reshape(-1);
        using var head = flat.Narrow(0, 0, Math.Min(count, PreviewLimit));
        var values = head.ToArray<double>();
        Func<double, string> format = DType == DType.Bool ? v => v != 0 ? "true" : "false" : Format;
        if (count > PreviewLimit)
        {
            text.Append('[').Append(string.Join(", ", values.Select(format))).Append(", … (").Append(count).Append(" values)]");
            return;
        }
        var position = 0;
        AppendNested(text, shape, 0, values, format, ref position);
    }

    private static void AppendNested(StringBuilder text, long[] shape, int dim, double[] values, Func<double, string> format, ref int position)
    {
        if (dim == shape.Length)
        {
            text.Append(format(values[position++]));
            return;
        }
        text.Append('[');
        for (var k = 0; k < shape[dim]; k++)
        {
            if (k > 0) text.Append(", ");
            AppendNested(text, shape, dim + 1, values, format, ref position);
        }
        text.Append(']');
    }

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
