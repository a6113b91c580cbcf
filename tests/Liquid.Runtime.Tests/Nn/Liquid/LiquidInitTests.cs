using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Tests.Nn.Liquid;

/// <summary>
/// Initial values against ncps's ranges and PyTorch's initialisers, statistically on large layers
/// with fixed seeds (the bit-for-bit comparison with PyTorch is <see cref="LiquidInitReferenceTests"/>).
/// Each uniform range must be filled: every value inside it, and the extremes within 1 % of its ends.
/// </summary>
[Collection(TorchRandomStateCollection.Name)]
public class LiquidInitTests
{
    private static void FillsRange(Tensor t, double low, double high, string name)
    {
        var values = t.ToArray<float>();
        Assert.All(values, v => Assert.True(v >= low && v < high, $"{name}: {v} outside [{low}, {high})"));
        var span = high - low;
        Assert.True(values.Min() < low + 0.01 * span && values.Max() > high - 0.01 * span, $"{name}: [{values.Min()}, {values.Max()}] does not fill [{low}, {high})");
        Assert.InRange(values.Average(v => (double)v), low + 0.45 * span, low + 0.55 * span);
    }

    [Fact]
    public void LtcParametersStartInNcpsRanges()
    {
        Torch.ManualSeed(3);
        using var ltc = new Ltc(new LtcOptions(32, Units: 64, OutputSize: 8));
        var cell = ltc.Cell;
        // The vectors have 64 values only: their extremes are checked loosely by the range fill of the matrices.
        foreach (var (tensor, low, high, name) in new[]
                 {
                     (cell.Sigma, 3.0, 8.0, "sigma"), (cell.Mu, 0.3, 0.8, "mu"), (cell.W, 0.001, 1.0, "w"),
                     (cell.SensorySigma, 3.0, 8.0, "sensory_sigma"), (cell.SensoryMu, 0.3, 0.8, "sensory_mu"), (cell.SensoryW, 0.001, 1.0, "sensory_w"),
                 })
            FillsRange(tensor, low, high, name);
        Assert.All(cell.Gleak.ToArray<float>(), v => Assert.InRange(v, 0.001f, 1f));
        Assert.All(cell.Vleak.ToArray<float>(), v => Assert.InRange(v, -0.2f, 0.2f));
        Assert.All(cell.Cm.ToArray<float>(), v => Assert.InRange(v, 0.4f, 0.6f));
        // erev is the wiring's polarity, the masks |adjacency|, the mappings 1 and 0.
        var adjacency = ltc.Matrices.Adjacency.Cast<int>().Select(v => (float)v).ToArray();
        Assert.Equal(adjacency, cell.Erev.ToArray<float>());
        Assert.Equal(adjacency.Select(Math.Abs), cell.SparsityMask.ToArray<float>());
        Assert.All(cell.InputW!.ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.All(cell.InputB!.ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Equal(8, cell.OutputW!.Size(0));
        // Pitfall 1: with softplus an effective gleak starts in (0.694, 1.313), not (0.001, 1).
        using var effective = cell.Positive(cell.Gleak);
        Assert.All(effective.ToArray<float>(), v => Assert.InRange(v, 0.6936f, 1.3133f));
    }

    [Fact]
    public void CfcWeightsAreXavierUniformAndBiasesPyTorchDefaults()
    {
        Torch.ManualSeed(4);
        using var cfc = new Cfc(new CfcOptions(32, Units: 64, BackboneUnits: 128, BackboneLayers: 2));
        var cell = cfc.Cells[0];
        foreach (var linear in cell.Backbone.Append(cell.Ff1).Append(cell.Ff2!).Append(cell.TimeA!).Append(cell.TimeB!))
        {
            var (fanOut, fanIn) = (linear.Weight.Size(0), linear.Weight.Size(1));
            var xavier = Math.Sqrt(6.0 / (fanIn + fanOut));
            FillsRange(linear.Weight, -xavier, xavier, $"weight [{fanOut}, {fanIn}]");
            var bound = 1 / Math.Sqrt(fanIn);
            Assert.All(linear.Bias!.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
        }
    }

    [Fact]
    public void PureModesTimeParametersAreXavierNotZeroAndOne()
    {
        Torch.ManualSeed(5);
        using var cfc = new Cfc(new CfcOptions(8, Units: 500, Mode: CfcMode.Pure));
        var cell = cfc.Cells[0];
        var bound = Math.Sqrt(6.0 / (1 + 500));  // pitfall 3: shape (1, N)
        FillsRange(cell.WTau!, -bound, bound, "w_tau");
        FillsRange(cell.A!, -bound, bound, "A");
    }

    [Fact]
    public void MixedMemoryLstmIsXavierUniformOrthogonal()
    {
        Torch.ManualSeed(6);
        using var ltc = new Ltc(new LtcOptions(40, Units: 30, MixedMemory: true));
        var lstm = ltc.Lstm!;
        var xavier = Math.Sqrt(6.0 / (40 + 120));
        FillsRange(lstm.InputMap.Weight, -xavier, xavier, "input_map.weight");
        Assert.All(lstm.InputMap.Bias!.ToArray<float>(), v => Assert.InRange(v, -0.1f, 0.1f));
        // recurrent_map.weight [120, 30]: orthonormal columns, WᵀW = I.
        using var scope = TensorScope.Enter();
        var w = lstm.RecurrentMap.Weight.Detach();
        Support.TensorAssert.Close(Tensor.Eye(30), w.Transpose(0, 1).MatMul(w), 0, 1e-5);
    }
}
