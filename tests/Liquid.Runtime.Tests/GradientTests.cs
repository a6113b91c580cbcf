using Liquid.Runtime.Tests.Support;
using Xunit.Sdk;

namespace Liquid.Runtime.Tests;

/// <summary>
/// Gradient checks in float64: autograd's gradient of every differentiable op family of the C# API
/// against central finite differences (<see cref="GradCheck"/>). Each case is named so a failure
/// reads as <c>Shapes(op: "scatter_add")</c>; inputs are drawn from a generator seeded by that name.
/// </summary>
public class GradientTests
{
    // ---------------------------------------------------------------- inputs

    /// <summary>How to draw one input: its shape and the interval of its values.</summary>
    public readonly record struct Spec(long[] Shape, double Low, double High, bool RandomSign);

    /// <summary>A differentiable function and the inputs to check it at.</summary>
    public sealed record Case(Func<Tensor[], Tensor> Function, Spec[] Inputs);

    /// <summary>Uniform in [−1, 1].</summary>
    private static Spec U(params long[] shape) => new(shape, -1, 1, false);

    /// <summary>Uniform in [0.5, 2]: for log, sqrt, divisors, bases of powers.</summary>
    private static Spec P(params long[] shape) => new(shape, 0.5, 2, false);

    /// <summary>±[0.2, 1]: away from the kink of abs, relu and friends.</summary>
    private static Spec NZ(params long[] shape) => new(shape, 0.2, 1, true);

    private static Case C(Func<Tensor[], Tensor> function, params Spec[] inputs) => new(function, inputs);

    private static Tensor Long(long[] values, params long[] shape) => Tensor.From(values, shape);

    private static Tensor Bool(bool[] values, params long[] shape) => Tensor.From(values, shape);

    private static Tensor Doubles(double[] values, params long[] shape) => Tensor.From(values, shape);

