using System.Globalization;

namespace Liquid.Runtime.Nn;

/// <summary>Options shared by <see cref="Lstm"/>, <see cref="Gru"/> and <see cref="Rnn"/>.</summary>
/// <param name="InputSize">Features per input step.</param>
/// <param name="HiddenSize">Features of the hidden state.</param>
/// <param name="Layers">Stacked layers.</param>
/// <param name="Bias">Whether the gates have biases.</param>
/// <param name="Dropout">Dropout between stacked layers while training (not after the last).</param>
/// <param name="BatchFirst">Inputs and outputs are [B, T, F] (else [T, B, F]).</param>
/// <param name="Bidirectional">Also run each layer backwards in time and concatenate.</param>
/// <param name="CarryState">With a context that carries state, start each call from the previous call's final state and leave this one's (chunked long inputs; the carried state is cut from the autograd graph).</param>
public sealed record RecurrentOptions(long InputSize, long HiddenSize, long Layers = 1, bool Bias = true,
    bool BatchFirst = true, double Dropout = 0, bool Bidirectional = false, bool CarryState = false);

/// <summary>
/// Common part of the fused recurrent layers: PyTorch's parameter layout and names
/// (<c>weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>, <c>…_reverse</c>),
/// all initialized U(±1/√hidden) as in PyTorch.
/// </summary>
public abstract class RecurrentBase : Module
{
    private readonly Tensor[] _weights;

    /// <summary>Registers the weights of <paramref name="gates"/> gates per layer and direction.</summary>
    protected RecurrentBase(RecurrentOptions options, int gates)
    {
        if (options.Layers < 1) throw new ArgumentOutOfRangeException(nameof(options), "a recurrent layer needs at least one layer");
        Options = options;
        var weights = new List<Tensor>();
        var directions = options.Bidirectional ? 2 : 1;
        for (var layer = 0; layer < options.Layers; layer++)
        {
            for (var direction = 0; direction < directions; direction++)
            {
                var suffix = string.Create(CultureInfo.InvariantCulture, $"_l{layer}{(direction == 1 ? "_reverse" : "")}");
                var input = layer == 0 ? options.InputSize : options.HiddenSize * directions;
                weights.Add(Parameter("weight_ih" + suffix, [gates * options.HiddenSize, input]));
                weights.Add(Parameter("weight_hh" + suffix, [gates * options.HiddenSize, options.HiddenSize]));
                if (options.Bias)
                {
                    weights.Add(Parameter("bias_ih" + suffix, [gates * options.HiddenSize]));
                    weights.Add(Parameter("bias_hh" + suffix, [gates * options.HiddenSize]));
                }
            }
        }
        _weights = weights.ToArray();
    }

    private Tensor Parameter(string name, long[] shape) =>
        RegisterParameter(name, Init.UniformFanIn(Tensor.Empty(shape), Options.HiddenSize));

    /// <summary>The options this layer was built with.</summary>
    public RecurrentOptions Options { get; }

    /// <summary>Weights in libtorch's flat order, for the fused kernels.</summary>
    protected ReadOnlySpan<Tensor> FlatWeights => _weights;

    /// <summary>Number of stacked layers × directions: the first dimension of the state.</summary>
    protected long StateRows => Options.Layers * (Options.Bidirectional ? 2 : 1);

    /// <summary>Checks the input and returns its batch size.</summary>
    protected long CheckInput(Tensor input)
    {
        ExpectShape(input.Rank == 3 && input.Size(-1) == Options.InputSize,
            Options.BatchFirst ? $"[B, T, {Options.InputSize}]" : $"[T, B, {Options.InputSize}]", input);
        return input.Size(Options.BatchFirst ? 0 : 1);
    }

    /// <summary>A zero state [layers·directions, B, hidden] like the input's dtype and device.</summary>
    protected Tensor ZeroState(Tensor input, long batch) =>
        Tensor.Zeros([StateRows, batch, Options.HiddenSize], input.DType, input.Device);

    /// <summary>
    /// The top layer's final output [B, hidden·directions] from a final state [layers·directions, B, hidden]:
    /// the forward direction's last step and, when bidirectional, the backward direction's first.
    /// </summary>
    protected Tensor LastOutput(Tensor h)
    {
        var directions = Options.Bidirectional ? 2 : 1;
        using var scope = TensorScope.Enter();
        var top = h.Narrow(0, StateRows - directions, directions); // [directions, B, hidden]
        return scope.Keep(top.Transpose(0, 1).Reshape(h.Size(1), directions * Options.HiddenSize));
    }

    /// <inheritdoc/>
    public override long FlopsPerPosition(long context) => 2 * Parameters().Where(p => p.Rank == 2).Sum(p => p.NumElements);

    /// <summary>Checks a caller-supplied state tensor.</summary>
    protected void CheckState(Tensor state, long batch, string name)
    {
        if (state.Rank != 3 || state.Size(0) != StateRows || state.Size(1) != batch || state.Size(2) != Options.HiddenSize)
            throw new ShapeException(Describe(), $"{name} [{StateRows}, {batch}, {Options.HiddenSize}]", state.Shape);
    }
}

/// <summary>The carried state of an <see cref="Lstm"/>: hidden and cell, each [layers·directions, B, hidden].</summary>
public sealed record LstmState(Tensor H, Tensor C) : ITensorState
{
    /// <inheritdoc/>
    public IEnumerable<Tensor> Tensors => [H, C];

