using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

// Pointwise arithmetic, comparisons and activations. Binary ops broadcast as in PyTorch.
public sealed partial class Tensor
{
    /// <summary>Element-wise sum (<c>torch.add</c>).</summary>
    public Tensor Add(Tensor other) => Wrap(Native.lq_add(H(), other.H()));

    /// <summary>Element-wise sum with a scalar (<c>torch.add</c>).</summary>
    public Tensor Add(Scalar other) => Wrap(Native.lq_add_scalar(H(), other.Native));

    /// <summary>Element-wise difference (<c>torch.sub</c>).</summary>
    public Tensor Sub(Tensor other) => Wrap(Native.lq_sub(H(), other.H()));

    /// <summary>Element-wise difference with a scalar (<c>torch.sub</c>).</summary>
    public Tensor Sub(Scalar other) => Wrap(Native.lq_sub_scalar(H(), other.Native));

    /// <summary>Element-wise product (<c>torch.mul</c>).</summary>
    public Tensor Mul(Tensor other) => Wrap(Native.lq_mul(H(), other.H()));

    /// <summary>Element-wise product with a scalar (<c>torch.mul</c>).</summary>
    public Tensor Mul(Scalar other) => Wrap(Native.lq_mul_scalar(H(), other.Native));

    /// <summary>Element-wise true division (<c>torch.div</c>).</summary>
    public Tensor Div(Tensor other) => Wrap(Native.lq_div(H(), other.H()));

    /// <summary>Element-wise true division with a scalar (<c>torch.div</c>).</summary>
    public Tensor Div(Scalar other) => Wrap(Native.lq_div_scalar(H(), other.Native));

    /// <summary>Element-wise power (<c>torch.pow</c>).</summary>
    public Tensor Pow(Tensor other) => Wrap(Native.lq_pow(H(), other.H()));

    /// <summary>Element-wise power with a scalar (<c>torch.pow</c>).</summary>
    public Tensor Pow(Scalar other) => Wrap(Native.lq_pow_scalar(H(), other.Native));

    /// <summary>Python-style remainder (sign of the divisor) (<c>torch.remainder</c>).</summary>
    public Tensor Remainder(Tensor other) => Wrap(Native.lq_remainder(H(), other.H()));

    /// <summary>Python-style remainder (sign of the divisor) with a scalar (<c>torch.remainder</c>).</summary>
    public Tensor Remainder(Scalar other) => Wrap(Native.lq_remainder_scalar(H(), other.Native));

    /// <summary>Element-wise floor division (<c>torch.floor_divide</c>).</summary>
    public Tensor FloorDivide(Tensor other) => Wrap(Native.lq_floor_divide(H(), other.H()));

    /// <summary>Element-wise floor division with a scalar (<c>torch.floor_divide</c>).</summary>
    public Tensor FloorDivide(Scalar other) => Wrap(Native.lq_floor_divide_scalar(H(), other.Native));

    /// <summary>Element-wise ==, as a bool tensor (<c>torch.eq</c>).</summary>
    public Tensor Eq(Tensor other) => Wrap(Native.lq_eq(H(), other.H()));

    /// <summary>Element-wise ==, as a bool tensor with a scalar (<c>torch.eq</c>).</summary>
    public Tensor Eq(Scalar other) => Wrap(Native.lq_eq_scalar(H(), other.Native));

    /// <summary>Element-wise !=, as a bool tensor (<c>torch.ne</c>).</summary>
    public Tensor Ne(Tensor other) => Wrap(Native.lq_ne(H(), other.H()));

    /// <summary>Element-wise !=, as a bool tensor with a scalar (<c>torch.ne</c>).</summary>
    public Tensor Ne(Scalar other) => Wrap(Native.lq_ne_scalar(H(), other.Native));

    /// <summary>Element-wise &lt;, as a bool tensor (<c>torch.lt</c>).</summary>
    public Tensor Lt(Tensor other) => Wrap(Native.lq_lt(H(), other.H()));