    // FNV-1a: string.GetHashCode is randomized per process, and inputs must be reproducible.
    private static int StableSeed(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text) hash = (hash ^ c) * 16777619u;
        return (int)(hash & 0x7fffffff);
    }

    private static double[] Draw(Random random, Spec spec)
    {
        long count = 1;
        foreach (var size in spec.Shape) count *= size;
        var data = new double[count];
        for (var k = 0; k < data.Length; k++)
        {
            var value = spec.Low + (spec.High - spec.Low) * random.NextDouble();
            data[k] = spec.RandomSign && random.Next(2) == 0 ? -value : value;
        }
        return data;
    }

    private static void Run(Dictionary<string, Case> cases, string name)
    {
        var test = cases[name];
        using var scope = TensorScope.Enter();
        var random = new Random(StableSeed(name));
        var inputs = test.Inputs.Select(spec => GradCheck.Leaf(Draw(random, spec), spec.Shape)).ToArray();
        GradCheck.Check(test.Function, inputs);
    }

    private static TheoryData<string> Names(Dictionary<string, Case> cases) => new(cases.Keys);

    // ---------------------------------------------------------------- arithmetic

    private static readonly Dictionary<string, Case> ArithmeticCases = new()
    {
        ["add"] = C(x => x[0] + x[1], U(2, 3), U(2, 3)),
        ["add_broadcast"] = C(x => x[0] + x[1], U(2, 1, 3), U(4, 1)),
        ["add_scalar"] = C(x => x[0] + 1.5, U(2, 3)),
        ["scalar_add"] = C(x => 1.5 + x[0], U(2, 3)),
        ["sub"] = C(x => x[0] - x[1], U(2, 3), U(2, 3)),
        ["sub_broadcast"] = C(x => x[0] - x[1], U(3), U(2, 3)),
        ["sub_scalar"] = C(x => x[0] - 0.25, U(2, 3)),
        ["rsub_scalar"] = C(x => 2.0 - x[0], U(2, 3)),
        ["neg"] = C(x => -x[0], U(2, 3)),
        ["mul"] = C(x => x[0] * x[1], U(2, 3), U(2, 3)),
        ["mul_broadcast"] = C(x => x[0] * x[1], U(2, 3), U(2, 1)),
        ["mul_scalar"] = C(x => x[0] * -3.0, U(2, 3)),
        ["mul_same_tensor"] = C(x => x[0] * x[0], U(2, 3)),
        ["div"] = C(x => x[0] / x[1], U(2, 3), P(2, 3)),
        ["div_broadcast"] = C(x => x[0] / x[1], U(2, 3), P(3)),
        ["div_scalar"] = C(x => x[0] / 0.7, U(2, 3)),
        ["rdiv_scalar"] = C(x => 2.0 / x[0], P(2, 3)),
        ["pow_tensor"] = C(x => x[0].Pow(x[1]), P(2, 3), U(2, 3)),
        ["pow_broadcast"] = C(x => x[0].Pow(x[1]), P(2, 3), U(3)),
        ["pow_scalar_float"] = C(x => x[0].Pow(2.5), P(2, 3)),
        ["pow_scalar_negative"] = C(x => x[0].Pow(-0.5), P(2, 3)),
        ["pow_scalar_int"] = C(x => x[0].Pow(3), U(2, 3)),
        ["rpow_scalar"] = C(x => x[0].RPow(1.7), U(2, 3)),
        ["square"] = C(x => x[0].Square(), U(2, 3)),
        ["reciprocal"] = C(x => x[0].Reciprocal(), NZ(2, 3)),
        ["remainder_scalar"] = C(x => x[0] % 0.3, P(2, 3)),
        ["remainder_tensor"] = C(x => x[0] % x[1], P(2, 3), P(2, 3)),
        ["maximum"] = C(x => x[0].Maximum(x[1]), U(2, 3), U(2, 3)),
        ["minimum_broadcast"] = C(x => x[0].Minimum(x[1]), U(2, 3), U(3)),
        ["add_inplace"] = C(x => x[0].Clone().Add_(x[1]), U(2, 3), U(3)),
        ["sub_mul_inplace"] = C(x => x[0].Clone().Sub_(0.5).Mul_(x[1]), U(2, 3), U(2, 3)),
        ["mul_scalar_inplace"] = C(x => x[0].Clone().Mul_(-2.0).Add_(1.0), U(2, 3)),
        ["div_inplace"] = C(x => x[0].Clone().Div_(x[1]).Div_(3.0), U(2, 3), P(2, 3)),
        ["sub_inplace"] = C(x => x[0].Clone().Sub_(x[1]), U(2, 3), U(2, 3)),
        ["add_scaled_inplace"] = C(x => x[0].Clone().AddScaled_(x[1], 0.3), U(2, 3), U(2, 3)),
        ["addcmul_inplace"] = C(x => x[0].Clone().AddCMul_(x[1], x[2], 0.5), U(2, 3), U(2, 3), U(2, 3)),
        ["addcdiv_inplace"] = C(x => x[0].Clone().AddCDiv_(x[1], x[2], -0.5), U(2, 3), U(2, 3), P(2, 3)),
        ["lerp_inplace"] = C(x => x[0].Clone().Lerp_(x[1], 0.25), U(2, 3), U(2, 3)),
    };

    public static TheoryData<string> ArithmeticNames => Names(ArithmeticCases);

    [Theory, MemberData(nameof(ArithmeticNames))]
    public void Arithmetic(string op) => Run(ArithmeticCases, op);

    // ---------------------------------------------------------------- unary math and softmax

    private static readonly Dictionary<string, Case> UnaryCases = new()
    {
        ["exp"] = C(x => x[0].Exp(), U(2, 3)),
        ["expm1"] = C(x => x[0].Expm1(), U(2, 3)),
        ["log"] = C(x => x[0].Log(), P(2, 3)),
        ["log1p"] = C(x => x[0].Log1p(), P(2, 3)),
        ["sqrt"] = C(x => x[0].Sqrt(), P(2, 3)),
        ["rsqrt"] = C(x => x[0].Rsqrt(), P(2, 3)),
        ["abs"] = C(x => x[0].Abs(), NZ(2, 3)),
        ["clamp_min"] = C(x => x[0].Clamp(min: -0.3), U(3, 4)),
        ["clamp_max"] = C(x => x[0].Clamp(max: 0.4), U(3, 4)),
        ["clamp_both"] = C(x => x[0].Clamp(-0.5, 0.5), U(3, 4)),
        ["sigmoid"] = C(x => x[0].Sigmoid(), U(2, 3)),
        ["tanh"] = C(x => x[0].Tanh(), U(2, 3)),
        ["relu"] = C(x => x[0].Relu(), NZ(2, 3)),
        ["leaky_relu"] = C(x => x[0].LeakyRelu(0.1), NZ(2, 3)),
        ["gelu_exact"] = C(x => x[0].Mul(2).Gelu(), U(2, 3)),
        ["gelu_tanh"] = C(x => x[0].Mul(2).Gelu(tanhApproximation: true), U(2, 3)),
        ["silu"] = C(x => x[0].Mul(2).Silu(), U(2, 3)),
        ["softplus"] = C(x => x[0].Mul(2).Softplus(), U(2, 3)),
        // β = 2, threshold 1: values with βx > 1 take the linear branch.
        ["softplus_beta_threshold"] = C(x => x[0].Softplus(beta: 2, threshold: 1), U(3, 4)),
        ["erf"] = C(x => x[0].Erf(), U(2, 3)),
        ["sin"] = C(x => x[0].Mul(3).Sin(), U(2, 3)),
        ["cos"] = C(x => x[0].Mul(3).Cos(), U(2, 3)),
        // Piecewise constant: zero gradient away from the jumps.
        ["floor_ceil_round_sign"] = C(x => x[0].Mul(3).Floor() + x[0].Mul(3).Ceil() + x[0].Mul(3).Round() + x[0].Sign() + x[0], NZ(2, 3)),
        ["softmax_last"] = C(x => x[0].Softmax(-1), U(2, 4)),
        ["softmax_dim0"] = C(x => x[0].Softmax(0), U(3, 2)),
        ["log_softmax_last"] = C(x => x[0].LogSoftmax(-1), U(2, 4)),
        ["log_softmax_dim1_of_3d"] = C(x => x[0].LogSoftmax(1), U(2, 3, 2)),
    };

    public static TheoryData<string> UnaryNames => Names(UnaryCases);

    [Theory, MemberData(nameof(UnaryNames))]
    public void Unary(string op) => Run(UnaryCases, op);

    // ---------------------------------------------------------------- reductions

    private static readonly Dictionary<string, Case> ReductionCases = new()
    {
        ["sum_all"] = C(x => x[0].Sum(), U(2, 3)),
        ["sum_dim"] = C(x => x[0].Sum(1), U(2, 3, 2)),
        ["sum_dim_keepdim"] = C(x => x[0].Sum(-1, keepDim: true), U(2, 3)),
        ["sum_dims"] = C(x => x[0].Sum([0, 2]), U(2, 3, 2)),
        ["mean_all"] = C(x => x[0].Mean(), U(2, 3)),
        ["mean_dim"] = C(x => x[0].Mean(0), U(3, 2)),
        ["mean_dims_keepdim"] = C(x => x[0].Mean([1, 2], keepDim: true), U(2, 2, 3)),
        ["prod"] = C(x => x[0].Prod(), NZ(2, 3)),
        ["var_all"] = C(x => x[0].Var(), U(2, 3)),
        ["var_dim_biased_keepdim"] = C(x => x[0].Var(1, correction: 0, keepDim: true), U(2, 4)),
        ["std_all"] = C(x => x[0].Std(), U(2, 3)),
        ["std_dim"] = C(x => x[0].Std(0), U(3, 2)),
        ["norm_2"] = C(x => x[0].Norm(), U(2, 3)),
        ["norm_1"] = C(x => x[0].Norm(p: 1.0), NZ(2, 3)),
        ["norm_3_dim"] = C(x => x[0].Norm(p: 3.0, dim: 1), NZ(2, 3)),
        ["norm_2_dim_keepdim"] = C(x => x[0].Norm(p: 2.0, dim: 0, keepDim: true), U(3, 2)),
        ["logsumexp"] = C(x => x[0].LogSumExp(1), U(2, 3)),
        ["logsumexp_keepdim"] = C(x => x[0].LogSumExp(0, keepDim: true), U(3, 2)),
        ["max_all"] = C(x => x[0].Max(), U(2, 3)),
        ["min_all"] = C(x => x[0].Min(), U(2, 3)),
        ["max_dim"] = C(x => x[0].Max(1).Values, U(2, 4)),
        ["min_dim_keepdim"] = C(x => x[0].Min(0, keepDim: true).Values, U(3, 2)),
        ["topk"] = C(x => x[0].TopK(2).Values, U(2, 4)),
        ["topk_smallest_dim0"] = C(x => x[0].TopK(2, 0, largest: false).Values, U(4, 2)),
        ["sort"] = C(x => x[0].Sort().Values, U(2, 4)),
        ["sort_descending_dim0"] = C(x => x[0].Sort(0, descending: true).Values, U(3, 2)),
        ["cumsum"] = C(x => x[0].CumSum(1), U(2, 4)),
        ["cumsum_dim0"] = C(x => x[0].CumSum(0), U(3, 2)),
    };

    public static TheoryData<string> ReductionNames => Names(ReductionCases);

    [Theory, MemberData(nameof(ReductionNames))]
    public void Reductions(string op) => Run(ReductionCases, op);

    // ---------------------------------------------------------------- shapes, joins, indexing

    private static readonly Dictionary<string, Case> ShapeCases = new()
    {
        ["view"] = C(x => x[0].View(3, 2), U(2, 3)),
        ["view_infer"] = C(x => x[0].View(-1), U(2, 3)),
        ["reshape_non_contiguous"] = C(x => x[0].Transpose(0, 1).Reshape(6), U(2, 3)),
        ["permute"] = C(x => x[0].Permute(2, 0, 1), U(2, 3, 2)),
        ["transpose"] = C(x => x[0].Transpose(0, 2), U(2, 3, 2)),
        ["contiguous"] = C(x => x[0].Transpose(0, 1).Contiguous(), U(2, 3)),
        ["expand"] = C(x => x[0].Expand(2, 3, 4), U(3, 1)),
        ["expand_keep"] = C(x => x[0].Expand(-1, 4), U(3, 1)),
        ["repeat"] = C(x => x[0].Repeat(2, 3), U(2, 2)),
        ["repeat_interleave"] = C(x => x[0].RepeatInterleave(2, 1), U(2, 3)),
        ["squeeze_dim"] = C(x => x[0].Squeeze(1), U(2, 1, 3)),
        ["squeeze_all"] = C(x => x[0].Squeeze(), U(1, 3, 1)),
        ["unsqueeze"] = C(x => x[0].Unsqueeze(1), U(2, 3)),
        ["flatten"] = C(x => x[0].Flatten(1), U(2, 3, 2)),
        ["tril"] = C(x => x[0].Tril(), U(3, 4)),
        ["tril_below"] = C(x => x[0].Tril(-1), U(3, 4)),
        ["triu"] = C(x => x[0].Triu(), U(3, 4)),
        ["triu_above"] = C(x => x[0].Triu(1), U(3, 4)),
        ["roll"] = C(x => x[0].Roll(1, 1), U(2, 4)),
        ["roll_negative_dim0"] = C(x => x[0].Roll(-2, 0), U(3, 2)),
        ["narrow"] = C(x => x[0].Narrow(1, 1, 2), U(2, 4)),
        ["slice_step"] = C(x => x[0].Slice(1, 0, 5, 2), U(2, 5)),
        ["slice_range"] = C(x => x[0].Slice(0, 1..^1), U(4, 2)),
        ["select"] = C(x => x[0].Select(1, 2), U(2, 3)),
        ["cat"] = C(x => Tensor.Cat([x[0], x[1], x[2]], 1), U(2, 1), U(2, 3), U(2, 2)),
        ["cat_dim0"] = C(x => Tensor.Cat([x[0], x[1]]), U(1, 3), U(2, 3)),
        ["stack"] = C(x => Tensor.Stack([x[0], x[1]], 1), U(2, 3), U(2, 3)),
        ["split_size"] = C(x =>
        {
            var parts = x[0].Split(2, 1);
            return Tensor.Cat([parts[2], parts[0].Mul(2), parts[1].Sin()], 1);
        }, U(2, 5)),
        ["split_sizes"] = C(x =>
        {
            var parts = x[0].Split([1, 3], 0);
            return Tensor.Cat([parts[1].Exp(), parts[0]], 0);
        }, U(4, 2)),
        ["chunk"] = C(x =>
        {
            var chunks = x[0].Chunk(3, 1);
            return Tensor.Cat([chunks[2], chunks[0] * chunks[1]], 1);
        }, U(2, 6)),
        ["unbind"] = C(x =>
        {
            var rows = x[0].Unbind(0);
            return Tensor.Stack([rows[2], rows[0] * rows[1], rows[1]]);
        }, U(3, 2)),
        ["index_select_repeated"] = C(x => x[0].IndexSelect(1, Long([2, 0, 2], 3)), U(2, 3)),
        ["gather"] = C(x => x[0].Gather(1, Long([0, 0, 2, 1, 2, 1], 2, 3)), U(2, 3)),
        ["scatter"] = C(x => x[0].Scatter(1, Long([2, 0, 1, 2], 2, 2), x[1]), U(2, 3), U(2, 2)),
        ["scatter_add"] = C(x => x[0].ScatterAdd(1, Long([2, 2, 0, 1, 1, 1], 2, 3), x[1]), U(2, 3), U(2, 3)),
        ["index_add"] = C(x => x[0].IndexAdd(0, Long([1, 1, 0], 3), x[1], alpha: 0.5), U(2, 3), U(3, 3)),
        ["index_add_inplace"] = C(x => x[0].Clone().IndexAdd_(1, Long([2, 0], 2), x[1]), U(2, 3), U(2, 2)),
        ["masked_fill"] = C(x => x[0].MaskedFill(Bool([true, false, false, false, true, true], 2, 3), -2.0), U(2, 3)),
        ["masked_fill_broadcast"] = C(x => x[0].MaskedFill(Bool([false, true, false], 1, 3), 0.5), U(2, 3)),
        ["masked_fill_inplace"] = C(x => x[0].Clone().MaskedFill_(Bool([false, true, true, false, false, true], 2, 3), 1.0), U(2, 3)),
        ["where"] = C(x => Tensor.Where(Bool([true, false, true, false, false, true], 2, 3), x[0], x[1]), U(2, 3), U(2, 3)),
        ["where_broadcast"] = C(x => Tensor.Where(Bool([true, false, true], 3), x[0], x[1]), U(2, 3), U(1)),
        ["alias_and_clone"] = C(x => x[0].Alias() * x[0].Clone(), U(2, 3)),
        ["to_same_dtype"] = C(x => x[0].To(DType.Float64).Exp(), U(2, 3)),
        ["copy_inplace"] = C(x => x[0].Clone().Copy_(x[1].Mul(2)) + x[0], U(2, 3), U(3)),
        ["pad"] = C(x => Functional.Pad(x[0], [1, 2], 0.5), U(2, 3)),
        ["pad_two_dims"] = C(x => Functional.Pad(x[0], [0, 1, 1, 0]), U(2, 3)),
    };

    public static TheoryData<string> ShapeNames => Names(ShapeCases);

    [Theory, MemberData(nameof(ShapeNames))]
    public void Shapes(string op) => Run(ShapeCases, op);

    // ---------------------------------------------------------------- linear algebra and FFT

    private static readonly Dictionary<string, Case> LinalgCases = new()
    {
        ["matmul"] = C(x => x[0].MatMul(x[1]), U(2, 3), U(3, 4)),
        ["matmul_batched_broadcast"] = C(x => x[0].MatMul(x[1]), U(2, 2, 3), U(3, 2)),
        ["matmul_vector_matrix"] = C(x => x[0].MatMul(x[1]), U(3), U(3, 2)),
        ["matmul_matrix_vector"] = C(x => x[0].MatMul(x[1]), U(2, 3), U(3)),
        ["mm"] = C(x => x[0].Mm(x[1]), U(2, 3), U(3, 2)),
        ["bmm"] = C(x => x[0].Bmm(x[1]), U(2, 2, 3), U(2, 3, 2)),
        ["baddbmm"] = C(x => x[0].BAddBmm(x[1], x[2], beta: 0.5, alpha: 2), U(2, 2, 2), U(2, 2, 3), U(2, 3, 2)),
        ["baddbmm_broadcast_input"] = C(x => x[0].BAddBmm(x[1], x[2]), U(1, 2), U(2, 2, 3), U(2, 3, 2)),
        ["outer"] = C(x => x[0].Outer(x[1]), U(3), U(2)),
        // FFT: real-valued functions of real inputs.
        ["rfft_real_imag"] = C(x =>
        {
            var spectrum = x[0].Rfft();
            return Tensor.Cat([spectrum.Real(), spectrum.Imag()], -1);
        }, U(2, 8)),
        ["rfft_energy"] = C(x =>
        {
            var spectrum = x[0].Rfft();
            return spectrum.Real().Square() + spectrum.Imag().Square();
        }, U(2, 8)),
        ["rfft_ortho_odd_length_padded"] = C(x => x[0].Rfft(n: 9, norm: FftNorm.Ortho).ViewAsReal(), U(7)),
        ["irfft_of_filtered_rfft"] = C(x => x[0].Rfft().Mul(Tensor.Complex(x[1], x[2])).Irfft(n: 8), U(8), U(5), U(5)),
        ["irfft_of_complex"] = C(x => Tensor.Complex(x[0], x[1]).Irfft(n: 8, norm: FftNorm.Forward), U(5), U(5)),
        ["irfft_odd_length"] = C(x => Tensor.Complex(x[0], x[1]).Irfft(n: 7), U(4), U(4)),
        ["fft_of_complex"] = C(x => Tensor.Complex(x[0], x[1]).Fft().ViewAsReal(), U(2, 4), U(2, 4)),
        ["fft_of_real"] = C(x => x[0].Fft(n: 6).ViewAsReal(), U(5)),
        ["ifft"] = C(x => Tensor.Complex(x[0], x[1]).Ifft(norm: FftNorm.Ortho).ViewAsReal(), U(5), U(5)),
    };

    public static TheoryData<string> LinalgNames => Names(LinalgCases);

    [Theory, MemberData(nameof(LinalgNames))]
    public void Linalg(string op) => Run(LinalgCases, op);

    // ---------------------------------------------------------------- functional nn

    private static Tensor LstmOutputs(Tensor[] x, long layers, bool bidirectional = false, bool batchFirst = true)
    {
        var (output, h, c) = Functional.Lstm(x[0], x[1], x[2], x[3..], hasBiases: true, layers, bidirectional: bidirectional, batchFirst: batchFirst);
        return Tensor.Cat([output.Flatten(), h.Flatten(), c.Flatten()]);
    }

    private static readonly Dictionary<string, Case> FunctionalCases = new()
    {
        ["linear"] = C(x => Functional.Linear(x[0], x[1], x[2]), U(2, 3), U(4, 3), U(4)),
        ["linear_no_bias_3d"] = C(x => Functional.Linear(x[0], x[1]), U(2, 2, 3), U(4, 3)),
        ["embedding_weight"] = C(x => Functional.Embedding(Long([0, 2, 2, 3, 0, 1], 2, 3), x[0]), U(4, 3)),
        ["layer_norm"] = C(x => Functional.LayerNorm(x[0], [4], x[1], x[2]), U(2, 3, 4), U(4), U(4)),
        ["layer_norm_two_dims"] = C(x => Functional.LayerNorm(x[0], [2, 3], x[1], x[2], eps: 1e-3), U(2, 2, 3), U(2, 3), U(2, 3)),
        ["layer_norm_no_affine"] = C(x => Functional.LayerNorm(x[0], [3]), U(2, 3)),
        ["conv1d_padding_dilation_groups"] = C(x => Functional.Conv1d(x[0], x[1], x[2], padding: 2, dilation: 2, groups: 2), U(2, 4, 6), U(6, 2, 3), U(6)),
        ["conv1d_stride_no_bias"] = C(x => Functional.Conv1d(x[0], x[1], stride: 2, padding: 1), U(1, 2, 7), U(3, 2, 3)),
        ["cross_entropy"] = C(x => Functional.CrossEntropy(x[0], Long([1, 0, 3, 2], 4)), U(4, 4)),
        ["cross_entropy_label_smoothing_ignore_index"] = C(x =>
            Functional.CrossEntropy(x[0], Long([1, -100, 3, 2, 0], 5), labelSmoothing: 0.1), U(5, 4)),
        ["cross_entropy_custom_ignore_sum"] = C(x =>
            Functional.CrossEntropy(x[0], Long([1, 2, 3, 2], 4), Reduction.Sum, ignoreIndex: 2, labelSmoothing: 0.2), U(4, 4)),
        ["cross_entropy_class_weights"] = C(x =>
            Functional.CrossEntropy(x[0], Long([1, 0, 3, 3], 4), classWeights: Doubles([0.5, 1, 2, 1.5], 4)), U(4, 4)),
        ["cross_entropy_spatial_none"] = C(x =>
            Functional.CrossEntropy(x[0], Long([0, 2, 1, 1], 2, 2), Reduction.None), U(2, 3, 2)),
        ["cross_entropy_probability_targets"] = C(x =>
            Functional.CrossEntropy(x[0], x[1], labelSmoothing: 0.1), U(3, 4), P(3, 4)),
        ["nll_loss_ignore_index"] = C(x => Functional.NllLoss(x[0].LogSoftmax(-1), Long([2, 1, 0, 1], 4), ignoreIndex: 1), U(4, 3)),
        ["nll_loss_none"] = C(x => Functional.NllLoss(x[0], Long([3, 0, 1], 3), Reduction.None), U(3, 4)),
        ["nll_loss_sum"] = C(x => Functional.NllLoss(x[0], Long([3, 0, 1], 3), Reduction.Sum), U(3, 4)),
        ["mse"] = C(x => Functional.MseLoss(x[0], x[1]), U(2, 3), U(2, 3)),
        ["mse_sum"] = C(x => Functional.MseLoss(x[0], x[1], Reduction.Sum), U(2, 3), U(2, 3)),
        ["mse_none"] = C(x => Functional.MseLoss(x[0], x[1], Reduction.None), U(2, 3), U(2, 3)),
        ["smooth_l1"] = C(x => Functional.SmoothL1Loss(x[0].Mul(2), x[1]), U(2, 4), U(2, 4)),
        ["smooth_l1_beta_none"] = C(x => Functional.SmoothL1Loss(x[0], x[1], Reduction.None, beta: 0.5), U(2, 4), U(2, 4)),
        ["smooth_l1_sum"] = C(x => Functional.SmoothL1Loss(x[0].Mul(2), x[1], Reduction.Sum, beta: 0.3), U(2, 4), U(2, 4)),
        ["sdpa"] = C(x => Functional.ScaledDotProductAttention(x[0], x[1], x[2]), U(2, 3, 4), U(2, 3, 4), U(2, 3, 4)),
        ["sdpa_causal"] = C(x => Functional.ScaledDotProductAttention(x[0], x[1], x[2], causal: true), U(2, 3, 4), U(2, 3, 4), U(2, 3, 4)),
        ["sdpa_additive_mask"] = C(x => Functional.ScaledDotProductAttention(x[0], x[1], x[2], mask: x[3]), U(2, 3, 4), U(2, 3, 4), U(2, 3, 4), U(3, 3)),
        ["sdpa_bool_mask"] = C(x => Functional.ScaledDotProductAttention(x[0], x[1], x[2],
            mask: Bool([true, false, true, false, true, true, true, false, false], 3, 3)), U(2, 3, 4), U(2, 3, 4), U(2, 3, 4)),
        ["sdpa_cross_lengths_heads"] = C(x => Functional.ScaledDotProductAttention(x[0], x[1], x[2]), U(1, 2, 2, 4), U(1, 2, 3, 4), U(1, 2, 3, 2)),
        ["sdpa_with_weights"] = C(x =>
        {
            var (output, weights) = Functional.ScaledDotProductAttentionWithWeights(x[0], x[1], x[2], causal: true);
            return Tensor.Cat([output.Flatten(), weights.Flatten()]);
        }, U(2, 3, 4), U(2, 3, 4), U(2, 3, 4)),
        // x [B=2, T=3, in=3], h0/c0 [layers=2, B, H=2], then per layer W_ih [4H, in], W_hh [4H, H], b_ih, b_hh.
        ["lstm_two_layers"] = C(x => LstmOutputs(x, layers: 2),
            U(2, 3, 3), U(2, 2, 2), U(2, 2, 2),
            U(8, 3), U(8, 2), U(8), U(8),
            U(8, 2), U(8, 2), U(8), U(8)),
        ["lstm_bidirectional_seq_first"] = C(x => LstmOutputs(x, layers: 1, bidirectional: true, batchFirst: false),
            U(3, 1, 2), U(2, 1, 2), U(2, 1, 2),
            U(8, 2), U(8, 2), U(8), U(8),
            U(8, 2), U(8, 2), U(8), U(8)),
        ["gru_bidirectional"] = C(x =>
        {
            var (output, h) = Functional.Gru(x[0], x[1], x[2..], hasBiases: true, layers: 1, bidirectional: true);
            return Tensor.Cat([output.Flatten(), h.Flatten()]);
        },
            U(2, 3, 3), U(2, 2, 2),
            U(6, 3), U(6, 2), U(6), U(6),
            U(6, 3), U(6, 2), U(6), U(6)),
        ["rnn_tanh"] = C(x =>
        {
            var (output, h) = Functional.RnnTanh(x[0], x[1], x[2..], hasBiases: true, layers: 1);
            return Tensor.Cat([output.Flatten(), h.Flatten()]);
        }, U(2, 3, 3), U(1, 2, 2), U(2, 3), U(2, 2), U(2), U(2)),
        ["rnn_tanh_two_layers_no_bias"] = C(x =>
        {
            var (output, h) = Functional.RnnTanh(x[0], x[1], x[2..], hasBiases: false, layers: 2, batchFirst: false);
            return Tensor.Cat([output.Flatten(), h.Flatten()]);
        }, U(3, 2, 2), U(2, 2, 3), U(3, 2), U(3, 3), U(3, 3), U(3, 3)),
        ["swiglu"] = C(x => Functional.SwiGlu(x[0].Mul(3), x[1]), U(2, 3), U(2, 3)),
        ["dropout_not_training"] = C(x => Functional.Dropout(x[0], 0.5, training: false), U(2, 3)),
    };

    public static TheoryData<string> FunctionalNames => Names(FunctionalCases);

    [Theory, MemberData(nameof(FunctionalNames))]
    public void Nn(string op) => Run(FunctionalCases, op);

    // ---------------------------------------------------------------- facts that finite differences cannot state

    [Fact]
    public void EmbeddingGradientSumsUpstreamRowsAndSkipsThePaddingIndex()
    {
        using var scope = TensorScope.Enter();
        // The padding row still reads through in the forward pass; only its gradient is zero.
        var weight = GradCheck.Leaf([0, 1, 10, 11, 20, 21], 3, 2);
        var indices = Long([2, 0, 2, 1, 1], 5);
        var upstream = new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
        var output = Functional.Embedding(indices, weight, paddingIndex: 1);
        TensorAssert.Close([20, 21, 0, 1, 20, 21, 10, 11, 10, 11], output, [5, 2], rtol: 0, atol: 0);
        output.Backward(Doubles(upstream, 5, 2));
        // Row 0 is read at position 1; row 2 at positions 0 and 2; row 1 (padding) at 3 and 4.
        TensorAssert.Close([3, 4, 0, 0, 1 + 5, 2 + 6], weight.Grad!, [3, 2], rtol: 0, atol: 0);
    }

    [Fact]
    public void DropoutGradientIsTheScaledKeepMask()
    {
        using var scope = TensorScope.Enter();
        const double p = 0.3;
        var random = new Random(7);
        var values = Enumerable.Range(0, 400).Select(_ => 0.5 + random.NextDouble()).ToArray();
        var x = GradCheck.Leaf(values, 400);
        var y = Functional.Dropout(x, p, training: true);
        y.Sum().Backward();
        var output = y.ToArray<double>();
        var grad = x.Grad!.ToArray<double>();
        var kept = 0;
        for (var k = 0; k < values.Length; k++)
        {
            if (output[k] == 0)
            {
                Assert.Equal(0, grad[k]);
                continue;
            }
            kept++;
            Assert.Equal(values[k] / (1 - p), output[k], tolerance: 1e-12);
            Assert.Equal(1 / (1 - p), grad[k], tolerance: 1e-12);
        }
        Assert.InRange(kept, 1, values.Length - 1);
    }

    [Fact]
    public void SwiGluMatchesTheUnfusedCompositionInFloat32()
    {
        using var scope = TensorScope.Enter();
        var random = new Random(42);
        float[] Normal(int count) => Enumerable.Range(0, count)
            .Select(_ => (float)(3 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))
            .ToArray();
        var gateValues = Normal(4 * 16);
        var upValues = Normal(4 * 16);
        var upstream = Tensor.From(Normal(4 * 16), 4, 16);

        var gate = Tensor.From(gateValues, 4, 16).RequiresGrad_();
        var up = Tensor.From(upValues, 4, 16).RequiresGrad_();
        var fused = Functional.SwiGlu(gate, up);
        fused.Backward(upstream);

        var gateRef = Tensor.From(gateValues, 4, 16).RequiresGrad_();
        var upRef = Tensor.From(upValues, 4, 16).RequiresGrad_();
        var unfused = gateRef.Silu() * upRef;
        unfused.Backward(upstream);

        Assert.Equal(DType.Float32, fused.DType);
        TensorAssert.Close(unfused, fused, rtol: 1e-5, atol: 1e-6);
        TensorAssert.Close(gateRef.Grad!, gate.Grad!, rtol: 1e-4, atol: 1e-5);
        TensorAssert.Close(upRef.Grad!, up.Grad!, rtol: 1e-5, atol: 1e-6);

        // And against the definition silu(g)·u = g·u / (1 + e^(−g)), element by element.
        var expected = gateValues.Zip(upValues, (g, u) => g * (double)u / (1 + Math.Exp(-g))).ToArray();
        TensorAssert.Close(expected, fused, [4, 16], rtol: 1e-5, atol: 1e-5);
    }

    [Fact]
    public void GradCheckRejectsAWrongGradient()
    {
        using var scope = TensorScope.Enter();
        // d/dx (detach(x)·x) is x for autograd but 2x for finite differences.
        var x = GradCheck.Leaf([0.5, -1.0, 2.0], 3);
        Assert.ThrowsAny<XunitException>(() => GradCheck.Check(t => t.Detach() * t, x));
    }

    [Fact]
    public void GradCheckRejectsAMissingGradient()
    {
        using var scope = TensorScope.Enter();
        var a = GradCheck.Leaf([0.5, -1.0], 2);
        var b = GradCheck.Leaf([1.5, 2.0], 2);
        Assert.ThrowsAny<XunitException>(() => GradCheck.Check(x => x[0] * x[1].Detach(), [a, b]));
    }
}
