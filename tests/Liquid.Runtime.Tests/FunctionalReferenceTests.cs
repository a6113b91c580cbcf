using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests;

/// <summary>
/// <see cref="Functional"/> ops against PyTorch 1.13.1 on the same float64 inputs and parameters,
/// read from <c>tests/reference/data/runtime_ops.safetensors</c> (written by
/// <c>tests/reference/make_runtime_ops.py</c>; regenerate with <c>tests/reference/regenerate.sh</c>).
/// </summary>
/// <remarks>
/// Tolerance: |actual − expected| ≤ 1e-12 + 1e-10·|expected| per element. Float64 carries ~16 digits;
/// the expected values are either torch's own result or an explicit formula the script checked against
/// torch to 1e-12, and a different summation order (threads, BLAS blocking) moves a float64 result of
/// these sizes by ~1e-15 relative, so 1e-10 leaves four orders of headroom while still catching any
/// wrong gate order, scaling, padding or reduction (those move results by ≥1e-3). The absolute floor
/// only matters for values that are zero or cancel to ~1e-16.
/// </remarks>
public class FunctionalReferenceTests
{
    private const double Rtol = 1e-10;
    private const double Atol = 1e-12;

    private static Reference R => Reference.RuntimeOps;

    private static Tensor L(string name) => R.Load(name);

    private static void AssertMatches(string expectedName, Tensor actual)
    {
        using var expected = R.Load(expectedName);
        Assert.Equal(expected.DType, actual.DType);
        TensorAssert.Close(expected, actual, Rtol, Atol);
    }

    [Fact]
    public void ReferenceFileComesFromTheGenerator()
    {
        Assert.Equal("tests/reference/make_runtime_ops.py", R.Metadata["producer"]);
        Assert.StartsWith("1.13", R.Metadata["torch"], StringComparison.Ordinal);
        Assert.Equal("F64", R.Entry("linear.x").DType);
        Assert.Equal(new long[] { 2, 3, 4 }, R.Entry("linear.x").Shape);
    }