    /// <summary>Element-wise &lt;, as a bool tensor with a scalar (<c>torch.lt</c>).</summary>
    public Tensor Lt(Scalar other) => Wrap(Native.lq_lt_scalar(H(), other.Native));

    /// <summary>Element-wise &lt;=, as a bool tensor (<c>torch.le</c>).</summary>
    public Tensor Le(Tensor other) => Wrap(Native.lq_le(H(), other.H()));

    /// <summary>Element-wise &lt;=, as a bool tensor with a scalar (<c>torch.le</c>).</summary>
    public Tensor Le(Scalar other) => Wrap(Native.lq_le_scalar(H(), other.Native));

    /// <summary>Element-wise &gt;, as a bool tensor (<c>torch.gt</c>).</summary>
    public Tensor Gt(Tensor other) => Wrap(Native.lq_gt(H(), other.H()));

    /// <summary>Element-wise &gt;, as a bool tensor with a scalar (<c>torch.gt</c>).</summary>
    public Tensor Gt(Scalar other) => Wrap(Native.lq_gt_scalar(H(), other.Native));

    /// <summary>Element-wise &gt;=, as a bool tensor (<c>torch.ge</c>).</summary>
    public Tensor Ge(Tensor other) => Wrap(Native.lq_ge(H(), other.H()));

    /// <summary>Element-wise &gt;=, as a bool tensor with a scalar (<c>torch.ge</c>).</summary>
    public Tensor Ge(Scalar other) => Wrap(Native.lq_ge_scalar(H(), other.Native));

    /// <summary>In-place <see cref="Add(Tensor)"/> (<c>tensor.add_</c>); returns this.</summary>
    public Tensor Add_(Tensor other)
    {
        Check(Native.lq_add_(H(), other.H()));
        return this;
    }

    /// <summary>In-place <see cref="Add(Scalar)"/> (<c>tensor.add_</c>); returns this.</summary>
    public Tensor Add_(Scalar other)
    {
        Check(Native.lq_add_scalar_(H(), other.Native));
        return this;
    }

    /// <summary>In-place <see cref="Sub(Tensor)"/> (<c>tensor.sub_</c>); returns this.</summary>
    public Tensor Sub_(Tensor other)
    {
        Check(Native.lq_sub_(H(), other.H()));
        return this;
    }

    /// <summary>In-place <see cref="Sub(Scalar)"/> (<c>tensor.sub_</c>); returns this.</summary>
    public Tensor Sub_(Scalar other)
    {
        Check(Native.lq_sub_scalar_(H(), other.Native));
        return this;
    }

    /// <summary>In-place <see cref="Mul(Tensor)"/> (<c>tensor.mul_</c>); returns this.</summary>
    public Tensor Mul_(Tensor other)
    {
        Check(Native.lq_mul_(H(), other.H()));
        return this;
    }

    /// <summary>In-place <see cref="Mul(Scalar)"/> (<c>tensor.mul_</c>); returns this.</summary>
    public Tensor Mul_(Scalar other)
    {
        Check(Native.lq_mul_scalar_(H(), other.Native));
        return this;
    }

    /// <summary>In-place <see cref="Div(Tensor)"/> (<c>tensor.div_</c>); returns this.</summary>
    public Tensor Div_(Tensor other)
    {
        Check(Native.lq_div_(H(), other.H()));
        return this;
    }

    /// <summary>In-place <see cref="Div(Scalar)"/> (<c>tensor.div_</c>); returns this.</summary>
    public Tensor Div_(Scalar other)
    {
        Check(Native.lq_div_scalar_(H(), other.Native));
        return this;
    }

    /// <summary>this += alpha · other in place (<c>tensor.add_(other, alpha=alpha)</c>); returns this.</summary>
    public Tensor AddScaled_(Tensor other, Scalar alpha)
    {
        Check(Native.lq_add_scaled_(H(), other.H(), alpha.Native));
        return this;
    }

