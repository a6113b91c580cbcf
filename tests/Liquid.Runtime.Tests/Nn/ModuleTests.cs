using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;
using Liquid.Runtime.Tests.Serialization;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>A GPT-2-shaped toy built the way generated models are: explicit registration, a ModuleList, a tied head.</summary>
internal sealed class ToyBlock : Module
{
    public ToyBlock(long dim)
    {
        Ln1 = RegisterModule("ln_1", new LayerNorm(new LayerNormOptions(dim)));
        Attn = RegisterModule("attn", new Attention(new AttentionOptions(dim, Heads: 2)));
        Ln2 = RegisterModule("ln_2", new LayerNorm(new LayerNormOptions(dim)));
        Mlp = RegisterModule("mlp", new Mlp(new MlpOptions(dim, 2 * dim)));
    }

    public LayerNorm Ln1 { get; }
    public Attention Attn { get; }
    public LayerNorm Ln2 { get; }
    public Mlp Mlp { get; }

    public Tensor Forward(Tensor x)
    {
        using var scope = TensorScope.Enter();
        var h = x.Add(Attn.Forward(Ln1.Forward(x)));
        return scope.Keep(h.Add(Mlp.Forward(Ln2.Forward(h))));
    }
}

/// <summary>Holds a tensor another module owns, as a tied output head does.</summary>
internal sealed class TiedHead : Module
{
    public TiedHead(Tensor weight) => Weight = RegisterParameter("weight", weight);

    public Tensor Weight { get; }
}

internal sealed class ToyGpt : Module
{
    public const long Vocab = 13, Dim = 8, Layers = 2;

    public ToyGpt(double dropout = 0.1)
    {
        Wte = RegisterModule("wte", new Embedding(new EmbeddingOptions(Vocab, Dim, InitStd: 0.5)));
        Drop = RegisterModule("drop", new Dropout(dropout));
        H = RegisterModule("h", new ModuleList<ToyBlock>(Enumerable.Range(0, (int)Layers).Select(_ => new ToyBlock(Dim))));
        LnF = RegisterModule("ln_f", new LayerNorm(new LayerNormOptions(Dim)));
        LmHead = RegisterModule("lm_head", new TiedHead(Wte.Weight));
    }

    public Embedding Wte { get; }
    public Dropout Drop { get; }
    public ModuleList<ToyBlock> H { get; }
    public LayerNorm LnF { get; }
    public TiedHead LmHead { get; }

    public Tensor Forward(Tensor ids)
    {
        using var scope = TensorScope.Enter();
        var x = Drop.Forward(Wte.Forward(ids));
        foreach (var block in H) x = block.Forward(x);
        return scope.Keep(Functional.Linear(LnF.Forward(x), LmHead.Weight));
    }

    /// <summary>Parameters, in registration order, that the toy must list.</summary>
    public static string[] ExpectedParameterNames()
    {
        var names = new List<string> { "wte.weight" };
        for (var layer = 0; layer < Layers; layer++)
            foreach (var name in new[]
            {
                "ln_1.weight", "ln_1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
                "ln_2.weight", "ln_2.bias", "mlp.fc.weight", "mlp.fc.bias", "mlp.proj.weight", "mlp.proj.bias",
            })
                names.Add($"h.{layer}.{name}");
        names.AddRange(["ln_f.weight", "ln_f.bias"]);
        return names.ToArray();
    }

    public static long ExpectedParameterCount()
    {
        const long d = Dim, hidden = 2 * Dim;
        const long block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (hidden * d + hidden) + (d * hidden + d);
        return Vocab * d + Layers * block + 2 * d; // the tied head adds nothing
    }
}

/// <summary>A module with buffers: a persistent float table, a persistent int64 counter and a scratch buffer.</summary>
internal sealed class Buffered : Module
{
    public Buffered()
    {
        Scale = RegisterParameter("scale", Tensor.Ones([3]));
        Table = RegisterBuffer("table", Tensor.Full([3], 0.25));
        Steps = RegisterBuffer("steps", Tensor.Zeros([1], DType.Int64));
        Scratch = RegisterBuffer("scratch", Tensor.Zeros([2]), persistent: false);
    }