    // The loader itself, on the other reference file, which holds one tensor of every safetensors dtype and
    // lists their values in JSON: each must come back with the matching DType, shape and exact values.
    [Fact]
    public void ReferenceLoaderReadsEveryDType()
    {
        using var scope = TensorScope.Enter();
        var fixture = Reference.Open("tests/reference/data/safetensors_fixture.safetensors");
        var json = File.ReadAllText(System.IO.Path.Combine(Reference.RepoRoot, "tests/reference/data/safetensors_fixture.json"));
        using var description = System.Text.Json.JsonDocument.Parse(json);
        var dtypes = new HashSet<DType>();
        foreach (var item in description.RootElement.GetProperty("tensors").EnumerateArray())
        {
            var name = item.GetProperty("name").GetString()!;
            var tensor = fixture.Load(name);
            var expectedDType = item.GetProperty("dtype").GetString() switch
            {
                "F64" => DType.Float64, "F32" => DType.Float32, "F16" => DType.Float16, "BF16" => DType.BFloat16,
                "I64" => DType.Int64, "I32" => DType.Int32, "I16" => DType.Int16, "I8" => DType.Int8,
                "U8" => DType.UInt8, "BOOL" => DType.Bool, var other => throw new InvalidDataException(other),
            };
            Assert.Equal(expectedDType, tensor.DType);
            dtypes.Add(tensor.DType);
            Assert.Equal(item.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), tensor.Shape);
            var values = item.GetProperty("values").EnumerateArray().ToArray();
            if (tensor.DType == DType.Bool)
                Assert.Equal(values.Select(v => v.GetBoolean()), tensor.ToArray<bool>());
            else if (tensor.DType.IsFloatingPoint())
                Assert.Equal(values.Select(v => BitConverter.DoubleToInt64Bits(v.GetDouble())), // −0.0 must stay −0.0
                    tensor.ToArray<double>().Select(BitConverter.DoubleToInt64Bits));
            else
                Assert.Equal(values.Select(v => v.GetInt64()), tensor.ToArray<long>());
        }
        Assert.Equal(10, dtypes.Count);
    }

    [Fact]
    public void Linear()
    {
        using var scope = TensorScope.Enter();
        AssertMatches("linear.out", Functional.Linear(L("linear.x"), L("linear.weight"), L("linear.bias")));
        AssertMatches("linear.nobias.out", Functional.Linear(L("linear.nobias.x"), L("linear.nobias.weight")));
    }

    [Fact]
    public void Embedding()
    {
        using var scope = TensorScope.Enter();
        var indices = L("embedding.indices");
        Assert.Equal(DType.Int64, indices.DType);
        AssertMatches("embedding.out", Functional.Embedding(indices, L("embedding.weight")));
    }

    [Fact]
    public void LayerNormWithAffine()
    {
        using var scope = TensorScope.Enter();
        AssertMatches("layer_norm.out", Functional.LayerNorm(L("layer_norm.x"), [4], L("layer_norm.weight"), L("layer_norm.bias"), eps: 1e-5));
    }

    [Fact]
    public void LayerNormOverTwoDimensionsWithoutAffine()
    {
        using var scope = TensorScope.Enter();
        AssertMatches("layer_norm.noaffine.out", Functional.LayerNorm(L("layer_norm.noaffine.x"), [3, 4], eps: 1e-3));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("strided")]
    [InlineData("dilated")]
    [InlineData("grouped")]
    [InlineData("depthwise")]
    public void Conv1d(string name)
    {
        using var scope = TensorScope.Enter();
        var prefix = "conv1d." + name;
        var config = R.LoadInt64(prefix + ".config"); // stride, padding, dilation, groups
        var bias = R.Contains(prefix + ".bias") ? L(prefix + ".bias") : null;
        var output = Functional.Conv1d(L(prefix + ".x"), L(prefix + ".weight"), bias,
            stride: config[0], padding: config[1], dilation: config[2], groups: config[3]);
        AssertMatches(prefix + ".out", output);
    }

    private static Tensor[] FlatWeights(string prefix)
    {
        var weights = new List<Tensor>();
        for (var k = 0; R.Contains($"{prefix}.w.{k}"); k++) weights.Add(L($"{prefix}.w.{k}"));
        return weights.ToArray();
    }

    [Theory]
    [InlineData("lstm")]               // 2 layers, batch-first, biases
    [InlineData("lstm.bidirectional")] // 1 layer, sequence-first, bidirectional, no biases
    public void Lstm(string prefix)
    {
        using var scope = TensorScope.Enter();
        var config = R.LoadInt64(prefix + ".config"); // layers, batch_first, bidirectional, bias
        var weights = FlatWeights(prefix);
        Assert.Equal(config[0] * (config[2] + 1) * (config[3] == 1 ? 4 : 2), weights.Length);
        var (output, h, c) = Functional.Lstm(L(prefix + ".x"), L(prefix + ".h0"), L(prefix + ".c0"), weights,
            hasBiases: config[3] == 1, layers: config[0], bidirectional: config[2] == 1, batchFirst: config[1] == 1);
        AssertMatches(prefix + ".out", output);
        AssertMatches(prefix + ".hn", h);
        AssertMatches(prefix + ".cn", c);
    }

    [Fact]
    public void GruTwoLayersSequenceFirst()
    {
        using var scope = TensorScope.Enter();
        var config = R.LoadInt64("gru.config");
        Assert.Equal(new long[] { 2, 0, 0, 1 }, config);
        var weights = FlatWeights("gru");
        Assert.Equal(8, weights.Length);
        var (output, h) = Functional.Gru(L("gru.x"), L("gru.h0"), weights, hasBiases: true, layers: 2, batchFirst: false);
        AssertMatches("gru.out", output);
        AssertMatches("gru.hn", h);
    }

    [Fact]
    public void RnnTanhTwoLayersBidirectionalWithoutBiases()
    {
        using var scope = TensorScope.Enter();
        var config = R.LoadInt64("rnn.config");
        Assert.Equal(new long[] { 2, 1, 1, 0 }, config);
        var weights = FlatWeights("rnn");
        Assert.Equal(8, weights.Length);
        var (output, h) = Functional.RnnTanh(L("rnn.x"), L("rnn.h0"), weights, hasBiases: false, layers: 2, bidirectional: true, batchFirst: true);
        AssertMatches("rnn.out", output);
        AssertMatches("rnn.hn", h);
    }

    [Theory]
    [InlineData("ce.mean")]
    [InlineData("ce.sum")]
    [InlineData("ce.none")]
    [InlineData("ce.smooth")]
    [InlineData("ce.smooth_none")]
    [InlineData("ce.ignore")]
    [InlineData("ce.ignore_none")]
    [InlineData("ce.ignore_2")]
    [InlineData("ce.weight")]
    [InlineData("ce.weight_sum")]
    [InlineData("ce.everything")]
    public void CrossEntropy(string name)
    {
        using var scope = TensorScope.Enter();
        var logits = L("ce.logits");
        var target = L("ce.target");
        var ignored = L("ce.target_ignored");     // −100 (the default ignore index) at two positions
        var ignored2 = L("ce.target_ignored_2");  // class 2 at two positions, ignored with ignoreIndex: 2
        var weight = L("ce.class_weight");
        var loss = name switch
        {
            "ce.mean" => Functional.CrossEntropy(logits, target),
            "ce.sum" => Functional.CrossEntropy(logits, target, Reduction.Sum),
            "ce.none" => Functional.CrossEntropy(logits, target, Reduction.None),
            "ce.smooth" => Functional.CrossEntropy(logits, target, labelSmoothing: 0.2),
            "ce.smooth_none" => Functional.CrossEntropy(logits, target, Reduction.None, labelSmoothing: 0.2),
            "ce.ignore" => Functional.CrossEntropy(logits, ignored),
            "ce.ignore_none" => Functional.CrossEntropy(logits, ignored, Reduction.None),
            "ce.ignore_2" => Functional.CrossEntropy(logits, ignored2, ignoreIndex: 2),
            "ce.weight" => Functional.CrossEntropy(logits, target, classWeights: weight),
            "ce.weight_sum" => Functional.CrossEntropy(logits, target, Reduction.Sum, classWeights: weight),
            "ce.everything" => Functional.CrossEntropy(logits, ignored, labelSmoothing: 0.1, classWeights: weight),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
        AssertMatches(name + ".out", loss);
    }

    [Fact]
    public void CrossEntropyWithClassProbabilitiesAsTargets()
    {
        using var scope = TensorScope.Enter();
        var logits = L("ce.logits");
        var soft = L("ce.soft.target");
        Assert.Equal(DType.Float64, soft.DType);
        AssertMatches("ce.soft.out", Functional.CrossEntropy(logits, soft));
        AssertMatches("ce.soft.smooth", Functional.CrossEntropy(logits, soft, labelSmoothing: 0.3));
        AssertMatches("ce.soft.none", Functional.CrossEntropy(logits, soft, Reduction.None));
    }

    [Fact]
    public void CrossEntropyOverExtraDimensions()
    {
        using var scope = TensorScope.Enter();
        AssertMatches("ce.spatial.out", Functional.CrossEntropy(L("ce.spatial.logits"), L("ce.spatial.target")));
    }

    [Fact]
    public void NllLoss()
    {
        using var scope = TensorScope.Enter();
        var logp = L("nll.logp");
        var target = L("ce.target");
        AssertMatches("nll.mean.out", Functional.NllLoss(logp, target));
        AssertMatches("nll.sum.out", Functional.NllLoss(logp, target, Reduction.Sum));
        AssertMatches("nll.none.out", Functional.NllLoss(logp, target, Reduction.None));
        AssertMatches("nll.ignore.out", Functional.NllLoss(logp, L("ce.target_ignored_2"), ignoreIndex: 2));
    }

    [Fact]
    public void MseLoss()
    {
        using var scope = TensorScope.Enter();
        var x = L("regression.x");
        var y = L("regression.y");
        AssertMatches("mse.mean.out", Functional.MseLoss(x, y));
        AssertMatches("mse.sum.out", Functional.MseLoss(x, y, Reduction.Sum));
        AssertMatches("mse.none.out", Functional.MseLoss(x, y, Reduction.None));
    }

    [Theory]
    [InlineData("beta1", 1.0)]
    [InlineData("beta05", 0.5)]
    [InlineData("beta2", 2.0)]
    public void SmoothL1Loss(string name, double beta)
    {
        using var scope = TensorScope.Enter();
        var x = L("regression.x");
        var y = L("regression.y");
        var prefix = "smooth_l1." + name;
        AssertMatches(prefix + ".none", Functional.SmoothL1Loss(x, y, Reduction.None, beta));
        AssertMatches(prefix + ".mean", Functional.SmoothL1Loss(x, y, Reduction.Mean, beta));
        AssertMatches(prefix + ".sum", Functional.SmoothL1Loss(x, y, Reduction.Sum, beta));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("bool_mask")]
    [InlineData("float_mask")]
    [InlineData("causal")]
    public void ScaledDotProductAttention(string name)
    {
        using var scope = TensorScope.Enter();
        var causal = name == "causal";
        var (q, k, v) = causal
            ? (L("sdpa.q_self"), L("sdpa.k_self"), L("sdpa.v_self"))
            : (L("sdpa.q"), L("sdpa.k"), L("sdpa.v"));
        var mask = name switch
        {
            "bool_mask" => L("sdpa.bool_mask"),
            "float_mask" => L("sdpa.float_mask"),
            _ => null,
        };
        if (mask is not null && name == "bool_mask") Assert.Equal(DType.Bool, mask.DType);
        var (output, weights) = Functional.ScaledDotProductAttentionWithWeights(q, k, v, mask, causal: causal);
        AssertMatches($"sdpa.{name}.out", output);
        AssertMatches($"sdpa.{name}.weights", weights);
        AssertMatches($"sdpa.{name}.out", Functional.ScaledDotProductAttention(q, k, v, mask, causal: causal));
    }

    [Fact]
    public void GeluBothModes()
    {
        using var scope = TensorScope.Enter();
        var x = L("gelu.x");
        AssertMatches("gelu.exact", x.Gelu());
        AssertMatches("gelu.tanh", x.Gelu(tanhApproximation: true));
    }

    [Fact]
    public void SwiGlu()
    {
        using var scope = TensorScope.Enter();
        AssertMatches("swiglu.out", Functional.SwiGlu(L("swiglu.gate"), L("swiglu.up")));
    }

    [Fact]
    public void Pad()
    {
        using var scope = TensorScope.Enter();
        var x = L("pad.x");
        AssertMatches("pad.last", Functional.Pad(x, [1, 2], 0.5));
        AssertMatches("pad.both", Functional.Pad(x, [0, 1, 2, 0]));
    }
}