    /// <summary>this += value · a · b in place (<c>tensor.addcmul_</c>); returns this.</summary>
    public Tensor AddCMul_(Tensor a, Tensor b, Scalar value)
    {
        Check(Native.lq_addcmul_(H(), a.H(), b.H(), value.Native));
        return this;
    }

    /// <summary>this += value · a / b in place (<c>tensor.addcdiv_</c>); returns this.</summary>
    public Tensor AddCDiv_(Tensor a, Tensor b, Scalar value)
    {
        Check(Native.lq_addcdiv_(H(), a.H(), b.H(), value.Native));
        return this;
    }

    /// <summary>this += weight · (end − this) in place (<c>tensor.lerp_</c>); returns this.</summary>
    public Tensor Lerp_(Tensor end, Scalar weight)
    {
        Check(Native.lq_lerp_(H(), end.H(), weight.Native));
        return this;
    }

    /// <summary>Element-wise maximum of two tensors (<c>torch.maximum</c>).</summary>
    public Tensor Maximum(Tensor other) => Wrap(Native.lq_maximum(H(), other.H()));

    /// <summary>Element-wise minimum of two tensors (<c>torch.minimum</c>).</summary>
    public Tensor Minimum(Tensor other) => Wrap(Native.lq_minimum(H(), other.H()));

    /// <summary>Element-wise logical and (<c>torch.logical_and</c>).</summary>
    public Tensor LogicalAnd(Tensor other) => Wrap(Native.lq_logical_and(H(), other.H()));

    /// <summary>Element-wise logical or (<c>torch.logical_or</c>).</summary>
    public Tensor LogicalOr(Tensor other) => Wrap(Native.lq_logical_or(H(), other.H()));

    /// <summary>Element-wise logical exclusive or (<c>torch.logical_xor</c>).</summary>
    public Tensor LogicalXor(Tensor other) => Wrap(Native.lq_logical_xor(H(), other.H()));

    /// <summary>scalar − tensor (<c>torch.rsub</c>).</summary>
    public Tensor RSub(Scalar value) => Wrap(Native.lq_rsub_scalar(H(), value.Native));

    /// <summary>scalar / tensor.</summary>
    public Tensor RDiv(Scalar value) => Wrap(Native.lq_scalar_div(value.Native, H()));

    /// <summary>scalar ^ tensor (<c>torch.pow(scalar, tensor)</c>).</summary>
    public Tensor RPow(Scalar value) => Wrap(Native.lq_scalar_pow(value.Native, H()));

    /// <summary>Negation (<c>torch.neg</c>).</summary>
    public Tensor Neg() => Wrap(Native.lq_neg(H()));

    /// <summary>Absolute value (<c>torch.abs</c>).</summary>
    public Tensor Abs() => Wrap(Native.lq_abs(H()));

    /// <summary>Sign (−1, 0, 1) (<c>torch.sign</c>).</summary>
    public Tensor Sign() => Wrap(Native.lq_sign(H()));

    /// <summary>eˣ (<c>torch.exp</c>).</summary>
    public Tensor Exp() => Wrap(Native.lq_exp(H()));

    /// <summary>eˣ − 1, accurate near 0 (<c>torch.expm1</c>).</summary>
    public Tensor Expm1() => Wrap(Native.lq_expm1(H()));

    /// <summary>Natural logarithm (<c>torch.log</c>).</summary>
    public Tensor Log() => Wrap(Native.lq_log(H()));

    /// <summary>ln(1 + x), accurate near 0 (<c>torch.log1p</c>).</summary>
    public Tensor Log1p() => Wrap(Native.lq_log1p(H()));

    /// <summary>Square root (<c>torch.sqrt</c>).</summary>
    public Tensor Sqrt() => Wrap(Native.lq_sqrt(H()));

    /// <summary>1/√x (<c>torch.rsqrt</c>).</summary>
    public Tensor Rsqrt() => Wrap(Native.lq_rsqrt(H()));

