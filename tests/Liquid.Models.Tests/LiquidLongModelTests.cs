using Liquid.Models.Tests.Support;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;

namespace Liquid.Models.Tests;

/// <summary>
/// The liquid long-sequence generator as a whole (models/liquid-long*.model.yaml): a sequence fed in
/// calls of any lengths, the state carried, gives the logits of one call (which is what lets a 32k
/// input run in chunks and generation cost the same at every position), and no logit reads a later token.
/// </summary>
public sealed class LiquidLongModelTests
{
    private static readonly Dictionary<string, string> Small = new()
    {
        ["vocab_size"] = "40", ["embedding"] = "12", ["latent"] = "6", ["hidden"] = "8", ["flow_hidden"] = "10", ["chunk"] = "5",
    };

    private static CompiledModel Build(string name, ulong seed)
    {
        Torch.ManualSeed(seed);
        var model = ModelCatalog.Find(name)!.Create(Small);
        Weights.Randomize(model);
        model.Eval();
        model.To(DType.Float64);
        return model;
    }

    private static Tensor Logits(CompiledModel model, Tensor tokens, ModelState? state = null) =>
        model.Run(new Dictionary<string, Tensor> { ["tokens"] = tokens }, state).Output;

    /// <summary>
    /// Both models integrate their embedding on a fixed grid (rk4), so every layer is position-wise or
    /// state-carried and the chunked logits equal the whole pass to rounding: one token at a time
    /// (generation) and in calls that split the async cell's chunks anywhere.
    /// </summary>
    [Theory]
    [InlineData("liquid-long-tiny")]
    [InlineData("liquid-long")]
    public void ChunkedCallsGiveTheLogitsOfOneCall(string name)
    {
        using var model = Build(name, seed: 21);
        using var noGrad = Torch.NoGrad();
        using var scope = TensorScope.Enter();
        Torch.ManualSeed(22);
        const long steps = 17;
        var tokens = Tensor.RandInt(0, 40, [2, steps]);
        var full = Logits(model, tokens);

        using var state = new ModelState();
        for (long t = 0; t < steps; t++)
            Compare.Close(full.Narrow(1, t, 1), Logits(model, tokens.Narrow(1, t, 1), state), 1e-10, $"position {t}");
        Assert.Equal(steps, state.Position);

        using var chunked = new ModelState();
        long start = 0;
        foreach (var length in new long[] { 3, 4, 1, 7, 2 })
        {
            Compare.Close(full.Narrow(1, start, length), Logits(model, tokens.Narrow(1, start, length), chunked), 1e-10, $"call at {start}");
            start += length;
        }
    }

    /// <summary>Changing token t changes no logit before t, and does change later ones.</summary>
    [Theory]
    [InlineData("liquid-long-tiny")]
    [InlineData("liquid-long")]
    public void NoLogitReadsALaterToken(string name)
    {
        using var model = Build(name, seed: 23);
        using var noGrad = Torch.NoGrad();
        using var scope = TensorScope.Enter();
        Torch.ManualSeed(24);
        var tokens = Tensor.RandInt(0, 40, [1, 14]);
        var baseline = Logits(model, tokens);
        foreach (var t in new long[] { 3, 9 })
        {
            var changed = tokens.Clone();
            changed.Narrow(1, t, 1).Copy_(tokens.Narrow(1, t, 1).Add(1L).Remainder(40L));
            var logits = Logits(model, changed);
            Compare.Close(baseline.Narrow(1, 0, t), logits.Narrow(1, 0, t), 0, $"{name}: positions before {t}");
            Assert.True((baseline.Narrow(1, t, 1) - logits.Narrow(1, t, 1)).Abs().Max().Item() > 1e-9, $"{name}: position {t} ignores its own token");
        }
    }
}
