namespace Liquid.Runtime.Nn;

/// <summary>How an LTC maps its inputs or outputs (ncps's <c>input_mapping</c> / <c>output_mapping</c>).</summary>
public enum LtcMapping
{
    /// <summary>x·w + b, parameters w and b (<c>"affine"</c>, ncps's default).</summary>
    Affine,
    /// <summary>x·w, parameter w (<c>"linear"</c>).</summary>
    Linear,
    /// <summary>Identity, no parameters (any other value in ncps).</summary>
    None,
}

/// <summary>How an LTC keeps w, sensory_w, cm and gleak positive.</summary>
public enum LtcConstraint
{
    /// <summary>softplus of the raw values at run time (<c>implicit_param_constraints=True</c>, the LTC wrapper's default).</summary>
    Softplus,
    /// <summary>Raw values at run time; <see cref="Ltc.ApplyWeightConstraints"/> clamps them to ≥ 0 after each optimiser step (ncps's <c>apply_weight_constraints</c>).</summary>
    Clamp,
    /// <summary>Raw values, never constrained (LTCCell's default when nobody calls <c>apply_weight_constraints</c>).</summary>
    None,
}

/// <summary>
/// The LTC cell (<c>ncps.torch.LTCCell</c>, LIQUID-SEMANTICS.md §6.1): sensory and recurrent
/// conductance-based synapses, leak, membrane capacitance, and the fused semi-implicit Euler update
/// unfolded <c>ode_unfolds</c> times per step. Parameters in ncps's names, shapes, ranges and
/// allocation order (which fixes how libtorch's generator is consumed):
/// gleak, vleak, cm [N]; sigma, mu, w, erev [N, N]; sensory_sigma, sensory_mu, sensory_w,
/// sensory_erev [S, N]; buffers sparsity_mask [N, N] and sensory_sparsity_mask [S, N] (ncps's
/// non-trainable parameters, so they are in its state dict too); input_w, input_b [S];
/// output_w, output_b [M].
/// </summary>
public sealed class LtcCell : Module
{
    /// <summary>Allocates the parameters for <paramref name="wiring"/> (which fixes N, S, M, erev and the masks).</summary>
    public LtcCell(WiringMatrices wiring, LtcMapping inputMapping = LtcMapping.Affine, LtcMapping outputMapping = LtcMapping.Affine,
        int odeUnfolds = 6, double epsilon = 1e-8, LtcConstraint constraints = LtcConstraint.Softplus)
    {
        ArgumentNullException.ThrowIfNull(wiring);
        if (odeUnfolds < 1) throw new ArgumentException($"ode_unfolds must be at least 1, got {odeUnfolds}", nameof(odeUnfolds));
        if (!(epsilon >= 0) || double.IsInfinity(epsilon)) throw new ArgumentException($"epsilon must be finite and ≥ 0, got {epsilon}", nameof(epsilon));
        Units = wiring.Units;
        InputSize = wiring.InputSize;
        MotorSize = wiring.OutputSize;
        InputMapping = inputMapping;
        OutputMapping = outputMapping;
        OdeUnfolds = odeUnfolds;
        Epsilon = epsilon;
        Constraints = constraints;
        long n = Units, s = InputSize;

        Gleak = RegisterParameter("gleak", LiquidInit.UniformRange([n], 0.001, 1.0));
        Vleak = RegisterParameter("vleak", LiquidInit.UniformRange([n], -0.2, 0.2));
        Cm = RegisterParameter("cm", LiquidInit.UniformRange([n], 0.4, 0.6));
        Sigma = RegisterParameter("sigma", LiquidInit.UniformRange([n, n], 3, 8));
        Mu = RegisterParameter("mu", LiquidInit.UniformRange([n, n], 0.3, 0.8));
        W = RegisterParameter("w", LiquidInit.UniformRange([n, n], 0.001, 1.0));
        Erev = RegisterParameter("erev", Signed(wiring.Adjacency));
        SensorySigma = RegisterParameter("sensory_sigma", LiquidInit.UniformRange([s, n], 3, 8));
        SensoryMu = RegisterParameter("sensory_mu", LiquidInit.UniformRange([s, n], 0.3, 0.8));
        SensoryW = RegisterParameter("sensory_w", LiquidInit.UniformRange([s, n], 0.001, 1.0));
        SensoryErev = RegisterParameter("sensory_erev", Signed(wiring.SensoryAdjacency));
        SparsityMask = RegisterBuffer("sparsity_mask", Mask(wiring.Adjacency));
        SensorySparsityMask = RegisterBuffer("sensory_sparsity_mask", Mask(wiring.SensoryAdjacency));
        if (inputMapping is LtcMapping.Affine or LtcMapping.Linear) InputW = RegisterParameter("input_w", Tensor.Ones([s]));
        if (inputMapping is LtcMapping.Affine) InputB = RegisterParameter("input_b", Tensor.Zeros([s]));
        if (outputMapping is LtcMapping.Affine or LtcMapping.Linear) OutputW = RegisterParameter("output_w", Tensor.Ones([MotorSize]));
        if (outputMapping is LtcMapping.Affine) OutputB = RegisterParameter("output_b", Tensor.Zeros([MotorSize]));
    }

