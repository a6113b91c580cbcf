using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>
/// Each layer against PyTorch, forward and backward, on the cases of
/// tests/reference/data/nn_layers.safetensors (tests/reference/make_nn_layers.py). For each case the
/// layer is built with the recorded options, converted to the case's dtype, loaded strictly with
/// PyTorch's parameters, run on the recorded inputs, and differentiated through the scalar loss
/// L = Σ_outputs sum(output · projection); outputs and the gradients of every floating input and every
/// parameter must match.
/// </summary>
/// <remarks>
/// Tolerances (|actual − expected| ≤ atol + rtol·|expected|, elementwise):
/// float64: rtol 1e-10, atol 1e-12; float32: rtol 1e-5, atol 1e-6. The values are O(1), so the atol
/// only matters for elements that come out of cancellation (near zero), where a relative bound says
/// nothing; it is ~1e4 ulp below the values' scale in float64 and ~10 ulp in float32.
/// </remarks>
public class LayerReferenceTests
{
    private const double Float64Rtol = 1e-10, Float64Atol = 1e-12;
    private const double Float32Rtol = 1e-5, Float32Atol = 1e-6;

    /// <summary>Every case the Python script writes; <see cref="FileHoldsExactlyTheTestedCases"/> keeps the lists in step.</summary>
    private static readonly string[] s_cases =
    [
        "linear_bias", "linear_nobias", "linear_f32",
        "embedding",
        "layernorm", "layernorm_nobias", "layernorm_noaffine", "rmsnorm", "rmsnorm_eps",
        "conv1d_padding", "conv1d_stride_nobias", "conv1d_dilation_groups", "conv1d_causal", "conv1d_causal_depthwise",
        "gelu", "gelu_tanh", "silu", "relu", "tanh",
        "mlp_gelu", "mlp_gelu_tanh", "mlp_relu", "mlp_silu", "mlp_swiglu", "mlp_swiglu_bias", "mlp_geglu", "mlp_geglu_tanh_f32",
        "lstm", "lstm_bidirectional", "lstm_f32", "gru", "gru_bidirectional_nobias", "rnn",
        "attention_mha_causal_bias", "attention_gqa", "attention_mqa_window", "attention_window_rope", "attention_window_1",
        "attention_gqa_rope", "attention_rope_half", "attention_noncausal", "attention_noncausal_rope", "attention_gqa_rope_f32",
    ];

    public static TheoryData<string> Cases => new(s_cases);

    [Fact]
    public void FileHoldsExactlyTheTestedCases()
    {
        Assert.Equal(s_cases.Order(StringComparer.Ordinal), NnReference.CaseNames());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardMatchPyTorch(string name)
    {
        using var reference = NnReference.Load(name);
        var (rtol, atol) = reference.DType == DType.Float64 ? (Float64Rtol, Float64Atol) : (Float32Rtol, Float32Atol);

        // Built outside the scope: parameters belong to the module, not to the scope.
        var (module, run) = Build(reference);
        using var owner = module;
        module.To(reference.DType);
        var report = module.LoadStateDict(reference.Parameters, strict: true);
        Assert.True(report.IsClean, report.ToString());

        var parameters = module.NamedParameters().ToList();
        Assert.Equal(reference.Parameters.Keys.Order(StringComparer.Ordinal), parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(parameters, p => Assert.Equal(reference.DType, p.Parameter.DType));

        using var scope = TensorScope.Enter();
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in reference.Inputs)
            inputs[key] = value.DType.IsFloatingPoint() ? value.Detach().RequiresGrad_() : value;

        var outputs = run(inputs);
        Assert.Equal(reference.Outputs.Keys.Order(StringComparer.Ordinal), outputs.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, expected) in reference.Outputs)
        {
            Assert.Equal(reference.DType, outputs[key].DType);
            Close(expected, outputs[key], $"output '{key}'", rtol, atol);
        }

        Tensor? loss = null;
        foreach (var key in outputs.Keys.Order(StringComparer.Ordinal))
        {
            var term = outputs[key].Mul(reference.Projections[key]).Sum();
            loss = loss is null ? term : loss.Add(term);
        }
        loss!.Backward();

        var differentiable = inputs.Where(i => i.Value.DType.IsFloatingPoint()).Select(i => i.Key).Order(StringComparer.Ordinal);
        Assert.Equal(reference.InputGrads.Keys.Order(StringComparer.Ordinal), differentiable);
        foreach (var (key, expected) in reference.InputGrads)
            Close(expected, inputs[key].Grad ?? throw new Xunit.Sdk.XunitException($"input '{key}' got no gradient"), $"grad of input '{key}'", rtol, atol);

        Assert.Equal(reference.ParameterGrads.Keys.Order(StringComparer.Ordinal), parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var (parameterName, parameter) in parameters)
            Close(reference.ParameterGrads[parameterName], parameter.Grad ?? throw new Xunit.Sdk.XunitException($"parameter '{parameterName}' got no gradient"),
                $"grad of parameter '{parameterName}'", rtol, atol);
    }

