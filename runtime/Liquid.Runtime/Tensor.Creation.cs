using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

public sealed partial class Tensor
{
    static Tensor() => Torch.EnsureInitialized();

    /// <summary>Uninitialized values (<c>torch.empty</c>).</summary>
    public static Tensor Empty(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device device = default) =>
        Wrap(Native.lq_empty(shape, shape.Length, (int)dtype, (int)device.Type, device.Index));

    /// <summary>All zeros (<c>torch.zeros</c>).</summary>
    public static Tensor Zeros(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device device = default) =>
        Wrap(Native.lq_zeros(shape, shape.Length, (int)dtype, (int)device.Type, device.Index));

    /// <summary>All ones (<c>torch.ones</c>).</summary>
    public static Tensor Ones(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device device = default) =>
        Wrap(Native.lq_ones(shape, shape.Length, (int)dtype, (int)device.Type, device.Index));

    /// <summary>Every element set to <paramref name="value"/> (<c>torch.full</c>).</summary>
    public static Tensor Full(ReadOnlySpan<long> shape, Scalar value, DType dtype = DType.Float32, Device device = default) =>
        Wrap(Native.lq_full(shape, shape.Length, value.Native, (int)dtype, (int)device.Type, device.Index));

    /// <summary>Values start, start+step, … below end (<c>torch.arange</c>).</summary>
    public static Tensor Arange(Scalar start, Scalar end, Scalar step, DType dtype = DType.Int64, Device device = default) =>
        Wrap(Native.lq_arange(start.Native, end.Native, step.Native, (int)dtype, (int)device.Type, device.Index));

    /// <summary>0, 1, …, end−1 (<c>torch.arange(end)</c>).</summary>
    public static Tensor Arange(long end, DType dtype = DType.Int64, Device device = default) => Arange(0L, end, 1L, dtype, device);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive (<c>torch.linspace</c>).</summary>
    public static Tensor Linspace(double start, double end, long steps, DType dtype = DType.Float32, Device device = default) =>
        Wrap(Native.lq_linspace(start, end, steps, (int)dtype, (int)device.Type, device.Index));

    /// <summary>Identity matrix n × m (<c>torch.eye</c>); m defaults to n.</summary>
    public static Tensor Eye(long n, long m = -1, DType dtype = DType.Float32, Device device = default) =>
        Wrap(Native.lq_eye(n, m < 0 ? n : m, (int)dtype, (int)device.Type, device.Index));

    /// <summary>Uniform samples in [0, 1) (<c>torch.rand</c>).</summary>
    public static Tensor Rand(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device device = default) =>
        Wrap(Native.lq_rand(shape, shape.Length, (int)dtype, (int)device.Type, device.Index));

    /// <summary>Standard normal samples (<c>torch.randn</c>).</summary>
    public static Tensor Randn(ReadOnlySpan<long> shape, DType dtype = DType.Float32, Device device = default) =>
        Wrap(Native.lq_randn(shape, shape.Length, (int)dtype, (int)device.Type, device.Index));

    /// <summary>Uniform integers in [low, high) (<c>torch.randint</c>).</summary>
    public static Tensor RandInt(long low, long high, ReadOnlySpan<long> shape, DType dtype = DType.Int64, Device device = default) =>
        Wrap(Native.lq_randint(low, high, shape, shape.Length, (int)dtype, (int)device.Type, device.Index));

    /// <summary>Zeros with this tensor's shape, dtype and device (<c>torch.zeros_like</c>).</summary>
    public Tensor ZerosLike() => Wrap(Native.lq_zeros_like(H()));

    /// <summary>Ones with this tensor's shape, dtype and device (<c>torch.ones_like</c>).</summary>
    public Tensor OnesLike() => Wrap(Native.lq_ones_like(H()));

    /// <summary>Normal samples with this tensor's shape, dtype and device (<c>torch.randn_like</c>).</summary>
    public Tensor RandnLike() => Wrap(Native.lq_randn_like(H()));

    /// <summary>Fills in place with uniform samples in [low, high) (<c>tensor.uniform_</c>); returns this.</summary>
    public Tensor Uniform_(double low, double high)
    {
        Check(Native.lq_uniform_(H(), low, high));
        return this;
    }

    /// <summary>Fills in place with normal samples (<c>tensor.normal_</c>); returns this.</summary>
    public Tensor Normal_(double mean, double std)
    {
        Check(Native.lq_normal_(H(), mean, std));
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/> in place (<c>tensor.fill_</c>); returns this.</summary>
    public Tensor Fill_(Scalar value)
    {
        Check(Native.lq_fill_(H(), value.Native));
        return this;
    }

    /// <summary>Sets every element to zero in place (<c>tensor.zero_</c>); returns this.</summary>
    public Tensor Zero_()
    {
        Check(Native.lq_zero_(H()));
        return this;
    }

    /// <summary>Fills in place with Bernoulli(p) samples (<c>tensor.bernoulli_</c>); returns this.</summary>
    public Tensor Bernoulli_(double p)
    {
        Check(Native.lq_bernoulli_(H(), p));
        return this;
    }
}
