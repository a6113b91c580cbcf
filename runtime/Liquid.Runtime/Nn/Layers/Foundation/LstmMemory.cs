namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="LstmMemory"/>.</summary>
/// <param name="Dim">Width d of the stream the memory reads and adds to ([B, T, d]).</param>
/// <param name="Hidden">LSTM hidden size (the seed's 256).</param>
/// <param name="Layers">Stacked LSTM layers (the seed's 2).</param>
/// <param name="Dropout">Dropout on the LSTM's outputs while training (the seed's 0.1).</param>
/// <param name="LstmDropout">Dropout between stacked LSTM layers while training (<c>nn.LSTM(dropout=)</c>; PyTorch's default 0).</param>
/// <param name="MlpHidden">Width between the two Linear layers; null means d.</param>
public sealed record LstmMemoryOptions(long Dim, long Hidden = 256, long Layers = 2, double Dropout = 0.1, double LstmDropout = 0,
    long? MlpHidden = null)
{
    /// <summary>Width between the two Linear layers.</summary>
    public long InnerWidth => MlpHidden ?? Dim;

    /// <summary>Throws <see cref="ArgumentException"/> describing the first inconsistent option.</summary>
    public void Validate()
    {
        if (Dim < 1) throw new ArgumentException($"lstm_memory: dim {Dim} must be at least 1");
        if (Hidden < 1) throw new ArgumentException($"lstm_memory: hidden {Hidden} must be at least 1");
        if (Layers < 1) throw new ArgumentException($"lstm_memory: layers {Layers} must be at least 1");
        if (InnerWidth < 1) throw new ArgumentException($"lstm_memory: mlp_hidden {InnerWidth} must be at least 1");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"lstm_memory: dropout {Dropout} must be in [0, 1)");
        if (LstmDropout is < 0 or >= 1) throw new ArgumentException($"lstm_memory: lstm_dropout {LstmDropout} must be in [0, 1)");
    }
}

/// <summary>The two outputs of <see cref="LstmMemory.Forward"/>, in the order the generator binds them.</summary>
/// <param name="Output">x + Linear(GELU(Linear(dropout(LSTM(x))))), [B, T, d].</param>
/// <param name="State">The LSTM's final (h, c), each [layers, B, hidden]: the next decoder layer's initial state.</param>
public readonly record struct LstmMemoryOutput(Tensor Output, LstmState State);

/// <summary>
/// The Liquid Foundation's external memory after each decoder layer (SEED-MODELS §3 "EnhancedLSTM
/// memory"): out = x + proj(GELU(fc(dropout(LSTM(x))))), with the LSTM starting from the state the
/// previous decoder layer's memory returned, so the memory runs through the whole stack within one
/// forward.
/// </summary>
/// <remarks>
/// <para>Submodules, in state-dict order: <c>lstm</c> (<see cref="Lstm"/>, <c>nn.LSTM(d, hidden, layers,
/// batch_first=True)</c>, keys <c>lstm.weight_ih_l0</c> …), <c>fc</c> (Linear(hidden, inner)), <c>proj</c>
/// (Linear(inner, d)); PyTorch's default initialization.</para>
/// <para>The state is an ordinary input and output, not carried by <see cref="ModelState"/>: the
/// generated code passes layer i's <see cref="LstmMemoryOutput.State"/> to layer i + 1 (null for the
/// first, meaning zeros). Every layer must therefore have the same Hidden and Layers. To carry it
/// across calls (chunks), keep <see cref="LstmState.Detach"/> of the last layer's state.</para>
/// <para>The LSTM's inter-layer dropout follows the module's <see cref="Module.Training"/> flag (it is
/// inside libtorch's fused kernel); the output dropout follows <see cref="ForwardContext.Training"/>.</para>
/// </remarks>
public sealed class LstmMemory : Module
{
    private readonly Lstm _lstm;
    private readonly Linear _fc;
    private readonly Linear _proj;

    /// <summary>Creates the memory; throws <see cref="ArgumentException"/> if the options are inconsistent.</summary>
    public LstmMemory(LstmMemoryOptions options)
    {
        options.Validate();
        Options = options;
        _lstm = RegisterModule("lstm", new Lstm(new RecurrentOptions(options.Dim, options.Hidden, options.Layers, Bias: true, BatchFirst: true,
            Dropout: options.LstmDropout)));
        _fc = RegisterModule("fc", new Linear(new LinearOptions(options.Hidden, options.InnerWidth)));
        _proj = RegisterModule("proj", new Linear(new LinearOptions(options.InnerWidth, options.Dim)));
    }

    /// <summary>The options this memory was built with.</summary>
    public LstmMemoryOptions Options { get; }

    /// <summary>
    /// x [B, T, d] and the previous layer's state (null: zeros) → (x + memory, new state). The input
    /// state is read, not disposed: it stays its owner's.
    /// </summary>
    public LstmMemoryOutput Forward(Tensor input, LstmState? state, ForwardContext context)
    {
        ExpectShape(input.Rank == 3 && input.Size(-1) == Options.Dim, $"[B, T, {Options.Dim}]", input);
        using var scope = TensorScope.Enter();
        var (sequence, final) = _lstm.Forward(input, state);
        if (context.Training && Options.Dropout > 0) sequence = Functional.Dropout(sequence, Options.Dropout, training: true);
        var output = input.Add(_proj.Forward(_fc.Forward(sequence).Gelu()));
        return new LstmMemoryOutput(scope.Keep(output), new LstmState(scope.Keep(final.H), scope.Keep(final.C)));
    }

    /// <summary>The GELU and the residual add, one operation per element each (the LSTM and Linear layers count their own).</summary>
    public override long FlopsPerPosition(long context) => Options.InnerWidth + Options.Dim;
}
