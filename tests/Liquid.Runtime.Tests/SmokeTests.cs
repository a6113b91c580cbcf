namespace Liquid.Runtime.Tests;

public class SmokeTests
{
    [Fact]
    public void AddsTwoTensors()
    {
        using var a = Tensor.From(new float[] { 1, 2, 3 });
        using var b = Tensor.From(new float[] { 10, 20, 30 });
        using var c = a + b;
        Assert.Equal(new float[] { 11, 22, 33 }, c.ToArray<float>());
    }

    [Fact]
    public void MatMulShapeMismatchIsManaged()
    {
        using var a = Tensor.Zeros([2, 3]);
        using var b = Tensor.Zeros([4, 5]);
        var error = Assert.Throws<TorchException>(() => a.MatMul(b));
        Assert.Equal("MatMul", error.Op);
        Assert.Contains("2x3", error.Message);
        Assert.Contains("4x5", error.Message);
    }
}
