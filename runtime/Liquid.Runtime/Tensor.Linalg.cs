using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

/// <summary>Normalization of the FFT family, as the <c>norm</c> argument of <c>torch.fft</c>.</summary>
public enum FftNorm
{
    /// <summary>No scaling forward, 1/n backward (<c>"backward"</c>, the default).</summary>
    Backward = 0,
    /// <summary>1/n forward, no scaling backward (<c>"forward"</c>).</summary>
    Forward = 1,
    /// <summary>1/√n both ways (<c>"ortho"</c>).</summary>
    Ortho = 2,
}

public sealed partial class Tensor
{
    /// <summary>Matrix product with broadcasting over batch dimensions (<c>torch.matmul</c>).</summary>
    public Tensor MatMul(Tensor other) => Wrap(Native.lq_matmul(H(), other.H()));

    /// <summary>Product of two 2-D matrices (<c>torch.mm</c>).</summary>
    public Tensor Mm(Tensor other) => Wrap(Native.lq_mm(H(), other.H()));

    /// <summary>Batched product of [B, n, m] and [B, m, p] (<c>torch.bmm</c>).</summary>
    public Tensor Bmm(Tensor other) => Wrap(Native.lq_bmm(H(), other.H()));

    /// <summary>beta·this + alpha·(a @ b), batched (<c>torch.baddbmm</c>).</summary>
    public Tensor BAddBmm(Tensor a, Tensor b, double beta = 1, double alpha = 1) =>
        Wrap(Native.lq_baddbmm(H(), a.H(), b.H(), beta, alpha));

    /// <summary>Outer product of two vectors (<c>torch.outer</c>).</summary>
    public Tensor Outer(Tensor other) => Wrap(Native.lq_outer(H(), other.H()));

    /// <summary>FFT of a real signal, non-negative frequencies only (<c>torch.fft.rfft</c>); n &lt; 0 keeps the length.</summary>
    public Tensor Rfft(long n = -1, long dim = -1, FftNorm norm = FftNorm.Backward) => Wrap(Native.lq_fft_rfft(H(), n, dim, (int)norm));

    /// <summary>Inverse of <see cref="Rfft"/>, real output of length n (<c>torch.fft.irfft</c>).</summary>
    public Tensor Irfft(long n = -1, long dim = -1, FftNorm norm = FftNorm.Backward) => Wrap(Native.lq_fft_irfft(H(), n, dim, (int)norm));

    /// <summary>Complex FFT (<c>torch.fft.fft</c>).</summary>
    public Tensor Fft(long n = -1, long dim = -1, FftNorm norm = FftNorm.Backward) => Wrap(Native.lq_fft_fft(H(), n, dim, (int)norm));

    /// <summary>Inverse complex FFT (<c>torch.fft.ifft</c>).</summary>
    public Tensor Ifft(long n = -1, long dim = -1, FftNorm norm = FftNorm.Backward) => Wrap(Native.lq_fft_ifft(H(), n, dim, (int)norm));

    /// <summary>Real part of a complex tensor, as a view (<c>torch.real</c>).</summary>
    public Tensor Real() => Wrap(Native.lq_real(H()));

    /// <summary>Imaginary part of a complex tensor, as a view (<c>torch.imag</c>).</summary>
    public Tensor Imag() => Wrap(Native.lq_imag(H()));

    /// <summary>real + i·imag (<c>torch.complex</c>).</summary>
    public static Tensor Complex(Tensor real, Tensor imag) => Wrap(Native.lq_complex(real.H(), imag.H()));

    /// <summary>A complex tensor seen as real with a trailing dimension of 2 (<c>torch.view_as_real</c>).</summary>
    public Tensor ViewAsReal() => Wrap(Native.lq_view_as_real(H()));
}
