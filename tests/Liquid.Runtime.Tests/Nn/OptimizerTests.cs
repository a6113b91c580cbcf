using System.Globalization;
using System.Text.Json;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;
using Liquid.Runtime.Tests.Serialization;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>
/// Optimizers against torch.optim (tests/reference/make_optim.py → data/optim.safetensors): the same
/// parameter trajectories in float64, clip_grad_norm_, state-dict round trips through a file, and
/// gradient accumulation.
/// </summary>
public sealed class OptimizerTests(OptimizerTests.Reference reference) : IClassFixture<OptimizerTests.Reference>
{
    // Float64 trajectories of 20 steps: the same arithmetic in the same order, so only rounding of
    // libm calls may differ.
    private const double Rtol = 1e-10;
    private const double Atol = 1e-14;

    /// <summary>The reference file, loaded once for the class.</summary>
    public sealed class Reference : IDisposable
    {
        public Reference()
        {
            Tensors = TensorFile.Load(RepoPaths.Combine("tests", "reference", "data", "optim.safetensors"), out var metadata);
            Steps = int.Parse(metadata["steps"], CultureInfo.InvariantCulture);
            using (var cases = JsonDocument.Parse(metadata["cases"])) Cases = cases.RootElement.Clone();
            using (var clip = JsonDocument.Parse(metadata["clip"])) Clip = clip.RootElement.Clone();
        }

        public Dictionary<string, Tensor> Tensors { get; }

        /// <summary>Optimizer cases: name → {kind, lr, momentum …}.</summary>
        public JsonElement Cases { get; }

        /// <summary>clip_grad_norm_ cases: name → {max_norm, norm_type, bias_grad?}.</summary>
        public JsonElement Clip { get; }

        public int Steps { get; }

        public Tensor this[string name] =>
            Tensors.TryGetValue(name, out var tensor) ? tensor : throw new KeyNotFoundException($"optim.safetensors has no tensor '{name}'");

        public void Dispose()
        {
            foreach (var tensor in Tensors.Values) tensor.Dispose();
        }
    }

    private static readonly string[] s_trajectoryCases =
    [
        "sgd_plain", "sgd_momentum", "sgd_nesterov", "sgd_weight_decay", "sgd_momentum_dampening_decay",
        "adam_plain", "adam_weight_decay", "adamw_groups", "adamw_scheduled",
    ];

    private static readonly string[] s_clipCases = ["l2_above", "l2_below", "inf_above", "inf_below", "l1_above", "l2_bias_without_grad"];

    public static TheoryData<string> TrajectoryCases => Rows(s_trajectoryCases);

    public static TheoryData<string> ClipCases => Rows(s_clipCases);

    private static TheoryData<string> Rows(IEnumerable<string> names)
    {
        var rows = new TheoryData<string>();
        foreach (var name in names) rows.Add(name);
        return rows;
    }

