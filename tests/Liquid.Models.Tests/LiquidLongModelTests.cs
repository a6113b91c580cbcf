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

/// <summary>
/// The long-sequence kinds as the generator compiles them: the parameter count each kind declares
/// (summed by the generated <c>CountParameters</c>) against what the runtime's modules register, for
/// the fixture with every kind away from its defaults under several configs (odd and even widths, so
/// both halves of a coupling are counted), and a training step that reaches every parameter.
/// </summary>
public sealed class LongKindsModelTests
{
    public static TheoryData<string> Configs => new() { "", "d=8,odd=5,hidden=4,flows=1,modulation=2", "d=12,odd=2,flows=6,chunk=1" };

    [Theory]
    [MemberData(nameof(Configs))]
    public void EveryKindCountsTheParametersItsModuleRegisters(string overrides)
    {
        var config = Fixtures.LongKindsConfig.FromOverrides(overrides.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=')).ToDictionary(pair => pair[0], pair => pair[1]));
        using var model = new Fixtures.LongKinds(config);
        Assert.Equal(model.ParameterCount, Fixtures.LongKinds.CountParameters(config));
    }

    [Fact]
    public void ATrainingStepReachesEveryParameter()
    {
        Torch.ManualSeed(31);
        using var model = new Fixtures.LongKinds();
        model.Train();
        using var scope = TensorScope.Enter();
        var tokens = Tensor.RandInt(0, 30, [2, 9]);
        var times = Tensor.Rand([2, 9]);
        using var output = model.Forward(tokens, times);
        using var objective = model.Objective(output, Tensor.RandInt(0, 30, [2, 9]));
        objective.Total.Backward();
        foreach (var (name, parameter) in model.NamedParameters())
        {
            Assert.True(parameter.Grad is not null, $"{name} got no gradient");
            // The async cell's key bias shifts every score of a chunk alike, which softmax ignores.
            if (!name.EndsWith("key.bias", StringComparison.Ordinal))
                Assert.True(parameter.Grad!.Abs().Max().Item() > 0, $"{name}'s gradient is zero");
        }
    }
}
