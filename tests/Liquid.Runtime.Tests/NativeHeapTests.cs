namespace Liquid.Runtime.Tests;

/// <summary>
/// <see cref="NativeHeap.BytesInUse"/> sees tensor storage: a tensor of known size moves the count
/// by its byte size (closed form: elements × 4 for float32) while it lives, and back when freed.
/// Other tests allocating at the same time would blur the difference, so this runs alone.
/// </summary>
[Collection(LiveTensorCountCollection.Name)]
public sealed class NativeHeapTests
{
    [Fact]
    public void CountsATensorWhileItLives()
    {
        const long elements = 16L << 20; // 64 MiB of float32: far above glibc's mmap threshold
        const long bytes = elements * 4;
        var before = NativeHeap.BytesInUse;
        Assert.NotNull(before);
        long during;
        using (var tensor = Tensor.Ones([elements]))
        {
            during = NativeHeap.BytesInUse!.Value;
            Assert.Equal((double)elements, tensor.Sum().Item());
        }
        var after = NativeHeap.BytesInUse!.Value;

        // The allocation itself plus at most a few MiB of libtorch bookkeeping.
        Assert.InRange(during - before.Value, bytes, bytes + (8L << 20));
        Assert.InRange(during - after, bytes - (8L << 20), bytes + (8L << 20));
    }
}