    private static Tensor Signed(int[,] matrix) =>
        Tensor.From(matrix.Cast<int>().Select(v => (float)v).ToArray(), [matrix.GetLength(0), matrix.GetLength(1)]);

    private static Tensor Mask(int[,] matrix) =>
        Tensor.From(matrix.Cast<int>().Select(v => (float)Math.Abs(v)).ToArray(), [matrix.GetLength(0), matrix.GetLength(1)]);

    /// <summary>Neurons N.</summary>
    public long Units { get; }
    /// <summary>Sensory inputs S.</summary>
    public long InputSize { get; }
    /// <summary>Motor neurons M: the output is the first M state entries.</summary>
    public long MotorSize { get; }
    /// <summary>Input mapping.</summary>
    public LtcMapping InputMapping { get; }
    /// <summary>Output mapping.</summary>
    public LtcMapping OutputMapping { get; }
    /// <summary>Semi-implicit Euler steps per input step.</summary>
    public int OdeUnfolds { get; }
    /// <summary>Added to the update's denominator.</summary>
    public double Epsilon { get; }
    /// <summary>Positivity constraint of w, sensory_w, cm, gleak.</summary>
    public LtcConstraint Constraints { get; }

    /// <summary>Leak conductance [N] (positive through the constraint).</summary>
    public Tensor Gleak { get; }
    /// <summary>Leak reversal potential [N].</summary>
    public Tensor Vleak { get; }
    /// <summary>Membrane capacitance [N] (positive through the constraint).</summary>
    public Tensor Cm { get; }
    /// <summary>Recurrent synapse gain on (v − mu) [N, N].</summary>
    public Tensor Sigma { get; }
    /// <summary>Recurrent synapse midpoint [N, N].</summary>
    public Tensor Mu { get; }
    /// <summary>Recurrent synapse maximal conductance [N, N] (positive through the constraint).</summary>
    public Tensor W { get; }
    /// <summary>Recurrent reversal potentials [N, N], initialised to the wiring's polarities.</summary>
    public Tensor Erev { get; }
    /// <summary>Sensory synapse gain [S, N].</summary>
    public Tensor SensorySigma { get; }
    /// <summary>Sensory synapse midpoint [S, N].</summary>
    public Tensor SensoryMu { get; }
    /// <summary>Sensory synapse maximal conductance [S, N] (positive through the constraint).</summary>
    public Tensor SensoryW { get; }
    /// <summary>Sensory reversal potentials [S, N], initialised to the sensory polarities.</summary>
    public Tensor SensoryErev { get; }
    /// <summary>|adjacency| [N, N].</summary>
    public Tensor SparsityMask { get; }
    /// <summary>|sensory adjacency| [S, N].</summary>
    public Tensor SensorySparsityMask { get; }
    /// <summary>Input scale [S] (affine and linear mappings).</summary>
    public Tensor? InputW { get; }
    /// <summary>Input shift [S] (affine mapping).</summary>
    public Tensor? InputB { get; }
    /// <summary>Output scale [M].</summary>
    public Tensor? OutputW { get; }
    /// <summary>Output shift [M].</summary>
    public Tensor? OutputB { get; }

    /// <summary>softplus (<c>nn.Softplus()</c>, β 1, threshold 20) under <see cref="LtcConstraint.Softplus"/>, else the value itself.</summary>
    public Tensor Positive(Tensor raw) => Constraints == LtcConstraint.Softplus ? raw.Softplus() : raw.Alias();

    /// <summary>x ⊙ input_w (+ input_b) over the last dimension.</summary>
    public Tensor MapInputs(Tensor inputs)
    {
        using var scope = TensorScope.Enter();
        var x = InputW is null ? inputs.Alias() : inputs.Mul(InputW);
        if (InputB is not null) x = x.Add(InputB);
        return scope.Keep(x);
    }

    /// <summary>The first M entries of the last dimension ⊙ output_w (+ output_b).</summary>
    public Tensor MapOutputs(Tensor state)
    {
        using var scope = TensorScope.Enter();
        var y = MotorSize < Units ? state.Narrow(-1, 0, MotorSize) : state.Alias();
        if (OutputW is not null) y = y.Mul(OutputW);
        if (OutputB is not null) y = y.Add(OutputB);
        return scope.Keep(y);
    }

