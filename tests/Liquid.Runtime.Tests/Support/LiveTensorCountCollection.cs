namespace Liquid.Runtime.Tests;

/// <summary>
/// <see cref="Torch.LiveTensors"/> counts native handles in the whole process, so a test that
/// compares it before and after must not overlap with any other test creating tensors. xunit runs
/// test classes (collections) in parallel; a collection with <c>DisableParallelization = true</c> is
/// run on its own, after the parallel ones. Every live-count-sensitive test belongs to it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveTensorCountCollection
{
    /// <summary>The collection's name, for <c>[Collection(...)]</c>.</summary>
    public const string Name = "LiveTensorCount";
}
