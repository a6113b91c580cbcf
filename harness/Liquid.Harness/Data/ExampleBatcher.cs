using Liquid.Runtime;

namespace Liquid.Harness.Data;

/// <summary>
/// Shuffled minibatches of one split for training. Epoch e visits every example of the split once,
/// in a permutation seeded by (seed, e); batches are consecutive runs of that endless stream of
/// epochs, so every batch has exactly <see cref="BatchSize"/> examples and the last one of an epoch
/// continues into the next. The whole state is <see cref="Position"/>, the number of examples drawn
/// so far: save it in a checkpoint, and <c>new ExampleBatcher(split, batch, seed, position)</c> with
/// the run's seed draws exactly the batches the uninterrupted batcher would have drawn next.
/// </summary>
public sealed class ExampleBatcher
{
    private readonly ExampleSplit _split;
    private int[] _order = [];
    private ulong _epochInOrder = ulong.MaxValue;

    /// <summary>A batcher over <paramref name="split"/> that has drawn <paramref name="position"/> examples.</summary>
    /// <param name="split">The examples to draw from (normally <see cref="ExampleSet.Train"/>).</param>
    /// <param name="batch">Examples per batch.</param>
    /// <param name="seed">Seeds every epoch's permutation.</param>
    /// <param name="position">Examples already drawn: 0 for a new run, the saved <see cref="Position"/> for a resumed one.</param>
    public ExampleBatcher(ExampleSplit split, int batch, ulong seed, ulong position = 0)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (split.Count == 0) throw new DataException($"the {Word(split.Kind)} split of {split.Set.Source} is empty; there is nothing to draw batches from");
        _split = split;
        BatchSize = batch;
        Seed = seed;
        Position = position;
    }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The seed of the epoch permutations.</summary>
    public ulong Seed { get; }

    /// <summary>Examples drawn so far (the "data position" a checkpoint saves).</summary>
    public ulong Position { get; private set; }

    /// <summary>The epoch the next example comes from (0 for the first pass over the split).</summary>
    public ulong Epoch => Position / (ulong)_split.Count;

    /// <summary>The set indices of the next batch; advances <see cref="Position"/> by <see cref="BatchSize"/>.</summary>
    public int[] NextIndices()
    {
        var count = (ulong)_split.Count;
        var batch = new int[BatchSize];
        for (var i = 0; i < batch.Length; i++)
        {
            var epoch = Position / count;
            if (epoch != _epochInOrder)
            {
                _order = _split.Indices.ToArray();
                Shuffle.InPlace(_order, Shuffle.Derive(Seed, epoch));
                _epochInOrder = epoch;
            }
            batch[i] = _order[(int)(Position % count)];
            Position++;
        }
        return batch;
    }

    /// <summary>
    /// The next batch: one tensor per field, [BatchSize, ...shape]. The tensors belong to the current
    /// <see cref="TensorScope"/>, if any; otherwise the caller disposes them.
    /// </summary>
    public Dictionary<string, Tensor> Next(Device device = default) => _split.Set.Tensors(NextIndices(), device);

    /// <summary>
    /// The examples of <paramref name="split"/> in order, <paramref name="batch"/> at a time (the last
    /// batch holds the rest), for evaluation. Each batch's tensors are created when it is enumerated
    /// and belong to the current <see cref="TensorScope"/>, if any; otherwise the caller disposes them.
    /// </summary>
    public static IEnumerable<Dictionary<string, Tensor>> Sequential(ExampleSplit split, int batch, Device device = default)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return Batches(split, batch, device);
    }

    private static IEnumerable<Dictionary<string, Tensor>> Batches(ExampleSplit split, int batch, Device device)
    {
        for (var start = 0; start < split.Count; start += batch)
        {
            var indices = split.Indices.Slice(start, Math.Min(batch, split.Count - start)).ToArray();
            yield return split.Set.Tensors(indices, device);
        }
    }

    private static string Word(Split split) => split switch
    {
        Split.Train => "training",
        Split.Validation => "validation",
        _ => "test",
    };
}