    /// <summary>x² (<c>torch.square</c>).</summary>
    public Tensor Square() => Wrap(Native.lq_square(H()));

    /// <summary>1/x (<c>torch.reciprocal</c>).</summary>
    public Tensor Reciprocal() => Wrap(Native.lq_reciprocal(H()));

    /// <summary>Sine (<c>torch.sin</c>).</summary>
    public Tensor Sin() => Wrap(Native.lq_sin(H()));

    /// <summary>Cosine (<c>torch.cos</c>).</summary>
    public Tensor Cos() => Wrap(Native.lq_cos(H()));

    /// <summary>Error function (<c>torch.erf</c>).</summary>
    public Tensor Erf() => Wrap(Native.lq_erf(H()));

    /// <summary>Round down (<c>torch.floor</c>).</summary>
    public Tensor Floor() => Wrap(Native.lq_floor(H()));

    /// <summary>Round up (<c>torch.ceil</c>).</summary>
    public Tensor Ceil() => Wrap(Native.lq_ceil(H()));

    /// <summary>Round half to even (<c>torch.round</c>).</summary>
    public Tensor Round() => Wrap(Native.lq_round(H()));

    /// <summary>Hyperbolic tangent (<c>torch.tanh</c>).</summary>
    public Tensor Tanh() => Wrap(Native.lq_tanh(H()));

    /// <summary>Logistic sigmoid 1/(1+e⁻ˣ) (<c>torch.sigmoid</c>).</summary>
    public Tensor Sigmoid() => Wrap(Native.lq_sigmoid(H()));

    /// <summary>max(x, 0) (<c>torch.relu</c>).</summary>
    public Tensor Relu() => Wrap(Native.lq_relu(H()));

    /// <summary>x·σ(x) (<c>torch.nn.functional.silu</c>).</summary>
    public Tensor Silu() => Wrap(Native.lq_silu(H()));

    /// <summary>Logical not (<c>torch.logical_not</c>).</summary>
    public Tensor LogicalNot() => Wrap(Native.lq_logical_not(H()));

    /// <summary>True where NaN (<c>torch.isnan</c>).</summary>
    public Tensor IsNan() => Wrap(Native.lq_isnan(H()));

    /// <summary>True where ±∞ (<c>torch.isinf</c>).</summary>
    public Tensor IsInf() => Wrap(Native.lq_isinf(H()));

    /// <summary>True where neither NaN nor ±∞ (<c>torch.isfinite</c>).</summary>
    public Tensor IsFinite() => Wrap(Native.lq_isfinite(H()));

    /// <summary>
    /// Gaussian error linear unit (<c>torch.nn.functional.gelu</c>): exact x·Φ(x), or the tanh
    /// approximation GPT-2 used when <paramref name="tanhApproximation"/> is set.
    /// </summary>
    public Tensor Gelu(bool tanhApproximation = false) => Wrap(Native.lq_gelu(H(), tanhApproximation ? 1 : 0));

    /// <summary>log(1 + e^(βx))/β, linear above the threshold (<c>torch.nn.functional.softplus</c>).</summary>
    public Tensor Softplus(double beta = 1, double threshold = 20) => Wrap(Native.lq_softplus(H(), beta, threshold));

    /// <summary>x if x ≥ 0 else slope·x (<c>torch.nn.functional.leaky_relu</c>).</summary>
    public Tensor LeakyRelu(double slope = 0.01) => Wrap(Native.lq_leaky_relu(H(), slope));

    /// <summary>Limits values to [min, max]; either bound may be omitted (<c>torch.clamp</c>).</summary>
    public Tensor Clamp(Scalar? min = null, Scalar? max = null) =>
        Wrap(Native.lq_clamp(H(), min.HasValue ? 1 : 0, (min ?? 0).Native, max.HasValue ? 1 : 0, (max ?? 0).Native));

