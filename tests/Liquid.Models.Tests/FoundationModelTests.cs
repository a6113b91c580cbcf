using Liquid.Models.Tests.Fixtures;
using Liquid.Runtime;
using Liquid.Runtime.Models;

namespace Liquid.Models.Tests;

/// <summary>
/// The Liquid Foundation kinds as the generator compiles them: the parameter count each kind declares
/// (an expression of config names, summed by the generated <c>CountParameters</c>) against the
/// parameters the runtime's modules actually register, for the fixture with every kind away from its
/// defaults and for both foundation models, under several configs; the checks Validate() repeats for
/// overridden configs; and a training step of the tiny model (dropout on, the LSTM memory carried
/// through the blocks) that leaves no tensor behind.
/// </summary>
public sealed class FoundationModelTests
{
    public static TheoryData<string> KindsConfigs => new()
    {
        "",
        "conv_bias=false,gate_bias=true",
        "d_model=48,heads=8,kv_groups=4,experts=5,top_k=3,hidden=20,lstm_hidden=7,lstm_layers=3",
        "d_model=16,heads=2,kv_groups=1,experts=1,top_k=1,vocab=7,context=5",
    };

    [Theory]
    [MemberData(nameof(KindsConfigs))]
    public void EveryKindCountsTheParametersItsModuleRegisters(string overrides)
    {
        var config = FoundationKindsConfig.FromOverrides(Parse(overrides));
        using var model = new FoundationKinds(config);
        Assert.Equal(model.ParameterCount, FoundationKinds.CountParameters(config));
    }

    public static TheoryData<string> TinyConfigs => new()
    {
        "",
        "layers=3,heads=8,kv_groups=4,d_model=96,ff=50,experts=6,top_k=3,lstm_hidden=10,lstm_layers=1,vocab_size=300,context=40",
        "kv_groups=1,lstm_layers=3",
    };

    [Theory]
    [MemberData(nameof(TinyConfigs))]
    public void TheTinyModelCountsTheParametersItsModulesRegister(string overrides)
    {
        var config = LiquidFoundationTinyConfig.FromOverrides(Parse(overrides));
        using var model = new LiquidFoundationTiny(config);
        Assert.Equal(model.ParameterCount, LiquidFoundationTiny.CountParameters(config));
        if (overrides.Length == 0) Assert.Equal(model.ParameterCount, LiquidFoundationTiny.ModelInfo.DefaultParameterCount);
    }

    [Fact]
    public void TheFullModelHasTheParametersItsInfoStates()
    {
        // d 512, 12 layers: about 216 M parameters (865 MB in float32), built once.
        using var model = new LiquidFoundation();
        Assert.Equal(model.ParameterCount, LiquidFoundation.ModelInfo.DefaultParameterCount);
        Assert.Equal(model.ParameterCount, LiquidFoundation.CountParameters(new LiquidFoundationConfig()));
        Assert.Equal(12, model.NamedParameters().Count(p => p.Name.EndsWith(".moe.gate.weight", StringComparison.Ordinal)));
    }

    [Fact]
    public void OverriddenConfigsAreCheckedBeforeAnythingIsBuilt()
    {
        var tooManyExperts = Assert.Throws<ConfigException>(() => LiquidFoundationTinyConfig.FromOverrides(Parse("top_k=5")));
        Assert.Contains("top_k (5) must not exceed experts (4)", tooManyExperts.Message);
        // d 64 over 32 heads is a head width of 2: it cannot split into two rotated halves.
        var narrowHeads = Assert.Throws<ConfigException>(() => LiquidFoundationTinyConfig.FromOverrides(Parse("heads=32,kv_groups=1")));
        Assert.Contains("the head width d_model / heads (2) must be a multiple of 4", narrowHeads.Message);
        var groups = Assert.Throws<ConfigException>(() => LiquidFoundationTinyConfig.FromOverrides(Parse("kv_groups=3")));
        Assert.Contains("kv_groups (3) must divide heads (4)", groups.Message);
        var zero = Assert.Throws<ConfigException>(() => LiquidFoundationTinyConfig.FromOverrides(Parse("heads=0")));
        Assert.Contains("heads must be at least 1, not 0", zero.Message);
    }

    [Fact]
    public void ATrainingStepCarriesTheMemoryAndLeavesNoTensorBehind()
    {
        Torch.ManualSeed(11);
        var live = Torch.LiveTensors;
        using (var model = new LiquidFoundationTiny(LiquidFoundationTinyConfig.FromOverrides(Parse("context=40"))))
        {
            model.Train();
            for (var step = 0; step < 2; step++)
            {
                using var scope = TensorScope.Enter();
                var tokens = Tensor.RandInt(0, 256, [2, 33]);
                var inputs = tokens.Narrow(1, 0, 32).Contiguous();
                var targets = tokens.Narrow(1, 1, 32).Contiguous();
                model.ZeroGrad();
                using var output = model.Forward(inputs);
                Assert.Equal([2L, 32, 256], output.Logits.Shape);
                using var objective = model.Objective(output, targets);
                objective.Total.Backward();
                Assert.True(double.IsFinite(objective.Total.Item()));
                Assert.True(output.MoeAux.Item() > 0, "the mixtures' entropy term is positive while the gates are undecided");
                // Each block's mixture and the embedding report their measurements; every parameter
                // (block 0's memory reaches the loss also through block 1's initial state) gets a gradient.
                Assert.Contains("blocks.0.moe.usage", output.Metrics.Keys);
                Assert.Contains("blocks.1.moe.k", output.Metrics.Keys);
                Assert.Contains("embed.ratio", output.Metrics.Keys);
                foreach (var (name, parameter) in model.NamedParameters())
                    Assert.True(parameter.Grad is not null, $"{name} has no gradient");
            }
        }
        Assert.Equal(live, Torch.LiveTensors);
    }

    private static Dictionary<string, string> Parse(string overrides) =>
        overrides.Length == 0 ? [] : overrides.Split(',').Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);
}
