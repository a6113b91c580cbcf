using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Tests.Nn.Liquid;

/// <summary>
/// The wirings against ncps's definitions (LIQUID-SEMANTICS.md §6.2): sizes, neuron-id layout,
/// which layers may connect, fan-outs and the fix-ups, polarity laws, and reproducibility. The draws
/// are seeded but are not numpy's, so no test compares matrices with ncps's.
/// </summary>
public class WiringTests
{
    [Fact]
    public void FullyConnectedHasEverySynapseWithTwoThirdsExcitatory()
    {
        var w = new FullyConnected(60).Build(40);
        Assert.Equal(60, w.Units);
        Assert.Equal(40, w.InputSize);
        Assert.Equal(60, w.OutputSize);
        Assert.Equal(60 * 60, w.SynapseCount);
        Assert.Equal(40 * 60, w.SensorySynapseCount);
        var positive = w.Adjacency.Cast<int>().Concat(w.SensoryAdjacency.Cast<int>()).Count(v => v == 1) / (double)(60 * 60 + 40 * 60);
        Assert.InRange(positive, 2.0 / 3 - 0.02, 2.0 / 3 + 0.02);  // 6000 draws: σ ≈ 0.006
        Assert.Single(w.Layers);
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (long)i), w.Layers[0]);
    }

    [Fact]
    public void FullyConnectedWithoutSelfConnectionsAndWithMotorNeurons()
    {
        var w = new FullyConnected(8, OutputDim: 3, SelfConnections: false).Build(2);
        Assert.Equal(3, w.OutputSize);
        for (var i = 0; i < 8; i++)
            for (var j = 0; j < 8; j++)
                Assert.Equal(i == j, w.Adjacency[i, j] == 0);
    }

    [Fact]
    public void WiringsAreReproducibleAndSeeded()
    {
        foreach (var (a, b, c) in new (Wiring, Wiring, Wiring)[]
                 {
                     (new FullyConnected(10), new FullyConnected(10), new FullyConnected(10, Seed: 7)),
                     (new AutoNcp(20, 4), new AutoNcp(20, 4), new AutoNcp(20, 4, Seed: 9)),
                 })
        {
            var (x, y, z) = (a.Build(5), b.Build(5), c.Build(5));
            Assert.Equal(x.Adjacency.Cast<int>(), y.Adjacency.Cast<int>());
            Assert.Equal(x.SensoryAdjacency.Cast<int>(), y.SensoryAdjacency.Cast<int>());
            Assert.NotEqual(x.Adjacency.Cast<int>().Concat(x.SensoryAdjacency.Cast<int>()),
                z.Adjacency.Cast<int>().Concat(z.SensoryAdjacency.Cast<int>()));
        }
    }

    [Fact]
    public void AutoNcpSizesFollowNcpsFormulas()
    {
        // The semantics document's example: AutoNCP(12, 4) has 5 inter, 3 command and 4 motor neurons.
        var ncp = new AutoNcp(12, 4).ToNcp();
        Assert.Equal((5L, 3L, 4L), (ncp.InterNeurons, ncp.CommandNeurons, ncp.MotorNeurons));
        // 64 units, 8 outputs, sparsity 0.5: C = ⌊0.4·56⌋ = 22, I = 34, fan-outs ⌊34·0.5⌋ = 17 and ⌊22·0.5⌋ = 11,
        // recurrent ⌊2·22·0.5⌋ = 22, motor fan-in 11.
        ncp = new AutoNcp(64, 8).ToNcp();
        Assert.Equal(new Ncp(34, 22, 8, 17, 11, 22, 11, 22222), ncp);
        ncp = new AutoNcp(10, 2, SparsityLevel: 0.9).ToNcp();
        Assert.Equal((5L, 3L, 1L, 1L, 1L), (ncp.InterNeurons, ncp.CommandNeurons, ncp.SensoryFanout, ncp.InterFanout, ncp.MotorFanin));
        Assert.Throws<ArgumentException>(() => new AutoNcp(10, 8).Build(3));
        Assert.Throws<ArgumentException>(() => new AutoNcp(10, 2, SparsityLevel: 0.05).Build(3));
        Assert.Throws<ArgumentException>(() => new AutoNcp(10, 2, SparsityLevel: 1.5).Build(3));
    }

    [Theory]
    [InlineData(34, 22, 8, 17, 11, 22, 11, 32, 1UL)]
    [InlineData(5, 3, 4, 2, 2, 6, 2, 3, 2UL)]
    [InlineData(6, 2, 3, 1, 1, 2, 1, 7, 3UL)]
    public void NcpConnectsOnlyAlongItsLayersAndReachesEveryNeuron(long inter, long command, long motor, long sensoryFanout,
        long interFanout, long recurrent, long motorFanin, long inputs, ulong seed)
    {
        var w = new Ncp(inter, command, motor, sensoryFanout, interFanout, recurrent, motorFanin, seed).Build(inputs);
        var n = (int)(inter + command + motor);
        bool IsMotor(int id) => id < motor;
        bool IsCommand(int id) => id >= motor && id < motor + command;
        bool IsInter(int id) => id >= motor + command;
        Assert.Equal(n, w.Units);
        Assert.Equal(motor, w.OutputSize);
        Assert.Equal(Enumerable.Range((int)(motor + command), (int)inter).Select(i => (long)i), w.Layers[0]);
        Assert.Equal(Enumerable.Range((int)motor, (int)command).Select(i => (long)i), w.Layers[1]);
        Assert.Equal(Enumerable.Range(0, (int)motor).Select(i => (long)i), w.Layers[2]);
        foreach (var v in w.Adjacency.Cast<int>().Concat(w.SensoryAdjacency.Cast<int>())) Assert.Contains(v, new[] { -1, 0, 1 });
        for (var s = 0; s < inputs; s++)
        {
            var targets = Enumerable.Range(0, n).Where(j => w.SensoryAdjacency[s, j] != 0).ToList();
            Assert.All(targets, j => Assert.True(IsInter(j), $"sensory {s} reaches non-inter neuron {j}"));
            Assert.True(targets.Count >= sensoryFanout);
        }
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                if (w.Adjacency[i, j] == 0) continue;
                var allowed = (IsInter(i) && IsCommand(j)) || (IsCommand(i) && (IsCommand(j) || IsMotor(j)));
                Assert.True(allowed, $"synapse {i} → {j} crosses the layers");
            }
        for (var j = 0; j < n; j++)
        {
            if (IsInter(j)) Assert.Contains(Enumerable.Range(0, (int)inputs), s => w.SensoryAdjacency[s, j] != 0);
            if (IsCommand(j)) Assert.Contains(Enumerable.Range(0, n), i => IsInter(i) && w.Adjacency[i, j] != 0);
            if (IsMotor(j)) Assert.True(Enumerable.Range(0, n).Count(i => IsCommand(i) && w.Adjacency[i, j] != 0) >= motorFanin);
        }
        for (var i = 0; i < n; i++)
        {
            if (IsInter(i)) Assert.True(Enumerable.Range(0, n).Count(j => IsCommand(j) && w.Adjacency[i, j] != 0) >= interFanout);
            if (IsCommand(i)) Assert.Contains(Enumerable.Range(0, n), j => IsMotor(j) && w.Adjacency[i, j] != 0);
        }
    }

    [Fact]
    public void NcpPolaritiesAreBalanced()
    {
        var w = new Ncp(40, 30, 10, 20, 15, 60, 15).Build(30);
        var values = w.Adjacency.Cast<int>().Concat(w.SensoryAdjacency.Cast<int>()).Where(v => v != 0).ToList();
        var positive = values.Count(v => v == 1) / (double)values.Count;
        Assert.True(values.Count >= 1300, $"{values.Count} synapses");  // 600 sensory + 600 inter + 150 motor + recurrent
        Assert.InRange(positive, 0.45, 0.55);
    }

    [Fact]
    public void InvalidWiringsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new Ncp(3, 2, 2, 4, 1, 1, 1).Build(2));   // sensory fan-out > inter
        Assert.Throws<ArgumentException>(() => new Ncp(3, 2, 2, 1, 3, 1, 1).Build(2));   // inter fan-out > command
        Assert.Throws<ArgumentException>(() => new Ncp(3, 2, 2, 1, 1, 1, 3).Build(2));   // motor fan-in > command
        Assert.Throws<ArgumentException>(() => new FullyConnected(0).Build(2));
        Assert.Throws<ArgumentException>(() => new FullyConnected(3).Build(0));
        Assert.Throws<ArgumentException>(() => new FixedWiring(new int[2, 2] { { 0, 2 }, { 0, 0 } }, new int[1, 2], 1).Build(1));
        Assert.Throws<ArgumentException>(() => new FixedWiring(new int[2, 2], new int[1, 2], 1, [[0L], [0L, 1L]]).Build(1));
    }

    [Fact]
    public void WiringRandomIsPcg32()
    {
        // The first outputs of the PCG reference implementation's demo (pcg32_srandom_r(42, 54)).
        var random = new WiringRandom(42, 54);
        Assert.Equal([0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu, 0xcbed606eu],
            Enumerable.Range(0, 6).Select(_ => random.NextUInt()));
        // Unbiased bounded draws: every value of a small range appears about equally often.
        var counts = new int[7];
        for (var k = 0; k < 70_000; k++) counts[random.Next(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
        var chosen = random.Choose([1, 2, 3, 4, 5], 5);
        Assert.Equal([1, 2, 3, 4, 5], chosen.Order());
    }
}
