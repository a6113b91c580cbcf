namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="Cfc"/> (ncps's <c>ncps.torch.CfC</c> defaults).</summary>
/// <param name="InputSize">Input features S per step.</param>
/// <param name="Units">State size N of a fully connected CfC; give this or <paramref name="Wiring"/>.</param>
/// <param name="Wiring">A wiring (<see cref="Ncp"/>, <see cref="AutoNcp"/> …): one cell per wiring layer, no backbone.</param>
/// <param name="Mode">default, no_gate or pure.</param>
/// <param name="BackboneUnits">Backbone width; null means ncps's 128 (and must be null with a wiring).</param>
/// <param name="BackboneLayers">Backbone layers; null means 1 (and must be null with a wiring).</param>
/// <param name="BackboneDropout">Dropout after backbone layers 2 …; null means 0 (and must be null with a wiring).</param>
/// <param name="Activation">Backbone nonlinearity (ignored with a wiring, which has no backbone).</param>
/// <param name="ProjSize">If set, a Linear (<c>fc</c>) maps every output to this size.</param>
/// <param name="MixedMemory">Run ncps's LSTM cell before the CfC cell at every step (state h and c).</param>
/// <param name="ReturnSequences">Output every step [B, T, ·] (true) or the last one [B, ·].</param>
/// <param name="Fuse">Use the fused native sequence kernel where it applies (the default); false runs ncps's op-by-op composition.</param>
public sealed record CfcOptions(long InputSize, long? Units = null, Wiring? Wiring = null, CfcMode Mode = CfcMode.Default,
    long? BackboneUnits = null, long? BackboneLayers = null, double? BackboneDropout = null,
    CfcActivation Activation = CfcActivation.LecunTanh, long? ProjSize = null, bool MixedMemory = false,
    bool ReturnSequences = true, bool Fuse = true);

/// <summary>The state a <see cref="Cfc"/> carries between calls: H [B, N] and, with mixed memory, the LSTM's C [B, N].</summary>
public sealed record CfcState(Tensor H, Tensor? C) : IDisposable
{
    /// <summary>A copy cut from the autograd graph and owned by no scope, for the next chunk.</summary>
    public CfcState Detach() => new(LiquidState.Own(H.Detach()), C is null ? null : LiquidState.Own(C.Detach()));

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        H.Dispose();
        C?.Dispose();
    }
}

/// <summary>
/// The outputs of <see cref="Cfc.Forward(Tensor, Tensor?, CfcState?, ForwardContext?)"/>, in order: <paramref name="Output"/> [B, T, F] (or [B, F]
/// without return_sequences), with F the projection size, the wiring's motor neurons or N; the final
/// state <paramref name="H"/> [B, N]; with mixed memory the final LSTM cell state <paramref name="C"/>.
/// </summary>
public readonly record struct CfcOutput(Tensor Output, Tensor H, Tensor? C);

/// <summary>
/// A closed-form continuous-time layer (ncps's <c>CfC</c>, Hasani et al. 2022; LIQUID-SEMANTICS.md §6.3),
/// batch first: per step the optional mixed-memory LSTM, then the cell (or the wired cell's layers), then
/// <c>fc</c> when a projection is set. Elapsed time Δ is per sample, broadcast over units (the intended
/// meaning of ncps's <c>timespans</c>).
/// </summary>
/// <remarks>
/// State-dict keys follow ncps (<c>rnn_cell.backbone.0.weight</c>, <c>rnn_cell.ff1.weight</c>,
/// <c>rnn_cell.layer_0.sparsity_mask</c>, <c>lstm.*</c>, <c>fc.*</c>; see Liquid/README.md), plus
/// <c>wiring.adjacency</c> and <c>wiring.sensory_adjacency</c> for a wired layer. With
/// <see cref="CfcOptions.Fuse"/> the whole sequence runs as one native kernel with a hand-written
/// backward, except with mixed memory or while backbone dropout is active, which run op by op.
/// </remarks>
public sealed class Cfc : Module
{
    private readonly CfcCell? _cell;
    private readonly WiredCfcCell? _wired;

    /// <summary>Validates the options and allocates the cell, the LSTM and the projection in ncps's order.</summary>
    public Cfc(CfcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        if (options.InputSize < 1) throw new ArgumentException($"cfc: input size must be at least 1, got {options.InputSize}", nameof(options));
        if (options.ProjSize is { } proj && proj < 1) throw new ArgumentException($"cfc: proj_size must be at least 1, got {proj}", nameof(options));
        if (options.Wiring is not null)
        {
            if (options.Units is not null) throw new ArgumentException("cfc: give either units or a wiring, not both", nameof(options));
            if (options.BackboneUnits is not null || options.BackboneLayers is not null || options.BackboneDropout is not null)
                throw new ArgumentException("cfc: a wired CfC has no backbone; backbone units, layers and dropout must not be set", nameof(options));
            Matrices = options.Wiring.Build(options.InputSize);
            var last = Matrices.Layers[^1].Length;
            if (last != Matrices.OutputSize)
                throw new ArgumentException($"cfc: a wired CfC outputs its last layer's {last} neurons, but the wiring declares {Matrices.OutputSize} outputs", nameof(options));
            _wired = RegisterModule("rnn_cell", new WiredCfcCell(Matrices, options.Mode));
            Units = Matrices.Units;
            CellOutputSize = last;
        }
        else
        {
            if (options.Units is not { } units || units < 1)
                throw new ArgumentException($"cfc: units must be at least 1 (or give a wiring), got {options.Units?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}", nameof(options));
            _cell = RegisterModule("rnn_cell", new CfcCell(options.InputSize, units, options.Mode, options.Activation,
                options.BackboneUnits ?? 128, options.BackboneLayers ?? 1, options.BackboneDropout ?? 0.0));
            Units = units;
            CellOutputSize = units;
        }
        if (options.MixedMemory) Lstm = RegisterModule("lstm", new LiquidLstmCell(options.InputSize, Units));
        if (options.ProjSize is { } size) Projection = RegisterModule("fc", new Linear(new LinearOptions(CellOutputSize, size)));
        if (Matrices is not null) RegisterModule("wiring", new WiringBuffers(Matrices));
    }