    public Tensor Scale { get; }
    public Tensor Table { get; }
    public Tensor Steps { get; }
    public Tensor Scratch { get; }

    public void Register(string name) => RegisterParameter(name, Tensor.Zeros([1]));

    public void Adopt(string name, Module module) => RegisterModule(name, module);
}

public class ModuleTests
{
    private static Tensor Ids(params long[] values) => Tensor.From(values, 2, values.Length / 2);

    [Fact]
    public void AGenericModuleKindHasNoArity()
    {
        // What `liquid inspect` prints in its kind column: "ModuleList", not the CLR's "ModuleList`1".
        using var list = new ModuleList<Linear>([new Linear(new LinearOptions(2, 2))]);
        Assert.Equal("ModuleList", list.Kind);
        Assert.Equal("Linear", list[0].Kind);
    }

    [Fact]
    public void ParametersAreNamedByPathInRegistrationOrder()
    {
        using var model = new ToyGpt();
        Assert.Equal(ToyGpt.ExpectedParameterNames(), model.NamedParameters().Select(p => p.Name));
        Assert.Equal(["wte", "drop", "h", "ln_f", "lm_head"], model.NamedChildren().Select(c => c.Name));
        Assert.Equal(
            ["", "wte", "drop", "h", "h.0", "h.0.ln_1", "h.0.attn", "h.0.attn.qkv", "h.0.attn.proj", "h.0.ln_2", "h.0.mlp", "h.0.mlp.fc",
             "h.0.mlp.proj", "h.0.mlp.dropout", "h.1", "h.1.ln_1", "h.1.attn", "h.1.attn.qkv", "h.1.attn.proj", "h.1.ln_2", "h.1.mlp",
             "h.1.mlp.fc", "h.1.mlp.proj", "h.1.mlp.dropout", "ln_f", "lm_head"],
            model.NamedModules().Select(m => m.Path));
        Assert.Equal("h.1.attn", model.H[1].Attn.Path);
        Assert.Equal("h.0.mlp.fc", model.NamedModules().Single(m => m.Path == "h.0.mlp.fc").Module.Path);
        Assert.Equal("", model.Path);
        Assert.Same(model.H[1], model.NamedModules().Single(m => m.Path == "h.1").Module);
    }

