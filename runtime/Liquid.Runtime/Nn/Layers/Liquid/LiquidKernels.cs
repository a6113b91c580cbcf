using Liquid.Runtime.Interop;

namespace Liquid.Runtime.Nn;

/// <summary>
/// The fused native kernels of the liquid layers (runtime/native/src/liquid.cpp), each a
/// <c>torch::autograd::Function</c> with a hand-written backward: forward and every gradient equal the
/// op-by-op compositions (<see cref="LtcCell.Forward"/>, <see cref="CfcCell.Forward"/>) up to rounding.
/// CPU, float32 or float64, all tensors of one dtype.
/// </summary>
public static class LiquidKernels
{
    /// <summary>The best vector build of the kernels this CPU runs (chosen by default).</summary>
    public static LiquidVectorBuild BestVectorBuild => (LiquidVectorBuild)Native.lq_liquid_vector_level(-2);

    /// <summary>
    /// The vector build the kernels run, process-wide. Setting it selects that build, or the best the
    /// CPU supports when it is lower (for tests and comparisons: every build computes the same values
    /// up to rounding).
    /// </summary>
    public static LiquidVectorBuild VectorBuild
    {
        get => (LiquidVectorBuild)Native.lq_liquid_vector_level(-1);
        set => Native.lq_liquid_vector_level(Enum.IsDefined(value) ? (int)value : throw new ArgumentOutOfRangeException(nameof(value), value, "not a vector build"));
    }

    /// <summary>
    /// Bytes of synapse activations σ (B·T·K·N² values) the LTC kernel keeps for its backward pass,
    /// process-wide; 512 MiB by default. Within it the backward pass reads σ back (about twice as fast);
    /// above it, it recomputes σ, so memory stays linear in N and T. Both give the same gradients. Freed
    /// tape memory is kept for the next call, up to the same budget (allocating it afresh each step costs
    /// page faults comparable to the arithmetic).
    /// </summary>
    public static long LtcSigmaTapeBudget
    {
        get => Native.lq_ltc_sigma_budget(-1);
        set => Native.lq_ltc_sigma_budget(value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the budget cannot be negative"));
    }

    /// <summary>
    /// The LTC's ODE over a whole sequence: mapped inputs <paramref name="x"/> [B, T, S], initial state
    /// <paramref name="h0"/> [B, N], elapsed times <paramref name="elapsed"/> [B, T] (null: 1). Returns the
    /// state after every step [B, T, N]; each step is K = <see cref="LtcKernelParameters.OdeUnfolds"/> of
    /// ncps's semi-implicit updates v ← (cₜv + gleak·vleak + Σᵢ Gᵢⱼerevᵢⱼ + Σₛ Gˢₛⱼerevˢₛⱼ) /
    /// (cₜ + gleak + Σᵢ Gᵢⱼ + Σₛ Gˢₛⱼ + ε), with G = W·σ(sigma·(v − mu)) and cₜ = cm/(Δ/K).
    /// </summary>
    public static Tensor LtcSequence(Tensor x, Tensor h0, Tensor? elapsed, LtcKernelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var handles = new HandleArray(parameters.Tensors, nameof(LtcSequence));
        return Tensor.Wrap(Native.lq_ltc_sequence(x.H(), h0.H(), elapsed is null ? Tensor.TensorHandleNull : elapsed.H(),
            handles.Handles, parameters.Tensors.Length, parameters.OdeUnfolds, parameters.Epsilon));
    }

    /// <summary>One LTC step with all its unfolds: <paramref name="x"/> [B, S], <paramref name="v"/> [B, N], <paramref name="elapsed"/> [B] (null: 1) → [B, N].</summary>
    public static Tensor LtcStep(Tensor x, Tensor v, Tensor? elapsed, LtcKernelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var handles = new HandleArray(parameters.Tensors, nameof(LtcStep));
        return Tensor.Wrap(Native.lq_ltc_step(x.H(), v.H(), elapsed is null ? Tensor.TensorHandleNull : elapsed.H(),
            handles.Handles, parameters.Tensors.Length, parameters.OdeUnfolds, parameters.Epsilon));
    }

    /// <summary>
    /// A CfC over a whole sequence: inputs <paramref name="x"/> [B, T, S], initial state <paramref name="h0"/>
    /// [B, N] (the cells' states side by side), elapsed times [B, T] (null: 1), and the cells of one step in
    /// order (one, or one per wiring layer, each reading the previous one's new state). Returns the state
    /// after every step [B, T, N]. Dropout is not part of the kernel: callers run the composition while it is active.
    /// </summary>
    public static Tensor CfcSequence(Tensor x, Tensor h0, Tensor? elapsed, IReadOnlyList<CfcCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        using var scope = TensorScope.Enter();
        var spec = new List<long> { cells.Count };
        var weights = new List<Tensor>();
        foreach (var cell in cells)
        {
            var (cellSpec, cellWeights) = cell.KernelArguments();
            spec.AddRange(cellSpec);
            weights.AddRange(cellWeights);
        }
        var array = weights.ToArray();
        using var handles = new HandleArray(array, nameof(CfcSequence));
        var specArray = spec.ToArray();
        return scope.Keep(Tensor.Wrap(Native.lq_cfc_sequence(x.H(), h0.H(), elapsed is null ? Tensor.TensorHandleNull : elapsed.H(),
            handles.Handles, array.Length, specArray, specArray.Length)));
    }
}

/// <summary>The builds of the liquid kernels' vector code (runtime/native/src/liquid_simd.inc).</summary>
public enum LiquidVectorBuild
{
    /// <summary>Baseline x86-64: SSE2, 128-bit vectors.</summary>
    Baseline = 0,

    /// <summary>AVX2 and FMA, 256-bit vectors.</summary>
    Avx2 = 1,

    /// <summary>AVX-512 F and VL, 512-bit vectors.</summary>
    Avx512 = 2,
}