    /// <summary>The options this layer was built with.</summary>
    public CfcOptions Options { get; }

    /// <summary>The wiring's matrices (wired layers only).</summary>
    public WiringMatrices? Matrices { get; }

    /// <summary>State size N.</summary>
    public long Units { get; }

    /// <summary>Features the cell emits per step (N, or the last wiring layer's size) before the projection.</summary>
    public long CellOutputSize { get; }

    /// <summary>Features per output step.</summary>
    public long OutputSize => Options.ProjSize ?? CellOutputSize;

    /// <summary>The cells in state order (one, or one per wiring layer).</summary>
    public IReadOnlyList<CfcCell> Cells => _cell is not null ? [_cell] : _wired!.Layers;

    /// <summary>The mixed-memory LSTM (<c>lstm</c>), or null.</summary>
    public LiquidLstmCell? Lstm { get; }

    /// <summary>The projection (<c>fc</c>), or null.</summary>
    public Linear? Projection { get; }

    /// <summary>Whether the next forward runs the fused kernel.</summary>
    public bool RunsFused => Options.Fuse && Lstm is null && !Cells.Any(c => c.DropsOut);

    /// <summary>
    /// Runs <paramref name="input"/> [B, T, S] with elapsed times <paramref name="elapsed"/> [B, T] (null: 1)
    /// from <paramref name="initial"/> (null: the state the context carries for this layer, else zeros);
    /// dropout follows <see cref="Module.Training"/>. With a <see cref="ModelState"/> in
    /// <paramref name="context"/>, the final state is kept there, detached, for the next call.
    /// </summary>
    public CfcOutput Forward(Tensor input, Tensor? elapsed = null, CfcState? initial = null, ForwardContext? context = null)
    {
        var (batch, steps) = LiquidWiring.CheckSequence(this, input, Options.InputSize, elapsed);
        var start = initial ?? context?.State?.Get<CfcState>(this);
        if (start is not null) CheckState(start, batch);

        using var scope = TensorScope.Enter();
        var h = start?.H ?? Tensor.Zeros([batch, Units], input.DType, input.Device);
        var c = Lstm is null ? null : start?.C ?? Tensor.Zeros([batch, Units], input.DType, input.Device);
        Tensor output;
        if (RunsFused)
        {
            var states = LiquidKernels.CfcSequence(input, h, elapsed, Cells);
            h = states.Select(1, steps - 1);
            var emitted = Options.ReturnSequences ? states : h;
            if (CellOutputSize < Units) emitted = emitted.Narrow(-1, Units - CellOutputSize, CellOutputSize);
            output = Projection is null ? emitted : Projection.Forward(emitted);
        }
        else
        {
            var outputs = new Tensor[steps];
            for (var t = 0; t < steps; t++)
            {
                var u = input.Select(1, t);
                if (Lstm is not null) (h, c) = Lstm.Forward(u, h, c!);
                var ts = elapsed?.Select(1, t).Unsqueeze(-1);
                Tensor y;
                if (_cell is not null) y = h = _cell.Forward(u, h, ts);
                else (y, h) = _wired!.Forward(u, h, ts);
                outputs[t] = Projection is null ? y : Projection.Forward(y);
            }
            output = Options.ReturnSequences ? Tensor.Stack(outputs, 1) : outputs[^1];
        }
        var result = new CfcOutput(scope.Keep(output), scope.Keep(h), c is null ? null : scope.Keep(c));
        context?.State?.Set(this, new CfcState(result.H, result.C).Detach());
        return result;
    }

    /// <summary>A compiled model's call: the sequence and its elapsed times, the starting state from <paramref name="context"/>.</summary>
    public CfcOutput Forward(Tensor input, Tensor? elapsed, ForwardContext? context) => Forward(input, elapsed, null, context);

    private void CheckState(CfcState state, long batch)
    {
        if (state.H.Rank != 2 || state.H.Size(0) != batch || state.H.Size(1) != Units)
            throw new ShapeException(Describe(), $"state h [{batch}, {Units}]", state.H.Shape);
        if (Lstm is null && state.C is not null)
            throw new ArgumentException($"{Describe()}: a cell state c was given, but the layer has no mixed memory");
        if (state.C is { } c && (c.Rank != 2 || c.Size(0) != batch || c.Size(1) != Units))
            throw new ShapeException(Describe(), $"state c [{batch}, {Units}]", c.Shape);
    }
}
