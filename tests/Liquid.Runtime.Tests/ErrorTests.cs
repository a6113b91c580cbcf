using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests;

/// <summary>
/// Bad input reaches .NET as a managed exception naming the op, never as a native crash, and the
/// process keeps computing afterwards (every test ends with a computation checked by value).
/// </summary>
public class ErrorTests
{
    /// <summary>A small computation after a failure: [1, 2, 3]·[4, 5, 6] = 32, and a matmul.</summary>
    private static void AssertStillWorks()
    {
        using var scope = TensorScope.Enter();
        var a = Tensor.From(new double[] { 1, 2, 3 });
        var b = Tensor.From(new double[] { 4, 5, 6 });
        Assert.Equal(32.0, (a * b).Sum().Item());
        var m = Tensor.From(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        TensorAssert.Close([14, 32], m.MatMul(a), [2], rtol: 0, atol: 0);
    }

    private static TorchException AssertTorchError(string op, Func<Tensor> action, params string[] fragments)
    {
        using var scope = TensorScope.Enter();
        var error = Assert.Throws<TorchException>(() => action());
        Assert.Equal(op, error.Op);
        Assert.StartsWith(op + ": ", error.Message);
        Assert.False(string.IsNullOrWhiteSpace(error.NativeMessage));
        // TorchException carries libtorch's message without the C++ backtrace.
        Assert.DoesNotContain("Exception raised from", error.NativeMessage);
        foreach (var fragment in fragments) Assert.Contains(fragment, error.Message);
        return error;
    }

    [Fact]
    public void MatMulShapeMismatchNamesBothShapes()
    {
        using var a = Tensor.Zeros([2, 3]);
        using var b = Tensor.Zeros([4, 5]);
        AssertTorchError("MatMul", () => a.MatMul(b), "2x3", "4x5");
        AssertStillWorks();
    }

    [Fact]
    public void TheNextFailureCarriesItsOwnMessage()
    {
        using var scope = TensorScope.Enter();
        var a = Tensor.Zeros([2, 3]);
        var b = Tensor.Zeros([4, 5]);
        AssertTorchError("MatMul", () => a.MatMul(b), "2x3");
        var reshape = AssertTorchError("Reshape", () => a.Reshape(4));
        Assert.DoesNotContain("2x3", reshape.Message);
        AssertStillWorks();
    }

    [Fact]
    public void IndexSelectOutOfRange()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.From(new double[] { 1, 2, 3 });
        var index = Tensor.From(new long[] { 0, 5 });
        AssertTorchError("IndexSelect", () => x.IndexSelect(0, index));
        AssertStillWorks();
    }