    [Fact]
    public void Every_reference_case_is_tested()
    {
        Assert.Equal(
            reference.Cases.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal),
            s_trajectoryCases.Order(StringComparer.Ordinal));
        Assert.Equal(
            reference.Clip.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal),
            s_clipCases.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TrajectoryCases))]
    public void Trajectory_matches_torch_optim(string name)
    {
        var options = reference.Cases.GetProperty(name);
        using var layer = NewLayer();
        using var optimizer = NewOptimizer(options, layer);
        for (var t = 0; t < reference.Steps; t++)
        {
            Step(optimizer, layer, options, t);
            using var scope = TensorScope.Enter();
            AssertParameters(name, t, layer);
        }
        Assert.Equal(reference.Steps, optimizer.StepCount);
    }

    [Theory]
    [MemberData(nameof(ClipCases))]
    public void ClipGradNorm_matches_clip_grad_norm_(string name)
    {
        var options = reference.Clip.GetProperty(name);
        var prefix = $"clip.{name}.";
        var biasHasGrad = !options.TryGetProperty("bias_grad", out var flag) || flag.GetBoolean();
        var normType = options.GetProperty("norm_type") is { ValueKind: JsonValueKind.String } text
            ? (text.GetString() == "inf" ? double.PositiveInfinity : throw new InvalidDataException($"norm_type {text}"))
            : options.GetProperty("norm_type").GetDouble();

        using var scope = TensorScope.Enter();
        var weight = reference["initial.weight"].Clone().RequiresGrad_();
        var bias = reference["initial.bias"].Clone().RequiresGrad_();
        var loss = weight.Mul(reference[prefix + "grad.weight"]).Sum();
        if (biasHasGrad) loss = loss.Add(bias.Mul(reference[prefix + "grad.bias"]).Sum());
        loss.Backward();

        var total = Optimizer.ClipGradNorm([weight, bias], options.GetProperty("max_norm").GetDouble(), normType);

        TensorAssert.Close([reference[prefix + "total_norm"].Item()], [total], Rtol, 0);
        TensorAssert.Close(reference[prefix + "clipped.weight"], weight.Grad!, Rtol, Atol);
        if (biasHasGrad) TensorAssert.Close(reference[prefix + "clipped.bias"], bias.Grad!, Rtol, Atol);
        else Assert.Null(bias.Grad);
    }

    [Fact]
    public void ClipGradNorm_without_gradients_returns_zero()
    {
        using var scope = TensorScope.Enter();
        var weight = Tensor.Ones([2, 2], DType.Float64).RequiresGrad_();
        Assert.Equal(0.0, Optimizer.ClipGradNorm([weight], 1.0));
        Assert.Null(weight.Grad);
    }

    /// <summary>
    /// 5 steps, state saved to a file, 5 more; a fresh optimizer that loads the file (and a fresh layer
    /// that loads the step-5 weights) continues to exactly the same values.
    /// </summary>
    [Theory]
    [InlineData("sgd_momentum_dampening_decay")]
    [InlineData("sgd_nesterov")]
    [InlineData("adam_weight_decay")]
    [InlineData("adamw_groups")]
    [InlineData("adamw_scheduled")]
    public void StateDict_round_trip_through_a_file_resumes_exactly(string name)
    {
        const int resumeAt = 5, end = 10;
        var options = reference.Cases.GetProperty(name);
        using var directory = new TempDirectory();
        var statePath = directory.File("optimizer.safetensors");
        var weightsPath = directory.File("weights.safetensors");

        using var layer = NewLayer();
        using var optimizer = NewOptimizer(options, layer);
        for (var t = 0; t < resumeAt; t++) Step(optimizer, layer, options, t);
        var saved = optimizer.StateDict();
        try
        {
            Assert.Contains("step", saved.Keys);
            Assert.True(saved.Count > 1, "the optimizer has per-parameter state after 5 steps");
            TensorFile.Save(statePath, saved);
        }
        finally
        {
            foreach (var tensor in saved.Values) tensor.Dispose();
        }
        layer.SaveWeights(weightsPath);
        for (var t = resumeAt; t < end; t++) Step(optimizer, layer, options, t);

        using var resumedLayer = NewLayer();
        resumedLayer.LoadWeights(weightsPath);
        using var resumed = NewOptimizer(options, resumedLayer);
        var loaded = TensorFile.Load(statePath);
        try
        {
            resumed.LoadStateDict(loaded);
        }
        finally
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
        }
        Assert.Equal(resumeAt, resumed.StepCount);
        for (var t = resumeAt; t < end; t++) Step(resumed, resumedLayer, options, t);

        Assert.Equal(optimizer.StepCount, resumed.StepCount);
        Assert.Equal(layer.Weight.ToArray<double>(), resumedLayer.Weight.ToArray<double>());
        Assert.Equal(layer.Bias!.ToArray<double>(), resumedLayer.Bias!.ToArray<double>());
        AssertSameState(optimizer, resumed);
        using var scope = TensorScope.Enter();
        AssertParameters(name, end - 1, resumedLayer);
    }

    [Fact]
    public void LoadStateDict_rejects_state_of_another_layout()
    {
        using var layer = NewLayer();
        using var optimizer = new Adam(layer.Parameters(), new AdamOptions());
        using var scope = TensorScope.Enter();
        var wrongShape = new Dictionary<string, Tensor> { ["step"] = Tensor.Scalar(1L), ["0.0.exp_avg"] = Tensor.Zeros([4, 3], DType.Float64) };
        Assert.Throws<ArgumentException>(() => optimizer.LoadStateDict(wrongShape));
        var wrongIndex = new Dictionary<string, Tensor> { ["step"] = Tensor.Scalar(1L), ["0.2.exp_avg"] = Tensor.Zeros([3], DType.Float64) };
        Assert.Throws<ArgumentException>(() => optimizer.LoadStateDict(wrongIndex));
        var noStep = new Dictionary<string, Tensor> { ["0.1.exp_avg"] = Tensor.Zeros([3], DType.Float64) };
        Assert.Throws<ArgumentException>(() => optimizer.LoadStateDict(noStep));
    }

    /// <summary>
    /// k micro-batches, each backpropagating loss/k, then one step: the same gradients and the same
    /// parameters as one step on the whole batch (up to the order of floating-point sums).
    /// </summary>
    [Theory]
    [InlineData("sgd", 4)]
    [InlineData("adamw", 4)]
    [InlineData("adamw", 2)]
    public void Gradient_accumulation_equals_the_full_batch(string kind, int microBatches)
    {
        const int batch = 8, steps = 3;
        // Modules own their parameters: create them outside any scope.
        using var full = new Linear(new LinearOptions(6, 2));
        full.To(DType.Float64);
        using var accumulated = new Linear(new LinearOptions(6, 2));
        accumulated.To(DType.Float64);

        using var scope = TensorScope.Enter();
        accumulated.LoadStateDict(full.StateDict());
        // Fixed data, no generator: other tests may draw from the global one concurrently.
        var inputs = Tensor.Arange(batch * 6, DType.Float64).Mul(0.37).Sin().Reshape(batch, 6);
        var targets = Tensor.Arange(batch * 2, DType.Float64).Mul(1.3).Cos().Reshape(batch, 2);

        Optimizer Make(Linear layer) => kind == "sgd"
            ? new Sgd(layer.Parameters(), new SgdOptions(0.1, Momentum: 0.9, WeightDecay: 0.01))
            : new AdamW(ParameterGroups.DecayAndNoDecay(layer, 0.01, 0.1), new AdamOptions(0.01));
        using var fullOptimizer = Make(full);
        using var accumulatedOptimizer = Make(accumulated);

        for (var step = 0; step < steps; step++)
        {
            using var stepScope = TensorScope.Enter();
            fullOptimizer.ZeroGrad();
            Losses.Mse(full.Forward(inputs), targets).Backward();

            accumulatedOptimizer.ZeroGrad();
            var size = batch / microBatches;
            for (var k = 0; k < microBatches; k++)
            {
                var x = inputs.Narrow(0, k * size, size);
                var y = targets.Narrow(0, k * size, size);
                Losses.Mse(accumulated.Forward(x), y).Div(microBatches).Backward();
            }

            TensorAssert.Close(full.Weight.Grad!, accumulated.Weight.Grad!, 1e-12, 1e-15);
            TensorAssert.Close(full.Bias!.Grad!, accumulated.Bias!.Grad!, 1e-12, 1e-15);
            fullOptimizer.Step();
            accumulatedOptimizer.Step();
            TensorAssert.Close(full.Weight, accumulated.Weight, 1e-12, 1e-15);
            TensorAssert.Close(full.Bias!, accumulated.Bias!, 1e-12, 1e-15);
        }
    }

    private Linear NewLayer()
    {
        var layer = new Linear(new LinearOptions(4, 3));
        layer.To(DType.Float64);
        var report = layer.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = reference["initial.weight"],
            ["bias"] = reference["initial.bias"],
        });
        Assert.True(report.IsClean, report.ToString());
        return layer;
    }

    private static Optimizer NewOptimizer(JsonElement options, Linear layer)
    {
        double Get(string key, double fallback = 0) => options.TryGetProperty(key, out var value) ? value.GetDouble() : fallback;
        var lr = Get("lr");
        switch (options.GetProperty("kind").GetString())
        {
            case "sgd":
                var nesterov = options.TryGetProperty("nesterov", out var flag) && flag.GetBoolean();
                return new Sgd(layer.Parameters(), new SgdOptions(lr, Get("momentum"), Get("dampening"), Get("weight_decay"), nesterov));
            case "adam":
            {
                var betas = options.GetProperty("betas");
                return new Adam(layer.Parameters(), new AdamOptions(lr, betas[0].GetDouble(), betas[1].GetDouble(), Get("eps"), Get("weight_decay")));
            }
            case "adamw":
            {
                var betas = options.GetProperty("betas");
                // The reference puts the matrix in a decayed group and the bias in one without decay.
                var groups = ParameterGroups.DecayAndNoDecay(layer, lr, Get("weight_decay"));
                Assert.Equal(2, groups.Count);
                Assert.Same(layer.Weight, Assert.Single(groups[0].Parameters));
                Assert.Same(layer.Bias, Assert.Single(groups[1].Parameters));
                Assert.Equal(0, groups[1].WeightDecay);
                return new AdamW(groups, new AdamOptions(lr, betas[0].GetDouble(), betas[1].GetDouble(), Get("eps")));
            }
            default:
                throw new InvalidDataException($"unknown optimizer kind in optim.safetensors: {options}");
        }
    }

    /// <summary>One step with the recorded gradient t: backward of sum(W·gW_t) + sum(b·gb_t) sets it exactly.</summary>
    private void Step(Optimizer optimizer, Linear layer, JsonElement options, int t)
    {
        if (options.TryGetProperty("lrs", out var rates)) optimizer.SetLearningRate(rates[t].GetDouble());
        optimizer.ZeroGrad();
        using var scope = TensorScope.Enter();
        var gradWeight = reference["grads.weight"].Select(0, t);
        var gradBias = reference["grads.bias"].Select(0, t);
        layer.Weight.Mul(gradWeight).Sum().Add(layer.Bias!.Mul(gradBias).Sum()).Backward();
        Assert.True(layer.Weight.Grad!.Equal(gradWeight));
        Assert.True(layer.Bias!.Grad!.Equal(gradBias));
        optimizer.Step();
    }

    /// <summary>Compares the layer with the reference parameters after step t (0-based).</summary>
    private void AssertParameters(string name, int t, Linear layer)
    {
        try
        {
            TensorAssert.Close(reference[$"{name}.weight"].Select(0, t), layer.Weight, Rtol, Atol);
            TensorAssert.Close(reference[$"{name}.bias"].Select(0, t), layer.Bias!, Rtol, Atol);
        }
        catch (Xunit.Sdk.XunitException error)
        {
            throw new Xunit.Sdk.XunitException($"{name}, after step {t + 1}: {error.Message}");
        }
    }

    private static void AssertSameState(Optimizer expected, Optimizer actual)
    {
        var a = expected.StateDict();
        var b = actual.StateDict();
        try
        {
            Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, tensor) in a)
            {
                Assert.Equal(tensor.DType, b[key].DType);
                Assert.Equal(tensor.ToArray<double>(), b[key].ToArray<double>());
            }
        }
        finally
        {
            foreach (var tensor in a.Values.Concat(b.Values)) tensor.Dispose();
        }
    }
}
