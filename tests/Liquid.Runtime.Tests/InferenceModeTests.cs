namespace Liquid.Runtime.Tests;

/// <summary>Torch.InferenceMode (torch.inference_mode): what it turns off, nesting, and its guard rails.</summary>
public class InferenceModeTests
{
    [Fact]
    public void Inside_nothing_is_recorded_and_the_previous_state_returns_after()
    {
        using var scope = TensorScope.Enter();
        var x = Tensor.Ones([3]).RequiresGrad_();
        Assert.False(Torch.IsInferenceModeEnabled);
        Tensor inside;
        using (Torch.InferenceMode())
        {
            Assert.True(Torch.IsInferenceModeEnabled);
            Assert.False(Torch.IsGradEnabled);
            inside = x.Mul(2.0);
            Assert.False(inside.RequiresGrad);
        }
        Assert.False(Torch.IsInferenceModeEnabled);
        Assert.True(Torch.IsGradEnabled);
        Assert.True(x.Mul(2.0).RequiresGrad);
        // Inference tensors can still be read outside.
        Assert.Equal(new float[] { 2, 2, 2 }, inside.ToArray<float>());
    }

    [Fact]
    public void A_disabled_scope_inside_makes_ordinary_tensors_again()
    {
        using var scope = TensorScope.Enter();
        using (Torch.InferenceMode())
        {
            using (Torch.InferenceMode(false))
            {
                Assert.False(Torch.IsInferenceModeEnabled);
                var x = Tensor.Ones([2]).RequiresGrad_();
                x.Mul(3.0).Sum().Backward();
                Assert.Equal(new float[] { 3, 3 }, x.Grad!.ToArray<float>());
            }
            Assert.True(Torch.IsInferenceModeEnabled);
        }
    }

    [Fact]
    public void Scopes_must_close_innermost_first()
    {
        var outer = Torch.InferenceMode();
        var inner = Torch.InferenceMode(false);
        Assert.Throws<InvalidOperationException>(outer.Dispose);
        inner.Dispose();
        outer.Dispose();
        outer.Dispose(); // a second Dispose does nothing
        Assert.False(Torch.IsInferenceModeEnabled);
    }

    [Fact]
    public void A_scope_must_close_on_its_own_thread()
    {
        var scope = Torch.InferenceMode();
        try
        {
            Exception? error = null;
            var thread = new Thread(() => error = Record.Exception(scope.Dispose));
            thread.Start();
            thread.Join();
            Assert.IsType<InvalidOperationException>(error);
            Assert.True(Torch.IsInferenceModeEnabled);
        }
        finally
        {
            scope.Dispose();
        }
        Assert.False(Torch.IsInferenceModeEnabled);
    }
}
