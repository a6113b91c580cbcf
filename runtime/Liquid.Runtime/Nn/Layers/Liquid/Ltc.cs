namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="Ltc"/> (ncps's <c>ncps.torch.LTC</c> defaults).</summary>
/// <param name="InputSize">Sensory inputs S per step.</param>
/// <param name="Units">Neurons N of a fully connected wiring (ncps's int <c>units</c>); give this or <paramref name="Wiring"/>.</param>
/// <param name="Wiring">The wiring (<see cref="FullyConnected"/>, <see cref="Ncp"/>, <see cref="AutoNcp"/>, <see cref="FixedWiring"/>).</param>
/// <param name="OutputSize">Motor neurons M with <paramref name="Units"/> (<c>FullyConnected(units, output_dim)</c>; null: N); with a wiring, null or the wiring's own.</param>
/// <param name="ReturnSequences">Output every step [B, T, M] (true) or the last one [B, M].</param>
/// <param name="MixedMemory">Run ncps's LSTM cell before the LTC cell at every step (state h and c).</param>
/// <param name="InputMapping">Mapping of the inputs.</param>
/// <param name="OutputMapping">Mapping of the motor neurons.</param>
/// <param name="OdeUnfolds">Semi-implicit Euler steps per input step.</param>
/// <param name="Epsilon">Added to the update's denominator.</param>
/// <param name="Constraints">Positivity of w, sensory_w, cm, gleak: softplus (the LTC wrapper's default), clamp or none.</param>
/// <param name="Fuse">Use the fused native kernels (the default); false runs ncps's op-by-op composition.</param>
public sealed record LtcOptions(long InputSize, long? Units = null, Wiring? Wiring = null, long? OutputSize = null,
    bool ReturnSequences = true, bool MixedMemory = false, LtcMapping InputMapping = LtcMapping.Affine,
    LtcMapping OutputMapping = LtcMapping.Affine, int OdeUnfolds = 6, double Epsilon = 1e-8,
    LtcConstraint Constraints = LtcConstraint.Softplus, bool Fuse = true);

/// <summary>
/// The state an <see cref="Ltc"/> carries between calls: the membrane potentials H [B, N] and, with
/// mixed memory, the LSTM's cell state C [B, N].
/// </summary>
public sealed record LtcState(Tensor H, Tensor? C) : IDisposable
{
    /// <summary>A copy cut from the autograd graph and owned by no scope, for the next chunk.</summary>
    public LtcState Detach() => new(LiquidState.Own(H.Detach()), C is null ? null : LiquidState.Own(C.Detach()));

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        H.Dispose();
        C?.Dispose();
    }
}

/// <summary>
/// The outputs of <see cref="Ltc.Forward(Tensor, Tensor?, LtcState?, ForwardContext?)"/>, in order: <paramref name="Output"/> [B, T, M] (or [B, M]
/// without return_sequences), the final state <paramref name="H"/> [B, N] and, with mixed memory, the
/// final LSTM cell state <paramref name="C"/> [B, N].
/// </summary>
public readonly record struct LtcOutput(Tensor Output, Tensor H, Tensor? C);

/// <summary>
/// A liquid time-constant network layer (ncps's <c>LTC</c>, Hasani et al. 2021; LIQUID-SEMANTICS.md §6.1),
/// batch first. Each step optionally runs the mixed-memory LSTM, then the LTC cell with its
/// <c>ode_unfolds</c> semi-implicit Euler unfolds, with elapsed time Δ per sample (the intended
/// meaning of ncps's <c>timespans</c>, which ncps breaks for batch &gt; 1).
/// </summary>
/// <remarks>
/// State-dict keys follow ncps (<c>rnn_cell.gleak</c>, <c>rnn_cell.sparsity_mask</c>, <c>lstm.input_map.weight</c> …;
/// runtime/Liquid.Runtime/Nn/Layers/Liquid/README.md has the map) plus the wiring's signed matrices
/// <c>wiring.adjacency</c> [N, N] and <c>wiring.sensory_adjacency</c> [S, N]. The hidden state is in neuron-id
/// order, so the motor neurons come first. With <see cref="LtcOptions.Fuse"/> the sequence (or, with mixed
/// memory, each step) runs as one native kernel with a hand-written backward.
/// </remarks>
public sealed class Ltc : Module, IWeightConstraint
{
    /// <summary>Builds the wiring and allocates the parameters in ncps's order (cell first, then the LSTM).</summary>
    public Ltc(LtcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        if (options.InputSize < 1) throw new ArgumentException($"ltc: input size must be at least 1, got {options.InputSize}", nameof(options));
        Matrices = LiquidWiring.Resolve("ltc", options.InputSize, options.Units, options.Wiring, options.OutputSize);
        Cell = RegisterModule("rnn_cell", new LtcCell(Matrices, options.InputMapping, options.OutputMapping, options.OdeUnfolds,
            options.Epsilon, options.Constraints));
        if (options.MixedMemory) Lstm = RegisterModule("lstm", new LiquidLstmCell(options.InputSize, Matrices.Units));
        RegisterModule("wiring", new WiringBuffers(Matrices));
    }