    [Fact]
    public void SelectOutOfRange()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.Zeros([2, 3]);
        AssertTorchError("Select", () => x.Select(1, 3), "out of range");
        AssertTorchError("Select", () => x.Select(0, -3), "out of range");
        AssertStillWorks();
    }

    [Fact]
    public void GatherOutOfRange()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.Zeros([2, 3]);
        var index = Tensor.From(new long[] { 0, 3, 1, 1 }, 2, 2);
        AssertTorchError("Gather", () => x.Gather(1, index), "out of bounds");
        AssertStillWorks();
    }

    [Fact]
    public void EmbeddingIndexOutOfRange()
    {
        using var scope = TensorScope.Enter();
        var weight = Tensor.Zeros([4, 2]);
        var indices = Tensor.From(new long[] { 1, 4 });
        AssertTorchError("Embedding", () => Functional.Embedding(indices, weight));
        AssertStillWorks();
    }

    [Fact]
    public void DimensionOutOfRange()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.Zeros([2, 3]);
        AssertTorchError("Sum", () => x.Sum(2), "out of range");
        AssertTorchError("Softmax", () => x.Softmax(-3), "out of range");
        AssertTorchError("Narrow", () => x.Narrow(1, 2, 2));
        AssertStillWorks();
    }

    [Fact]
    public void FloatIndexToIndexSelect()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.From(new double[] { 1, 2, 3 });
        var index = Tensor.From(new float[] { 0, 1 });
        AssertTorchError("IndexSelect", () => x.IndexSelect(0, index));
        AssertStillWorks();
    }

    [Fact]
    public void FloatIndicesToEmbedding()
    {
        using var scope = TensorScope.Enter();
        var weight = Tensor.Zeros([4, 2]);
        var indices = Tensor.From(new float[] { 0, 1 });
        AssertTorchError("Embedding", () => Functional.Embedding(indices, weight));
        AssertStillWorks();
    }

    [Fact]
    public void CrossEntropyWithFloatTargetsOfTheWrongShape()
    {
        using var scope = TensorScope.Enter();
        var logits = Tensor.Zeros([3, 4]);
        var target = Tensor.Zeros([3]);            // class indices must be int64; probabilities must be [3, 4]
        AssertTorchError("CrossEntropy", () => Functional.CrossEntropy(logits, target));
        AssertStillWorks();
    }

    [Fact]
    public void CrossEntropyWithAClassIndexOutOfRange()
    {
        using var scope = TensorScope.Enter();
        var logits = Tensor.Zeros([2, 4]);
        var target = Tensor.From(new long[] { 1, 4 });
        AssertTorchError("CrossEntropy", () => Functional.CrossEntropy(logits, target));
        AssertStillWorks();
    }

    [Fact]
    public void ViewOfANonContiguousTensor()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.Zeros([2, 3]).Transpose(0, 1);
        Assert.False(x.IsContiguous);
        AssertTorchError("View", () => x.View(6), "view");
        // reshape copies where view cannot.
        Assert.Equal([6L], x.Reshape(6).Shape);
        AssertStillWorks();
    }

    [Fact]
    public void ReshapeToAnIncompatibleSize()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.Zeros([2, 3]);
        AssertTorchError("Reshape", () => x.Reshape(4), "[4]", "6");
        AssertTorchError("View", () => x.View(5, -1));
        AssertStillWorks();
    }

    [Fact]
    public void CatOfMismatchedShapes()
    {
        using var scope = TensorScope.Enter();
        var a = Tensor.Zeros([2, 3]);
        var b = Tensor.Zeros([2, 4]);
        AssertTorchError("Cat", () => Tensor.Cat([a, b], 0));
        AssertTorchError("Stack", () => Tensor.Stack([a, b]));
        AssertTorchError("Cat", () => Tensor.Cat(ReadOnlySpan<Tensor>.Empty));
        AssertStillWorks();
    }

    [Fact]
    public void BroadcastMismatchAndFusedShapeCheck()
    {
        using var scope = TensorScope.Enter();
        var a = Tensor.Zeros([2, 3]);
        var b = Tensor.Zeros([4]);
        AssertTorchError("Add", () => a.Add(b));
        AssertTorchError("SwiGlu", () => Functional.SwiGlu(a, Tensor.Zeros([3, 2])), "swiglu");
        AssertStillWorks();
    }

    [Fact]
    public void AttentionRefusesAMaskTogetherWithTheCausalFlag()
    {
        using var scope = TensorScope.Enter();
        var q = Tensor.Zeros([1, 2, 4]);
        var mask = Tensor.Zeros([2, 2]);
        AssertTorchError("ScaledDotProductAttention", () => Functional.ScaledDotProductAttention(q, q, q, mask, causal: true));
        AssertStillWorks();
    }

    [Fact]
    public void BackwardOfATensorWithoutGraph()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.Ones([2]);
        var error = Assert.Throws<TorchException>(() => x.Sum().Backward());
        Assert.Equal("Backward", error.Op);
        AssertStillWorks();
    }

    [Fact]
    public void ItemOfATensorWithSeveralElements()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.Ones([3]);
        var error = Assert.Throws<TorchException>(() => x.Item());
        Assert.Equal("Item", error.Op);
        AssertStillWorks();
    }

    public static TheoryData<string> DisposedUses => new(DisposedUseCases.Keys);

    private static readonly Dictionary<string, Action<Tensor, Tensor>> DisposedUseCases = new()
    {
        // Each key is the op's name, which the exception message must contain.
        ["Exp"] = (dead, live) => dead.Exp(),
        ["Add"] = (dead, live) => live.Add(dead),
        ["MatMul"] = (dead, live) => dead.MatMul(live),
        ["Reshape"] = (dead, live) => dead.Reshape(-1),
        ["Sum"] = (dead, live) => dead.Sum(),
        ["Item"] = (dead, live) => dead.Item(),
        ["ToArray"] = (dead, live) => dead.ToArray<float>(),
        ["Shape"] = (dead, live) => _ = dead.Shape,
        ["Backward"] = (dead, live) => dead.Backward(),
        ["Cat"] = (dead, live) => Tensor.Cat([live, dead]),
        ["Linear"] = (dead, live) => Functional.Linear(live, dead),
        ["CrossEntropy"] = (dead, live) => Functional.CrossEntropy(live, dead),
    };

    [Theory, MemberData(nameof(DisposedUses))]
    public void UsingADisposedTensorThrowsObjectDisposedNamingTheOp(string op)
    {
        using var scope = TensorScope.Enter();
        var live = Tensor.Ones([2, 2]);
        var dead = Tensor.Ones([2, 2]);
        dead.Dispose();
        Assert.True(dead.IsDisposed);
        var error = Assert.Throws<ObjectDisposedException>(() => DisposedUseCases[op](dead, live));
        Assert.Contains(op, error.Message);
        Assert.Equal("Tensor(disposed)", dead.ToString());
        AssertStillWorks();
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:one")]
    [InlineData("cpu:0x")]
    public void DeviceParseRejectsGarbage(string text)
    {
        var error = Assert.Throws<FormatException>(() => Device.Parse(text));
        Assert.Contains(text, error.Message);
        Assert.Equal(Device.Cpu, Device.Parse(" CPU "));
        Assert.Equal(Device.Cuda(2), Device.Parse("cuda:2"));
        AssertStillWorks();
    }

    [Fact]
    public void FromWithAShapeThatDoesNotMatchTheData()
    {
        var before = new double[] { 1, 2, 3, 4, 5 };
        var error = Assert.Throws<ArgumentException>(() => Tensor.From(before, 2, 3));
        Assert.Contains("5", error.Message);
        Assert.Contains("6", error.Message);
        Assert.Throws<ArgumentException>(() => Tensor.From(before, 2, 2));
        Assert.Throws<ArgumentException>(() => Tensor.From(new double[] { 1 }, 1, -1));
        Assert.Throws<ArgumentException>(() => Tensor.From<double>(Array.Empty<double>(), ReadOnlySpan<long>.Empty));
        AssertStillWorks();
    }
}