    /// <summary>The activation cases also go through <see cref="Activation.Apply"/>, the path Mlp-like layers use.</summary>
    [Theory]
    [InlineData("gelu", ActivationKind.Gelu)]
    [InlineData("gelu_tanh", ActivationKind.GeluTanh)]
    [InlineData("silu", ActivationKind.Silu)]
    [InlineData("relu", ActivationKind.Relu)]
    [InlineData("tanh", ActivationKind.Tanh)]
    public void ActivationApplyMatchesPyTorch(string name, ActivationKind kind)
    {
        using var reference = NnReference.Load(name);
        using var scope = TensorScope.Enter();
        var x = reference.Inputs[""].Detach().RequiresGrad_();
        var y = Activation.Apply(kind, x);
        Close(reference.Outputs[""], y, "output", Float64Rtol, Float64Atol);
        y.Mul(reference.Projections[""]).Sum().Backward();
        Close(reference.InputGrads[""], x.Grad!, "grad of input", Float64Rtol, Float64Atol);
    }

    private static void Close(Tensor expected, Tensor actual, string what, double rtol, double atol)
    {
        try
        {
            Assert.Equal(expected.DType, actual.DType);
            Support.TensorAssert.Close(expected, actual, rtol, atol);
        }
        catch (Exception error) when (error is Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{what}: {error.Message}");
        }
    }

    private delegate Dictionary<string, Tensor> Run(Dictionary<string, Tensor> inputs);

    private static Dictionary<string, Tensor> Single(Tensor output) => new(StringComparer.Ordinal) { [""] = output };

    /// <summary>Our layer for a case, and how to call it on the named inputs.</summary>
    private static (Module Module, Run Run) Build(NnCase c)
    {
        switch (c.Kind)
        {
            case "linear":
            {
                var layer = new Linear(new LinearOptions(c.Long("in_features"), c.Long("out_features"), c.Bool("bias")));
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "embedding":
            {
                var layer = new Embedding(new EmbeddingOptions(c.Long("count"), c.Long("dim")));
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "layernorm":
            {
                var layer = new LayerNorm(new LayerNormOptions(c.Long("dim"), c.Double("eps"), c.Bool("affine"), c.Bool("bias")));
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "rmsnorm":
            {
                var layer = new RmsNorm(new RmsNormOptions(c.Long("dim"), c.Double("eps")));
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "conv1d":
            {
                var layer = new Conv1d(new Conv1dOptions(c.Long("in_channels"), c.Long("out_channels"), c.Long("kernel"), c.Long("stride"),
                    c.Long("padding"), c.Long("dilation"), c.Long("groups"), c.Bool("bias"), c.Bool("causal")));
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "gelu":
            {
                var layer = new Gelu();
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "gelu_tanh":
            {
                var layer = new Gelu(tanhApproximation: true);
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "silu":
            {
                var layer = new Silu();
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "relu":
            {
                var layer = new Relu();
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "tanh":
            {
                var layer = new Tanh();
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "mlp":
            {
                var activation = c.String("activation") switch
                {
                    "gelu" => MlpActivation.Gelu,
                    "relu" => MlpActivation.Relu,
                    "silu" => MlpActivation.Silu,
                    "swiglu" => MlpActivation.SwiGlu,
                    "geglu" => MlpActivation.GeGlu,
                    var other => throw new InvalidDataException($"unknown mlp activation {other}"),
                };
                var layer = new Mlp(new MlpOptions(c.Long("dim"), c.Long("hidden"), activation, c.Bool("bias"), Dropout: 0, TanhGelu: c.Bool("tanh_gelu")));
                return (layer, i => Single(layer.Forward(i[""])));
            }
            case "lstm":
            {
                var layer = new Lstm(RecurrentOptionsOf(c));
                return (layer, i =>
                {
                    // LstmState owns its tensors only when disposed; the inputs stay the caller's.
                    var (output, state) = layer.Forward(i[""], new LstmState(i["h0"], i["c0"]));
                    return new(StringComparer.Ordinal) { [""] = output, ["h"] = state.H, ["c"] = state.C };
                });
            }
            case "gru":
            {
                var layer = new Gru(RecurrentOptionsOf(c));
                return (layer, i =>
                {
                    var (output, h) = layer.Forward(i[""], i["h0"]);
                    return new(StringComparer.Ordinal) { [""] = output, ["h"] = h };
                });
            }
            case "rnn":
            {
                var layer = new Rnn(RecurrentOptionsOf(c));
                return (layer, i =>
                {
                    var (output, h) = layer.Forward(i[""], i["h0"]);
                    return new(StringComparer.Ordinal) { [""] = output, ["h"] = h };
                });
            }
            case "attention":
            {
                var rope = c.Options.GetProperty("rope");
                var options = new AttentionOptions(c.Long("dim"), c.Long("heads"), c.Long("kv_heads"), c.Bool("causal"), c.NullableLong("window"),
                    rope.ValueKind == System.Text.Json.JsonValueKind.Null ? null : new RopeOptions(rope.GetProperty("theta").GetDouble(), rope.GetProperty("fraction").GetDouble()),
                    c.Bool("bias"));
                var layer = new Attention(options);
                return (layer, i => Single(layer.Forward(i[""])));
            }
            default:
                throw new InvalidDataException($"case {c.Name}: no layer for kind '{c.Kind}'");
        }
    }

    private static RecurrentOptions RecurrentOptionsOf(NnCase c) =>
        new(c.Long("input_size"), c.Long("hidden_size"), c.Long("layers"), c.Bool("bias"), c.Bool("batch_first"), Dropout: 0,
            Bidirectional: c.Bool("bidirectional"));
}
