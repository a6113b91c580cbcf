using Liquid.Runtime.Nn;
using static Liquid.Runtime.Tests.Nn.Liquid.LiquidTestSupport;

namespace Liquid.Runtime.Tests.Nn.Liquid;

/// <summary>
/// No native tensor outlives a forward and backward pass of the liquid layers, fused or not, with and
/// without mixed memory, carried state and an optimiser step: the live count returns to where it was.
/// </summary>
[Collection(LiveTensorCountCollection.Name)]
public class LiquidLifetimeTests
{
    public static TheoryData<string> Layers() => new(["ltc", "ltc_plain", "ltc_mixed", "cfc", "cfc_plain", "cfc_wired", "cfc_mixed"]);

    private static Module Make(string name) => name switch
    {
        "ltc" => new Ltc(new LtcOptions(3, Units: 6)),
        "ltc_plain" => new Ltc(new LtcOptions(3, Units: 6, Fuse: false)),
        "ltc_mixed" => new Ltc(new LtcOptions(3, Wiring: new AutoNcp(8, 2), MixedMemory: true)),
        "cfc" => new Cfc(new CfcOptions(3, Units: 6, BackboneUnits: 8)),
        "cfc_plain" => new Cfc(new CfcOptions(3, Units: 6, BackboneUnits: 8, Fuse: false)),
        "cfc_wired" => new Cfc(new CfcOptions(3, Wiring: new AutoNcp(9, 2), ProjSize: 2)),
        _ => new Cfc(new CfcOptions(3, Units: 6, MixedMemory: true)),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void TrainingStepsLeaveNoLiveTensors(string name)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Torch.LiveTensors;
        using (var layer = Make(name))
        using (var state = new ModelState())
        {
            var optimizer = new Adam(layer.Parameters(), new AdamOptions());
            var random = new Random(1);
            using var x = Uniform(random, [2, 5, 3], -1, 1, DType.Float32);
            using var elapsed = Uniform(random, [2, 5], 0.5, 1.5, DType.Float32);
            for (var step = 0; step < 3; step++)
            {
                using var scope = TensorScope.Enter();
                using var context = new ForwardContext(training: true, state);
                var output = layer is Ltc ltc ? ltc.Forward(x, elapsed, null, context).Output : ((Cfc)layer).Forward(x, elapsed, null, context).Output;
                output.Square().Mean().Backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            optimizer.Dispose();
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(before, Torch.LiveTensors);
    }
}