    [Fact]
    public void TiedTensorIsListedAndCountedOnce()
    {
        using var model = new ToyGpt();
        Assert.Same(model.Wte.Weight, model.LmHead.Weight);
        var parameters = model.NamedParameters().ToList();
        Assert.Single(parameters, p => ReferenceEquals(p.Parameter, model.Wte.Weight));
        Assert.DoesNotContain(parameters, p => p.Name == "lm_head.weight");
        Assert.Equal(parameters.Count, model.Parameters().Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.Equal(ToyGpt.ExpectedParameterCount(), model.ParameterCount);
        Assert.Equal(13 * 8 + 2 * 600 + 16, model.ParameterCount); // wte + 2 blocks (ln 16, qkv 216, proj 72, ln 16, fc 144, proj 136) + ln_f

        // The state dict keeps both names (as PyTorch's does), sharing one storage.
        using var scope = TensorScope.Enter();
        var state = model.StateDict();
        Assert.Equal(ToyGpt.ExpectedParameterNames().Append("lm_head.weight").Order(StringComparer.Ordinal), state.Keys.Order(StringComparer.Ordinal));
        Assert.True(state["lm_head.weight"].Equal(state["wte.weight"]));
    }

    [Fact]
    public void RegistrationRejectsBadNamesDuplicatesAndSecondParents()
    {
        using var module = new Buffered();
        Assert.Throws<ArgumentException>(() => module.Register("a.b"));
        Assert.Throws<ArgumentException>(() => module.Register(""));
        Assert.Contains("'table' is already registered", Assert.Throws<ArgumentException>(() => module.Register("table")).Message);
        using var other = new Buffered();
        var child = new Linear(new LinearOptions(2, 2));
        module.Adopt("child", child);
        Assert.Contains("already registered", Assert.Throws<InvalidOperationException>(() => other.Adopt("child", child)).Message);
    }

    [Fact]
    public void TrainAndEvalReachEveryModule()
    {
        using var model = new ToyGpt(dropout: 0.5);
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.Training));
        Assert.Same(model, model.Eval());
        Assert.All(model.NamedModules(), m => Assert.False(m.Module.Training, m.Path));
        model.Train();
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.Training, m.Path));
        model.H[1].Eval(); // a subtree only
        Assert.True(model.H[0].Mlp.Training);
        Assert.False(model.H[1].Mlp.Training);
    }

    [Fact]
    public void DropoutIsIdentityInEvalAndScalesKeptValuesInTraining()
    {
        using var dropout = new Dropout(0.5);
        using var scope = TensorScope.Enter();
        var x = Tensor.Full([4000], 3.0, DType.Float64);
        var trained = dropout.Forward(x).ToArray<double>();
        Assert.All(trained, v => Assert.True(v == 0 || v == 6.0, $"{v}"));
        var zeros = trained.Count(v => v == 0);
        Assert.InRange(zeros, 1700, 2300); // p = 0.5 of 4000, ~10 standard deviations wide
        dropout.Eval();
        Assert.True(dropout.Forward(x).Equal(x));

        using var none = new Dropout(0);
        Assert.True(none.Forward(x).Equal(x));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.0));
    }

    [Fact]
    public void ZeroGradDropsEveryGradient()
    {
        using var model = new ToyGpt();
        using (var scope = TensorScope.Enter())
        {
            model.Forward(Ids(1, 2, 3, 4, 5, 6)).Square().Mean().Backward();
            foreach (var (name, parameter) in model.NamedParameters())
                Assert.True(parameter.Grad is not null, $"{name} has no gradient after backward");
        }
        model.ZeroGrad();
        using (var scope = TensorScope.Enter())
            foreach (var (name, parameter) in model.NamedParameters())
                Assert.True(parameter.Grad is null, $"{name} kept its gradient");
    }

    [Fact]
    public void ToFloat64ConvertsInPlaceAndKeepsIdentity()
    {
        using var model = new ToyGpt();
        using var buffered = new Buffered();
        var before = model.NamedParameters().ToList();
        // Values are read through fresh handles: reading them through the parameters themselves would
        // cache their dtype and hit the bug DTypeReadBeforeToIsNotStale documents.
        var values = before.Select(p => { using var fresh = p.Parameter.Detach(); return fresh.ToArray<float>(); }).ToList();

        Assert.Same(model, model.To(DType.Float64));
        buffered.To(DType.Float64);

        var after = model.NamedParameters().ToList();
        Assert.Equal(before.Count, after.Count);
        for (var k = 0; k < before.Count; k++)
        {
            Assert.Same(before[k].Parameter, after[k].Parameter);
            Assert.Equal(DType.Float64, after[k].Parameter.DType);
            Assert.True(after[k].Parameter.RequiresGrad, after[k].Name);
            Assert.Equal(values[k].Select(v => (double)v), after[k].Parameter.ToArray<double>());
        }
        Assert.Same(model.Wte.Weight, model.LmHead.Weight);

        Assert.Equal(DType.Float64, buffered.Scale.DType);
        Assert.Equal(DType.Float64, buffered.Table.DType);
        Assert.Equal(DType.Float64, buffered.Scratch.DType);
        Assert.Equal(DType.Int64, buffered.Steps.DType); // integers are not floating: unchanged

        using var scope = TensorScope.Enter();
        model.Eval();
        var logits = model.Forward(Ids(1, 2, 3, 4));
        Assert.Equal(DType.Float64, logits.DType);
        Assert.Equal([2, 2, ToyGpt.Vocab], logits.Shape);
    }

    /// <summary>
    /// Reading a parameter's DType (directly, or through ToArray/ToBytes/ToString, which read it) before
    /// <see cref="Module.To(DType)"/> must not leave it stale: Tensor caches its dtype and shape, and
    /// Module.To replaces the data through Tensor.SetData, which drops that cache.
    /// </summary>
    [Fact]
    public void DTypeReadBeforeToIsNotStale()
    {
        using var linear = new Linear(new LinearOptions(2, 3));
        Assert.Equal(DType.Float32, linear.Weight.DType);
        linear.To(DType.Float64);
        Assert.Equal(DType.Float64, linear.Weight.DType);
        Assert.Equal(6 * sizeof(double), linear.Weight.ToBytes().Length);
    }

    [Fact]
    public void ModuleBuiltInsideAScopeKeepsItsParameters()
    {
        Linear linear;
        using (TensorScope.Enter()) linear = new Linear(new LinearOptions(2, 3));
        using (linear)
        {
            Assert.False(linear.Weight.IsDisposed);
            Assert.Equal(new long[] { 3, 2 }, linear.Weight.Shape);
        }
    }

    [Fact]
    public void StateDictHoldsParametersAndPersistentBuffersOnly()
    {
        using var buffered = new Buffered();
        Dictionary<string, Tensor> state;
        using (var scope = TensorScope.Enter())
        {
            state = buffered.StateDict();
            Assert.Equal(["scale", "steps", "table"], state.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(["table", "steps", "scratch"], buffered.NamedBuffers().Select(b => b.Name));
            Assert.Equal([false, false, true], buffered.NamedBuffers().Select(b => !b.Persistent));
            Assert.False(state["scale"].RequiresGrad); // detached handles
            Assert.True(buffered.Scale.RequiresGrad);
            using (Torch.NoGrad()) state["table"].Fill_(2.0); // sharing storage with the module
            Assert.Equal([2.0f, 2.0f, 2.0f], buffered.Table.ToArray<float>());
        }
        // The caller's scope owned the handles; the module's tensors live on.
        Assert.All(state.Values, t => Assert.True(t.IsDisposed));
        Assert.False(buffered.Table.IsDisposed);
    }

    [Fact]
    public void LoadStateDictReportsEveryProblemAndStrictCopiesNothing()
    {
        using var source = new ToyGpt();
        using var target = new ToyGpt();
        using var scope = TensorScope.Enter();
        var state = source.StateDict();
        state.Remove("ln_f.bias");
        state.Remove("h.1.mlp.proj.weight");
        state["extra.weight"] = Tensor.Zeros([2]);
        state["h.0.extra"] = Tensor.Zeros([2]);
        state["h.0.ln_1.weight"] = Tensor.Zeros([ToyGpt.Dim + 1]);
        var snapshot = target.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Clone());

        var error = Assert.Throws<StateDictException>(() => target.LoadStateDict(state));
        Assert.Equal(["h.1.mlp.proj.weight", "ln_f.bias"], error.Report.Missing.Order(StringComparer.Ordinal));
        Assert.Equal(["extra.weight", "h.0.extra"], error.Report.Unexpected);
        Assert.Equal([$"h.0.ln_1.weight: expected [{ToyGpt.Dim}], got [{ToyGpt.Dim + 1}]"], error.Report.Mismatched);
        foreach (var part in new[] { "ToyGpt", "ln_f.bias", "h.1.mlp.proj.weight", "extra.weight", "h.0.extra", "h.0.ln_1.weight", "expected [8], got [9]" })
            Assert.Contains(part, error.Message);
        // Nothing was copied before the throw (the random projections differ between the two models).
        foreach (var (name, parameter) in target.NamedParameters())
            Assert.True(parameter.Equal(snapshot[name]), $"{name} changed in a strict load that failed");
        Assert.False(target.H[0].Attn.NamedParameters().First().Parameter.Equal(source.H[0].Attn.NamedParameters().First().Parameter));

        // Non-strict: the same report, and every key that fits is copied.
        var report = target.LoadStateDict(state, strict: false);
        Assert.False(report.IsClean);
        Assert.Equal(error.Report.Missing, report.Missing);
        Assert.Equal(error.Report.Unexpected, report.Unexpected);
        Assert.Equal(error.Report.Mismatched, report.Mismatched);
        foreach (var (name, parameter) in target.NamedParameters())
        {
            var fits = state.TryGetValue(name, out var value) && value.Shape.SequenceEqual(parameter.Shape);
            Assert.True(parameter.Equal(fits ? value! : snapshot[name]), fits ? $"{name} was not copied" : $"{name} changed without a fitting value");
        }
    }

    [Fact]
    public void LoadStateDictIsCleanForAMatchingDictionary()
    {
        using var source = new ToyGpt();
        using var target = new ToyGpt();
        using var scope = TensorScope.Enter();
        var report = target.LoadStateDict(source.StateDict());
        Assert.True(report.IsClean);
        Assert.Equal("state dict matches", report.ToString());
        foreach (var ((name, a), (_, b)) in source.NamedParameters().Zip(target.NamedParameters()))
            Assert.True(a.Equal(b), name);
    }

    [Fact]
    public void SavedWeightsReproduceOutputsInAFreshInstance()
    {
        using var directory = new TempDirectory();
        var path = directory.File("toy.safetensors");
        using var ids = Ids(0, 5, 12, 3, 3, 7, 1, 9);

        Torch.ManualSeed(1);
        using var original = new ToyGpt();
        original.Eval();
        Torch.ManualSeed(2);
        using var fresh = new ToyGpt();
        fresh.Eval();

        using var scope = TensorScope.Enter();
        var expected = original.Forward(ids);
        Assert.False(fresh.Forward(ids).Equal(expected)); // different seeds, different weights

        original.SaveWeights(path, new Dictionary<string, string> { ["model"] = "ToyGpt" });
        var report = fresh.LoadWeights(path);
        Assert.True(report.IsClean, report.ToString());
        Assert.True(fresh.Forward(ids).Equal(expected));
        Assert.Same(fresh.Wte.Weight, fresh.LmHead.Weight); // loading keeps the tie

        TensorFile.Load(path, out var metadata).Values.ToList().ForEach(t => t.Dispose());
        Assert.Equal("ToyGpt", metadata["model"]);
    }

    [Fact]
    public void LoadWeightsStrictThrowsForAnotherArchitecture()
    {
        using var directory = new TempDirectory();
        var path = directory.File("linear.safetensors");
        using var linear = new Linear(new LinearOptions(ToyGpt.Dim, 3));
        linear.SaveWeights(path);
        using var model = new ToyGpt();
        var error = Assert.Throws<StateDictException>(() => model.LoadWeights(path));
        Assert.Equal(["bias", "weight"], error.Report.Unexpected);
        Assert.Contains("wte.weight", error.Report.Missing);
    }

    public static TheoryData<string, Func<Tensor>, string, string> WrongShapes => new()
    {
        { "Linear", () => { using var l = new Linear(new LinearOptions(4, 3)); using var x = Tensor.Zeros([2, 5]); return l.Forward(x); }, "[..., 4]", "[2, 5]" },
        { "LayerNorm", () => { using var l = new LayerNorm(new LayerNormOptions(6)); using var x = Tensor.Zeros([6, 2]); return l.Forward(x); }, "[..., 6]", "[6, 2]" },
        { "RmsNorm", () => { using var l = new RmsNorm(new RmsNormOptions(6)); using var x = Tensor.Zeros([3, 5]); return l.Forward(x); }, "[..., 6]", "[3, 5]" },
        { "Conv1d", () => { using var l = new Conv1d(new Conv1dOptions(3, 4, 2)); using var x = Tensor.Zeros([2, 4, 9]); return l.Forward(x); }, "[B, 3, L]", "[2, 4, 9]" },
        { "Embedding", () => { using var l = new Embedding(new EmbeddingOptions(5, 2)); using var x = Tensor.Zeros([2, 3]); return l.Forward(x); }, "int64 ids", "[2, 3]" },
        { "Attention", () => { using var l = new Attention(new AttentionOptions(8, 2)); using var x = Tensor.Zeros([2, 8]); return l.Forward(x); }, "[B, T, 8]", "[2, 8]" },
        { "Lstm", () => { using var l = new Lstm(new RecurrentOptions(3, 4)); using var x = Tensor.Zeros([2, 5, 4]); return l.Forward(x).Output; }, "[B, T, 3]", "[2, 5, 4]" },
        { "Gru", () => { using var l = new Gru(new RecurrentOptions(3, 4, Layers: 2)); using var x = Tensor.Zeros([2, 5, 3]); using var h = Tensor.Zeros([1, 2, 4]); return l.Forward(x, h).Output; }, "h0 [2, 2, 4]", "[1, 2, 4]" },
    };

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public void WrongInputShapeNamesLayerExpectedAndActual(string kind, Func<Tensor> call, string expected, string actual)
    {
        var error = Assert.Throws<ShapeException>(() => call());
        Assert.Equal(kind, error.Layer);
        Assert.Equal($"{kind}: expected input {expected}, got {actual}", error.Message);
    }

    [Fact]
    public void NestedShapeErrorsNameTheLayerPath()
    {
        using var model = new ToyGpt();
        using var scope = TensorScope.Enter();

        var attention = Assert.Throws<ShapeException>(() => model.H[1].Attn.Forward(Tensor.Zeros([2, 3, 7])));
        Assert.Equal("h.1.attn (Attention)", attention.Layer);
        Assert.Equal("h.1.attn (Attention): expected input [B, T, 8], got [2, 3, 7]", attention.Message);

        var block = Assert.Throws<ShapeException>(() => model.H[0].Forward(Tensor.Zeros([2, 3, 5])));
        Assert.Equal("h.0.ln_1 (LayerNorm)", block.Layer);
        Assert.Contains("expected input [..., 8], got [2, 3, 5]", block.Message);

        var inner = Assert.Throws<ShapeException>(() => model.H[0].Mlp.Forward(Tensor.Zeros([4, 6])));
        Assert.Equal("h.0.mlp.fc (Linear): expected input [..., 8], got [4, 6]", inner.Message);

        var ids = Assert.Throws<ShapeException>(() => model.Forward(Tensor.Zeros([2, 3])));
        Assert.Equal("wte (Embedding): expected input int64 ids, got [2, 3]", ids.Message);
    }
}

