using System.Text.Json;
using Liquid.Harness.Monitoring;
using Liquid.Harness.Tests.EndToEnd;
using Liquid.Harness.Tests.Reliability;
using Liquid.Harness.Training;

namespace Liquid.Harness.Tests.Monitoring;

/// <summary>
/// <c>liquid train --monitor N</c>: which steps are recorded (the first, every N-th, and the one after
/// a non-finite loss), that every monitored module and every parameter appears, that a resumed run
/// drops records past its checkpoint, that the first non-finite value is named, and what the plot
/// draws from the records.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class TrainMonitorTests : RunFolder
{
    private static readonly string[] MonitoredKinds = ["Linear", "LmHead", "Conv1d", "DeformableConv1d", "Attention", "DiffAttention"];

    private static List<JsonElement> Records(string run) =>
        File.ReadAllLines(Path.Combine(run, "activations.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    private static SortedSet<long> Steps(IEnumerable<JsonElement> records) => new(records.Select(r => r.GetProperty("step").GetInt64()));

    [Fact]
    public void EveryNthStepRecordsEveryMonitoredModuleAndEveryParameter()
    {
        var run = Path.Combine(Folder, "run");
        var result = Liquid(Tiny(run, "--steps", "7", "--monitor", "3"));
        Assert.True(result.Code == 0, result.Error + result.Output);

        var records = Records(run);
        Assert.Equal([1L, 3, 6], Steps(records));
        var (directory, info) = Checkpoint.ReadInfo(run);
        using var model = Checkpoint.LoadModel(directory, info);
        var modules = model.NamedModules().Where(m => MonitoredKinds.Contains(m.Module.Kind)).Select(m => m.Path).ToHashSet();
        var parameters = model.NamedParameters().Select(p => p.Name).ToHashSet();
        Assert.NotEmpty(modules);
        foreach (var step in new long[] { 1, 3, 6 })
        {
            var atStep = records.Where(r => r.GetProperty("step").GetInt64() == step).ToList();
            Assert.Equal(modules, atStep.Where(r => r.GetProperty("type").GetString() == "activation").Select(r => r.GetProperty("module").GetString()!).ToHashSet());
            Assert.Equal(parameters, atStep.Where(r => r.GetProperty("type").GetString() == "gradient").Select(r => r.GetProperty("parameter").GetString()!).ToHashSet());
            Assert.All(atStep, r => Assert.Equal(0, r.GetProperty("non_finite").GetInt64()));
        }
        Assert.DoesNotContain(records, r => r.GetProperty("type").GetString() == "non_finite");
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(run, "activations.svg")));
    }

    [Fact]
    public void AResumedRunDropsRecordsPastItsCheckpointAndMonitorsOn()
    {
        var run = Path.Combine(Folder, "run");
        Assert.Equal(0, Liquid(Tiny(run, "--steps", "6", "--monitor", "2")).Code);
        // What a run killed after its last checkpoint would have left: records of steps to be redone.
        var log = Path.Combine(run, "activations.jsonl");
        File.AppendAllText(log, "{\"type\":\"activation\",\"step\":99,\"module\":\"x\",\"kind\":\"Linear\",\"shape\":[1],\"mean\":0,\"std\":0,\"max_abs\":0,\"non_finite\":0}\n{\"type\":\"gra");

        var resumed = Liquid("train", "--resume", run, "--steps", "8", "--sample-prompt", "");
        Assert.True(resumed.Code == 0, resumed.Error + resumed.Output);
        // The first step after resuming is recorded too, so a resumed run shows where it restarted.
        Assert.Equal([1L, 2, 4, 6, 7, 8], Steps(Records(run)));
    }

    [Fact]
    public void TheFirstNonFiniteValueIsNamedWithItsModuleAndStep()
    {
        var run = Path.Combine(Folder, "run");
        // --monitor 1000 watches only step 1 by schedule: the non-finite record comes from watching
        // the step after the first non-finite loss.
        var result = Liquid(Tiny(run, "--steps", "3", "--lr", "1e308", "--monitor", "1000"));

        var flagged = Assert.Single(Records(run), r => r.GetProperty("type").GetString() == "non_finite");
        // Step 1's update made every weight infinite; the embeddings are not monitored, so the first
        // monitored module of the forward pass, the first block's qkv projection, is where it shows.
        Assert.Equal("h.0.attn.qkv", flagged.GetProperty("path").GetString());
        Assert.Equal("activation", flagged.GetProperty("what").GetString());
        Assert.Equal(2, flagged.GetProperty("step").GetInt64());
        Assert.Contains("step 2: the first non-finite activation is in h.0.attn.qkv", Flat(result.Output));
    }

    [Fact]
    public void ThePlotCombinesMicroBatchesAndParametersAndMarksNonFiniteCells()
    {
        var log = Path.Combine(Folder, "activations.jsonl");
        File.WriteAllLines(log,
        [
            """{"type":"activation","step":1,"module":"a","kind":"Linear","shape":[2],"mean":0,"std":1,"max_abs":2.0,"non_finite":0}""",
            """{"type":"activation","step":1,"module":"a","kind":"Linear","shape":[2],"mean":0,"std":1,"max_abs":8.0,"non_finite":0}""",
            """{"type":"activation","step":1,"module":"b","kind":"Linear","shape":[2],"mean":0,"std":1,"max_abs":0.5,"non_finite":0}""",
            """{"type":"gradient","step":1,"parameter":"a.weight","norm":3.0,"non_finite":0}""",
            """{"type":"gradient","step":1,"parameter":"a.bias","norm":4.0,"non_finite":0}""",
            """{"type":"activation","step":5,"module":"b","kind":"Linear","shape":[2],"mean":null,"std":null,"max_abs":null,"non_finite":2}""",
            """{"type":"non_finite","step":5,"path":"b","what":"activation","count":2}""",
            """{"type":"gradient","step":5,"parameter":"a.weight","norm":1.0,"non_finite":1}""",
            """{"type":"activ""", // cut by a kill
        ]);

        var (activations, gradients, first) = ActivationPlot.Read(log);
        Assert.Equal(["a", "b"], activations.Rows);
        Assert.Equal([1L, 5], activations.Steps);
        Assert.Equal(8.0, activations.Values[0, 0]); // the larger of two micro-batches
        Assert.Null(activations.Values[0, 1]); // a was not recorded at step 5
        Assert.Equal(0.5, activations.Values[1, 0]);
        Assert.True(double.IsNaN(activations.Values[1, 1]!.Value));
        Assert.Equal(["a"], gradients.Rows);
        Assert.Equal(5.0, gradients.Values[0, 0]!.Value, 12); // √(3² + 4²)
        Assert.True(double.IsNaN(gradients.Values[0, 1]!.Value));
        Assert.Equal("first non-finite activation: b at step 5", first);

        var svg = Path.Combine(Folder, "activations.svg");
        ActivationPlot.Write(log, svg, "test");
        var text = File.ReadAllText(svg);
        Assert.Equal(2, text.Split("class=\"non-finite\"").Length - 1);
        Assert.Contains("first non-finite activation: b at step 5", text);
    }
}
