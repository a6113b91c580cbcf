namespace Liquid.Runtime.Tests;

/// <summary>The thread setting reaches both pools libtorch computes with: OpenMP and OpenBLAS.</summary>
[Collection(LiveTensorCountCollection.Name)] // changes process-wide state: run alone
public class ThreadTests
{
    [Fact]
    public void SetThreadsChangesTheIntraOpCountAndRestores()
    {
        var before = Torch.Threads;
        try
        {
            Torch.SetThreads(2);
            Assert.Equal(2, Torch.Threads);
            Torch.SetThreads(1);
            Assert.Equal(1, Torch.Threads);
        }
        finally
        {
            Torch.SetThreads(before);
        }
    }

    [Fact]
    public void OpenBlasThreadPoolIsUnderControl()
    {
        // The project installs libopenblas0-pthread as libtorch's BLAS; its pool must follow SetThreads,
        // or two pools oversubscribe the cores.
        Assert.True(Torch.ControlsBlasThreads, "openblas_set_num_threads was not found in the loaded BLAS");
    }

    [Fact]
    public void FewerThanOneThreadIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Torch.SetThreads(0));
        using var x = Tensor.Ones([2]);
        Assert.Equal(2.0, x.Sum().Item());
    }
}