/// <summary>Native handle counts; alone in a non-parallel collection so other tests cannot move the count.</summary>
[Collection(LiveTensorCountCollection.Name)]
public class ModuleLifetimeTests
{
    private static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Torch.LiveTensors;
    }

    [Fact]
    public void TrainingStepDecodingConversionAndDisposeLeaveNoHandles()
    {
        var before = Settled();
        using (var model = new ToyGpt())
        {
            model.To(DType.Float64);
            using (var scope = TensorScope.Enter())
            {
                using var ids = Tensor.From(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
                model.Forward(ids).Square().Mean().Backward();
                var state = model.StateDict();
                _ = state.Count;
            }
            model.ZeroGrad();
            model.Eval();
            using var cache = new KvCache(capacity: 1);
            using (Torch.NoGrad())
                for (var t = 0; t < 4; t++)
                {
                    using var scope = TensorScope.Enter();
                    using var x = Tensor.Randn([1, 1, ToyGpt.Dim], DType.Float64);
                    _ = model.H[0].Attn.Forward(x, cache);
                }
        }
        Assert.Equal(before, Settled());
    }

    [Fact]
    public void ToDoesNotLeakHandles()
    {
        using var model = new ToyGpt();
        var before = Settled();
        model.To(DType.Float64);
        model.To(DType.Float32);
        // Counted without a collection: a leaked handle would be freed only by its finalizer.
        Assert.Equal(before, Torch.LiveTensors);
    }
}