    /// <summary>
    /// The same values cut from the autograd graph and owned by no scope (for carrying into the next
    /// chunk); the caller disposes the copy.
    /// </summary>
    public LstmState Detach()
    {
        var h = H.Detach();
        var c = C.Detach();
        h.Scope?.Detach(h);
        c.Scope?.Detach(c);
        return new LstmState(h, c);
    }

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        H.Dispose();
        C.Dispose();
    }
}

/// <summary>What <see cref="Lstm"/> returns to a model: every step's output, the final output and the final state.</summary>
public readonly record struct LstmOutput(Tensor Sequence, Tensor Last, LstmState State);

/// <summary>What <see cref="Gru"/> and <see cref="Rnn"/> return to a model: every step's output, the final output and the final hidden state.</summary>
public readonly record struct RecurrentOutput(Tensor Sequence, Tensor Last, Tensor State);

/// <summary>Multi-layer LSTM on libtorch's fused kernel (<c>torch.nn.LSTM</c>; gates i, f, g, o).</summary>
public sealed partial class Lstm(RecurrentOptions options) : RecurrentBase(options, gates: 4)
{
    /// <summary>
    /// Runs the sequence from <paramref name="state"/> (zeros when null) and returns the outputs
    /// [B, T, hidden·directions] and the final state, which the caller may pass to the next chunk.
    /// </summary>
    public (Tensor Output, LstmState State) Forward(Tensor input, LstmState? state = null)
    {
        var batch = CheckInput(input);
        using var scope = TensorScope.Enter();
        var h0 = state?.H ?? ZeroState(input, batch);
        var c0 = state?.C ?? ZeroState(input, batch);
        CheckState(h0, batch, "h0");
        CheckState(c0, batch, "c0");
        var (output, h, c) = Functional.Lstm(input, h0, c0, FlatWeights, Options.Bias, Options.Layers, Options.Dropout, Training,
            Options.Bidirectional, Options.BatchFirst);
        return (scope.Keep(output), new LstmState(scope.Keep(h), scope.Keep(c)));
    }

    /// <summary>
    /// The sequence, its final output and final state. With <see cref="RecurrentOptions.CarryState"/> and a
    /// context that carries state, it starts from the previous call's final state and keeps its own.
    /// </summary>
    public LstmOutput Forward(Tensor input, ForwardContext? context)
    {
        var carried = Options.CarryState ? context?.State?.Get<LstmState>(this) : null;
        using var scope = TensorScope.Enter();
        var (output, state) = Forward(input, carried);
        if (Options.CarryState) context?.State?.Set(this, state.Detach());
        var last = LastOutput(state.H);
        return new LstmOutput(scope.Keep(output), scope.Keep(last), new LstmState(scope.Keep(state.H), scope.Keep(state.C)));
    }
}

/// <summary>
/// Recurrent layers whose state is a single hidden tensor (GRU, RNN): one Forward for both, over the
/// layer's fused libtorch kernel.
/// </summary>
public abstract class HiddenStateRecurrent(RecurrentOptions options, int gates) : RecurrentBase(options, gates)
{
    /// <summary>Runs the sequence from <paramref name="h0"/> (zeros when null); returns outputs and the final hidden state.</summary>
    public (Tensor Output, Tensor H) Forward(Tensor input, Tensor? h0 = null)
    {
        var batch = CheckInput(input);
        using var scope = TensorScope.Enter();
        var initial = h0 ?? ZeroState(input, batch);
        CheckState(initial, batch, "h0");
        var (output, h) = Kernel(input, initial);
        return (scope.Keep(output), scope.Keep(h));
    }

    /// <summary>
    /// The sequence, its final output and final hidden state. With <see cref="RecurrentOptions.CarryState"/>
    /// and a context that carries state, it starts from the previous call's final state and keeps its own.
    /// </summary>
    public RecurrentOutput Forward(Tensor input, ForwardContext? context)
    {
        var carried = Options.CarryState ? context?.State?.Get<Tensor>(this) : null;
        using var scope = TensorScope.Enter();
        var (output, h) = Forward(input, carried);
        if (Options.CarryState && context?.State is { } state)
        {
            var kept = h.Detach();
            kept.Scope?.Detach(kept);
            state.Set(this, kept);
        }
        var last = LastOutput(h);
        return new RecurrentOutput(scope.Keep(output), scope.Keep(last), scope.Keep(h));
    }

    /// <summary>The fused kernel: outputs and final hidden state from a checked initial state.</summary>
    private protected abstract (Tensor Output, Tensor H) Kernel(Tensor input, Tensor h0);
}

/// <summary>Multi-layer GRU on libtorch's fused kernel (<c>torch.nn.GRU</c>; gates r, z, n).</summary>
public sealed class Gru(RecurrentOptions options) : HiddenStateRecurrent(options, gates: 3)
{
    private protected override (Tensor Output, Tensor H) Kernel(Tensor input, Tensor h0) =>
        Functional.Gru(input, h0, FlatWeights, Options.Bias, Options.Layers, Options.Dropout, Training, Options.Bidirectional, Options.BatchFirst);
}

/// <summary>Multi-layer Elman RNN with tanh on libtorch's fused kernel (<c>torch.nn.RNN</c>).</summary>
public sealed class Rnn(RecurrentOptions options) : HiddenStateRecurrent(options, gates: 1)
{
    private protected override (Tensor Output, Tensor H) Kernel(Tensor input, Tensor h0) =>
        Functional.RnnTanh(input, h0, FlatWeights, Options.Bias, Options.Layers, Options.Dropout, Training, Options.Bidirectional, Options.BatchFirst);
}
