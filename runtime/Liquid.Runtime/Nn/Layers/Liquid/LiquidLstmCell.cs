namespace Liquid.Runtime.Nn;

/// <summary>
/// The mixed-memory LSTM cell of ncps's LTC and CfC (<c>ncps.torch.lstm.LSTMCell</c>), run before the
/// liquid cell at every step: z = W_in·u + b_in + W_rec·h (no recurrent bias), split into
/// [i, ig, fg, og]; c' = c ⊙ σ(fg + 1) + tanh(i) ⊙ σ(ig), h' = tanh(c') ⊙ σ(og).
/// </summary>
/// <remarks>
/// Parameters <c>input_map.weight</c> [4N, S], <c>input_map.bias</c> [4N] and
/// <c>recurrent_map.weight</c> [4N, N]. Init as ncps: both Linears are built with PyTorch's default
/// init, then W_in gets xavier-uniform, b_in U(−0.1, 0.1) and W_rec an orthogonal matrix.
/// </remarks>
public sealed class LiquidLstmCell : Module
{
    /// <summary>Creates the cell for <paramref name="inputSize"/> inputs and <paramref name="hiddenSize"/> units.</summary>
    public LiquidLstmCell(long inputSize, long hiddenSize)
    {
        if (inputSize < 1 || hiddenSize < 1)
            throw new ArgumentException($"the mixed-memory LSTM needs positive sizes, got input {inputSize}, hidden {hiddenSize}");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        InputMap = RegisterModule("input_map", new Linear(new LinearOptions(inputSize, 4 * hiddenSize, Bias: true)));
        RecurrentMap = RegisterModule("recurrent_map", new Linear(new LinearOptions(hiddenSize, 4 * hiddenSize, Bias: false)));
        LiquidInit.XavierUniform(InputMap.Weight);
        using (Torch.NoGrad()) InputMap.Bias!.Uniform_(-0.1, 0.1);
        LiquidInit.Orthogonal(RecurrentMap.Weight);
    }

    /// <summary>Input features S.</summary>
    public long InputSize { get; }

    /// <summary>Units N (the liquid cell's state size).</summary>
    public long HiddenSize { get; }

    /// <summary>W_in, b_in.</summary>
    public Linear InputMap { get; }

    /// <summary>W_rec (no bias).</summary>
    public Linear RecurrentMap { get; }

    /// <summary>One step: u [B, S], h and c [B, N] → (h', c').</summary>
    public (Tensor H, Tensor C) Forward(Tensor input, Tensor h, Tensor c)
    {
        using var scope = TensorScope.Enter();
        var z = InputMap.Forward(input).Add(RecurrentMap.Forward(h));
        var gates = z.Chunk(4, 1);
        var cell = c.Mul(gates[2].Add(1.0).Sigmoid()).Add(gates[0].Tanh().Mul(gates[1].Sigmoid()));
        var hidden = cell.Tanh().Mul(gates[3].Sigmoid());
        return (scope.Keep(hidden), scope.Keep(cell));
    }

    /// <summary>The gate arithmetic per step (the two matrix products are the Linears' own).</summary>
    public override long FlopsPerPosition(long context) => 4 * HiddenSize + 10 * HiddenSize;
}