    /// <summary>Softmax along <paramref name="dim"/> (<c>torch.softmax</c>).</summary>
    public Tensor Softmax(long dim) => Wrap(Native.lq_softmax(H(), dim));

    /// <summary>Log-softmax along <paramref name="dim"/> (<c>torch.log_softmax</c>).</summary>
    public Tensor LogSoftmax(long dim) => Wrap(Native.lq_log_softmax(H(), dim));

    /// <summary>|a − b| ≤ atol + rtol·|b| everywhere (<c>torch.allclose</c>).</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        var result = Native.lq_allclose(H(), other.H(), rtol, atol);
        if (result < 0) throw TorchException.FromLastError(nameof(AllClose));
        return result == 1;
    }

    /// <summary>Same shape and exactly the same values (<c>torch.equal</c>).</summary>
    public bool Equal(Tensor other)
    {
        var result = Native.lq_equal(H(), other.H());
        if (result < 0) throw TorchException.FromLastError(nameof(Equal));
        return result == 1;
    }

    /// <summary>Element-wise sum.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    /// <summary>Tensor plus scalar.</summary>
    public static Tensor operator +(Tensor a, Scalar b) => a.Add(b);
    /// <summary>Scalar plus tensor.</summary>
    public static Tensor operator +(Scalar a, Tensor b) => b.Add(a);
    /// <summary>Element-wise difference.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    /// <summary>Tensor minus scalar.</summary>
    public static Tensor operator -(Tensor a, Scalar b) => a.Sub(b);
    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(Scalar a, Tensor b) => b.RSub(a);
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();
    /// <summary>Element-wise product.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    /// <summary>Tensor times scalar.</summary>
    public static Tensor operator *(Tensor a, Scalar b) => a.Mul(b);
    /// <summary>Scalar times tensor.</summary>
    public static Tensor operator *(Scalar a, Tensor b) => b.Mul(a);
    /// <summary>Element-wise true division.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    /// <summary>Tensor divided by scalar.</summary>
    public static Tensor operator /(Tensor a, Scalar b) => a.Div(b);
    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(Scalar a, Tensor b) => b.RDiv(a);
    /// <summary>Python-style remainder.</summary>
    public static Tensor operator %(Tensor a, Tensor b) => a.Remainder(b);
    /// <summary>Python-style remainder by a scalar.</summary>
    public static Tensor operator %(Tensor a, Scalar b) => a.Remainder(b);
    /// <summary>Element-wise &lt;.</summary>
    public static Tensor operator <(Tensor a, Tensor b) => a.Lt(b);
    /// <summary>Element-wise &gt;.</summary>
    public static Tensor operator >(Tensor a, Tensor b) => a.Gt(b);
    /// <summary>Element-wise &lt;=.</summary>
    public static Tensor operator <=(Tensor a, Tensor b) => a.Le(b);
    /// <summary>Element-wise &gt;=.</summary>
    public static Tensor operator >=(Tensor a, Tensor b) => a.Ge(b);
    /// <summary>Element-wise &lt; scalar.</summary>
    public static Tensor operator <(Tensor a, Scalar b) => a.Lt(b);
    /// <summary>Element-wise &gt; scalar.</summary>
    public static Tensor operator >(Tensor a, Scalar b) => a.Gt(b);
    /// <summary>Element-wise &lt;= scalar.</summary>
    public static Tensor operator <=(Tensor a, Scalar b) => a.Le(b);
    /// <summary>Element-wise &gt;= scalar.</summary>
    public static Tensor operator >=(Tensor a, Scalar b) => a.Ge(b);
    /// <summary>Element-wise logical and of bool tensors.</summary>
    public static Tensor operator &(Tensor a, Tensor b) => a.LogicalAnd(b);
    /// <summary>Element-wise logical or of bool tensors.</summary>
    public static Tensor operator |(Tensor a, Tensor b) => a.LogicalOr(b);
    /// <summary>Element-wise logical not of a bool tensor.</summary>
    public static Tensor operator !(Tensor a) => a.LogicalNot();
}
