using System.Text.Json;
using Liquid.Harness.Monitoring;
using Liquid.Runtime;
using Liquid.Runtime.Nn;

namespace Liquid.Harness.Tests.Monitoring;

/// <summary>
/// <see cref="ActivationLog"/>: every record of a monitor becomes one JSON line with its fields, the
/// monitor's records are taken, statistics without a finite value are null, and the first non-finite
/// value is written once.
/// </summary>
public sealed class ActivationLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("liquid-activation-log-").FullName;

    [Fact]
    public void WritesOneJsonLinePerRecordAndTheFirstNonFiniteValueOnce()
    {
        var path = Path.Combine(_folder, "run", "activations.jsonl");
        Torch.ManualSeed(2);
        using var linear = new Linear(new LinearOptions(3, 2));
        var monitor = new ActivationMonitor();
        using (var log = new ActivationLog(path))
        {
            using (var scope = TensorScope.Enter())
            {
                using (monitor.Watch(10)) linear.Forward(Tensor.Randn([4, 3])).Sum().Backward();
                monitor.RecordGradients(linear);
                log.Write(monitor);
                Assert.Empty(monitor.Activations); // taken by the log

                var x = Tensor.Randn([1, 3]);
                using (Torch.NoGrad()) x.Fill_(double.NaN);
                using (monitor.Watch(11)) linear.Forward(x);
                log.Write(monitor);
                using (monitor.Watch(12)) linear.Forward(x);
                log.Write(monitor);
            }
        }

        var lines = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["activation", "gradient", "gradient", "activation", "non_finite", "activation"], lines.Select(l => l.GetProperty("type").GetString()));
        var first = lines[0];
        Assert.Equal(10, first.GetProperty("step").GetInt64());
        Assert.Equal("(root)", first.GetProperty("module").GetString());
        Assert.Equal("Linear", first.GetProperty("kind").GetString());
        Assert.Equal([4L, 2], first.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.True(first.GetProperty("std").GetDouble() > 0);
        Assert.Equal(0, first.GetProperty("non_finite").GetInt64());
        Assert.Equal(["weight", "bias"], lines.Skip(1).Take(2).Select(l => l.GetProperty("parameter").GetString()));
        // d(sum of outputs)/d bias is 4 per output (4 rows): the norm of [4, 4].
        Assert.Equal(Math.Sqrt(32), lines[2].GetProperty("norm").GetDouble(), 12);

        var nan = lines[3];
        Assert.Equal(JsonValueKind.Null, nan.GetProperty("mean").ValueKind);
        Assert.Equal(JsonValueKind.Null, nan.GetProperty("max_abs").ValueKind);
        Assert.Equal(2, nan.GetProperty("non_finite").GetInt64());
        var flagged = lines[4];
        Assert.Equal(11, flagged.GetProperty("step").GetInt64());
        Assert.Equal("(root)", flagged.GetProperty("path").GetString());
        Assert.Equal("activation", flagged.GetProperty("what").GetString());
        Assert.Equal(2, flagged.GetProperty("count").GetInt64());
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { /* a leftover temp folder is not worth failing a test over */ }
    }
}