    /// <summary>The options this layer was built with.</summary>
    public LtcOptions Options { get; }

    /// <summary>The wiring's matrices.</summary>
    public WiringMatrices Matrices { get; }

    /// <summary>The LTC cell (<c>rnn_cell</c>).</summary>
    public LtcCell Cell { get; }

    /// <summary>The mixed-memory LSTM (<c>lstm</c>), or null.</summary>
    public LiquidLstmCell? Lstm { get; }

    /// <summary>Neurons N.</summary>
    public long Units => Matrices.Units;

    /// <summary>Motor neurons M (output features).</summary>
    public long OutputSize => Matrices.OutputSize;

    /// <summary>
    /// Runs the sequence <paramref name="input"/> [B, T, S] with elapsed times <paramref name="elapsed"/>
    /// [B, T] (null: 1 everywhere) from <paramref name="initial"/> (null: the state the context carries
    /// for this layer, else zeros). With a <see cref="ModelState"/> in <paramref name="context"/>, the final
    /// state is kept there, detached, for the next call.
    /// </summary>
    public LtcOutput Forward(Tensor input, Tensor? elapsed = null, LtcState? initial = null, ForwardContext? context = null)
    {
        var (batch, steps) = LiquidWiring.CheckSequence(this, input, Options.InputSize, elapsed);
        var start = initial ?? context?.State?.Get<LtcState>(this);
        if (start is not null) CheckState(start, batch);

        using var scope = TensorScope.Enter();
        var h = start?.H ?? Tensor.Zeros([batch, Units], input.DType, input.Device);
        var c = Lstm is null ? null : start?.C ?? Tensor.Zeros([batch, Units], input.DType, input.Device);
        Tensor output;
        if (Options.Fuse)
        {
            using var parameters = Cell.KernelParameters();
            var mapped = Cell.MapInputs(input);
            if (Lstm is null)
            {
                var states = LiquidKernels.LtcSequence(mapped, h, elapsed, parameters);
                h = states.Select(1, steps - 1);
                output = Cell.MapOutputs(Options.ReturnSequences ? states : h);
            }
            else
            {
                var states = new Tensor[steps];
                for (var t = 0; t < steps; t++)
                {
                    (h, c) = Lstm.Forward(input.Select(1, t), h, c!);
                    h = states[t] = LiquidKernels.LtcStep(mapped.Select(1, t), h, elapsed?.Select(1, t), parameters);
                }
                output = Cell.MapOutputs(Options.ReturnSequences ? Tensor.Stack(states, 1) : h);
            }
        }
        else
        {
            var outputs = new Tensor[steps];
            for (var t = 0; t < steps; t++)
            {
                var u = input.Select(1, t);
                if (Lstm is not null) (h, c) = Lstm.Forward(u, h, c!);
                (outputs[t], h) = Cell.Forward(u, h, elapsed?.Select(1, t));
            }
            output = Options.ReturnSequences ? Tensor.Stack(outputs, 1) : outputs[^1];
        }
        var result = new LtcOutput(scope.Keep(output), scope.Keep(h), c is null ? null : scope.Keep(c));
        context?.State?.Set(this, new LtcState(result.H, result.C).Detach());
        return result;
    }

    /// <summary>A compiled model's call: the sequence and its elapsed times, the starting state from <paramref name="context"/>.</summary>
    public LtcOutput Forward(Tensor input, Tensor? elapsed, ForwardContext? context) => Forward(input, elapsed, null, context);

    /// <summary>
    /// For <see cref="LtcConstraint.Clamp"/>: clamps w, sensory_w, cm and gleak to ≥ 0 in place. Call it after
    /// every optimiser step (ncps's <c>apply_weight_constraints</c>); a no-op for the other constraints.
    /// </summary>
    public void ApplyWeightConstraints() => Cell.ApplyWeightConstraints();

    private void CheckState(LtcState state, long batch)
    {
        if (state.H.Rank != 2 || state.H.Size(0) != batch || state.H.Size(1) != Units)
            throw new ShapeException(Describe(), $"state h [{batch}, {Units}]", state.H.Shape);
        if (Lstm is null && state.C is not null)
            throw new ArgumentException($"{Describe()}: a cell state c was given, but the layer has no mixed memory");
        if (state.C is { } c && (c.Rank != 2 || c.Size(0) != batch || c.Size(1) != Units))
            throw new ShapeException(Describe(), $"state c [{batch}, {Units}]", c.Shape);
    }
}
