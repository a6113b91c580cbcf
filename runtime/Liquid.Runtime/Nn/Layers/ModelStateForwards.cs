namespace Liquid.Runtime.Nn;

// Forward overloads that take the model-wide ModelState, which generated models pass to every
// layer that keeps state between calls: each finds its own entry by its state-dict path.

public sealed partial class Attention
{
    /// <summary>Forward with this layer's KV cache from <paramref name="state"/> (none when null).</summary>
    public Tensor Forward(Tensor input, ModelState? state) => Forward(input, state?.Cache(Path));
}

public sealed partial class Lstm
{
    /// <summary>
    /// Forward returning the outputs only. With <paramref name="carry"/> and a state, the sequence starts
    /// from the final (h, c) of the previous call and leaves its own for the next (chunked long inputs).
    /// </summary>
    public Tensor Forward(Tensor input, ModelState? state, bool carry)
    {
        var previous = carry ? state?.Carried(Path) : null;
        using var initial = previous is null ? null : new LstmState(previous[0].Alias(), previous[1].Alias());
        var (output, final) = Forward(input, initial);
        using (final)
            if (carry && state is not null) state.Carry(Path, final.H, final.C);
        return output;
    }
}