    /// <summary>
    /// One step as ncps computes it, op by op (the readable specification the fused kernels are tested
    /// against): input <paramref name="input"/> [B, S], state <paramref name="state"/> [B, N], elapsed
    /// time <paramref name="elapsed"/> [B] per sample (null: 1). Returns the output [B, M] and the new state.
    /// </summary>
    public (Tensor Output, Tensor State) Forward(Tensor input, Tensor state, Tensor? elapsed)
    {
        using var scope = TensorScope.Enter();
        var x = MapInputs(input);
        // Sensory conductances, computed once per step: sigma is a gain on (x − mu).
        var sensory = Positive(SensoryW).Mul(SensorySigma.Mul(x.Unsqueeze(-1).Sub(SensoryMu)).Sigmoid()).Mul(SensorySparsityMask);
        var numeratorSensory = sensory.Mul(SensoryErev).Sum(1);
        var denominatorSensory = sensory.Sum(1);
        // cₜ = cm / (Δ/K): per sample [B, 1] against [N], or ncps's Python-float path without elapsed times.
        var cmT = elapsed is null
            ? Positive(Cm).Div(1.0 / OdeUnfolds)
            : Positive(Cm).Div(elapsed.Unsqueeze(-1).Div(OdeUnfolds));
        var w = Positive(W);
        var v = state;
        for (var k = 0; k < OdeUnfolds; k++)
        {
            var synapses = w.Mul(Sigma.Mul(v.Unsqueeze(-1).Sub(Mu)).Sigmoid()).Mul(SparsityMask);
            var numeratorSynapses = synapses.Mul(Erev).Sum(1).Add(numeratorSensory);
            var denominatorSynapses = synapses.Sum(1).Add(denominatorSensory);
            var gleak = Positive(Gleak);
            var numerator = cmT.Mul(v).Add(gleak.Mul(Vleak)).Add(numeratorSynapses);
            var denominator = cmT.Add(gleak).Add(denominatorSynapses);
            v = numerator.Div(denominator.Add(Epsilon));
        }
        return (scope.Keep(MapOutputs(v)), scope.Keep(v));
    }

    /// <summary>
    /// The parameters as the fused kernels take them: pos(w)⊙mask, sigma, mu, erev, pos(sensory_w)⊙mask,
    /// sensory_sigma, sensory_mu, sensory_erev, pos(gleak), vleak, pos(cm). Differentiable: gradients reach
    /// the raw parameters through the constraint and the mask.
    /// </summary>
    public LtcKernelParameters KernelParameters()
    {
        using var scope = TensorScope.Enter();
        var result = new LtcKernelParameters(
            Positive(W).Mul(SparsityMask), Sigma.Alias(), Mu.Alias(), Erev.Alias(),
            Positive(SensoryW).Mul(SensorySparsityMask), SensorySigma.Alias(), SensoryMu.Alias(), SensoryErev.Alias(),
            Positive(Gleak), Vleak.Alias(), Positive(Cm), OdeUnfolds, Epsilon);
        foreach (var tensor in result.Tensors) scope.Keep(tensor);
        return result;
    }

    /// <summary>
    /// Under <see cref="LtcConstraint.Clamp"/>, clamps w, sensory_w, cm and gleak to ≥ 0 in place (ReLU of
    /// the values, ncps's <c>apply_weight_constraints</c>); otherwise does nothing.
    /// </summary>
    public void ApplyWeightConstraints()
    {
        if (Constraints != LtcConstraint.Clamp) return;
        using var noGrad = Torch.NoGrad();
        foreach (var parameter in new[] { W, SensoryW, Cm, Gleak })
        {
            using var clamped = parameter.Relu();
            parameter.Copy_(clamped);
        }
    }

    /// <summary>
    /// Per step, counting a sigmoid as 4 operations: the sensory synapses (about 10·S·N), then per unfold
    /// the recurrent synapses (about 10·N²) and the update (about 8·N), and the two mappings.
    /// </summary>
    public override long FlopsPerPosition(long context) =>
        10 * InputSize * Units + OdeUnfolds * (10 * Units * Units + 8 * Units) + 2 * InputSize + 2 * MotorSize;
}

/// <summary>
/// The LTC parameters in the form the fused kernels read (see <see cref="LtcCell.KernelParameters"/>),
/// each [N, N], [S, N] or [N]. Disposing frees the handles.
/// </summary>
public sealed record LtcKernelParameters(Tensor W, Tensor Sigma, Tensor Mu, Tensor Erev,
    Tensor SensoryW, Tensor SensorySigma, Tensor SensoryMu, Tensor SensoryErev,
    Tensor Gleak, Tensor Vleak, Tensor Cm, int OdeUnfolds, double Epsilon) : IDisposable
{
    /// <summary>The tensors in the kernels' argument order.</summary>
    public Tensor[] Tensors => [W, Sigma, Mu, Erev, SensoryW, SensorySigma, SensoryMu, SensoryErev, Gleak, Vleak, Cm];

    /// <summary>Disposes every tensor.</summary>
    public void Dispose()
    {
        foreach (var tensor in Tensors) tensor.Dispose();
    }
}
