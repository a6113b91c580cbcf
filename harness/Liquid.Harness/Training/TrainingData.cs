using Liquid.Harness.Data;
using Liquid.Harness.Text;
using Liquid.Runtime;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Training;

/// <summary>A batch for one forward pass: the model's inputs and the objective's targets, by their names in the model file.</summary>
public sealed record Batch(Dictionary<string, Tensor> Inputs, Dictionary<string, Tensor> Targets, int Rows);

/// <summary>
/// What a model trains on, read through the names its file gives its inputs and targets. A
/// language model (one token input whose next tokens are the target) reads a token corpus through
/// a tokenizer; any other model reads named examples (<see cref="ExampleSet"/>).
/// </summary>
public abstract class TrainingData : IDisposable
{
    /// <summary>The tokenizer of a token corpus, else null.</summary>
    public abstract ITokenizer? Tokenizer { get; }

    /// <summary>What the data is, for the console.</summary>
    public abstract string Description { get; }

    /// <summary>Items (tokens or examples) in the training split: what an epoch is.</summary>
    public abstract long TrainCount { get; }

    /// <summary>Items one micro-batch trains on (tokens: batch × context; examples: batch).</summary>
    public abstract long ItemsPerBatch { get; }

    /// <summary>"tokens" or "examples", for throughput.</summary>
    public abstract string Unit { get; }

    /// <summary>The position in the training data, saved in checkpoints so a resumed run draws the same batches.</summary>
    public abstract ulong State { get; set; }

    /// <summary>Whether the validation split holds at least one batch.</summary>
    public abstract bool HasValidation { get; }

    /// <summary>The next training batch.</summary>
    public abstract Batch Next(Device device);

    /// <summary>Up to <paramref name="batches"/> batches of the validation split, always the same ones.</summary>
    public abstract IEnumerable<Batch> Validation(Device device, int batches);

    /// <summary>The test split in batches (example data; a token corpus has none and returns its validation split).</summary>
    public abstract IEnumerable<Batch> Test(Device device);

    /// <inheritdoc/>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>
    /// The token input and its next-token target when the model is a language model (its only
    /// required input is token ids and its only target their next tokens), else null.
    /// </summary>
    public static (TensorInfo Input, TensorInfo Target)? LanguageModel(IReadOnlyList<TensorInfo> inputs, IReadOnlyList<TensorInfo> targets)
    {
        var required = inputs.Where(i => !i.Optional).ToList();
        if (targets.Count != 1 || targets[0].NextOf is not { } of || required.Count != 1 || required[0].Name != of) return null;
        return (required[0], targets[0]);
    }

    /// <summary>The per-example fields (no batch dimension) of a model's inputs and targets.</summary>
    public static IReadOnlyList<FieldSpec> Fields(IReadOnlyList<TensorInfo> inputs, IReadOnlyList<TensorInfo> targets) =>
        inputs.Concat(targets).Select(t => new FieldSpec(t.Name, t.DType switch
        {
            DType.Int64 or DType.Int32 or DType.Int16 or DType.Int8 or DType.UInt8 => FieldType.Int64,
            DType.Bool => FieldType.Bool,
            _ => FieldType.Float32,
        }, t.Shape.Skip(1).ToList())).ToList();
}

/// <summary>A token corpus for a language model: random windows of context + 1 tokens, split into input and next tokens.</summary>
public sealed class TokenData(TokenCorpus corpus, ITokenizer tokenizer, string input, string target, int batch, int context, ulong state) : TrainingData
{
    private Batcher _batcher = new(corpus, batch, context, state);

    public override ITokenizer? Tokenizer => tokenizer;

    public override string Description => $"{Cli.Commands.Format(corpus.TrainCount)} training and {Cli.Commands.Format(corpus.ValidationCount)} validation tokens ({tokenizer.Kind})";

    public override long TrainCount => corpus.TrainCount;

    public override long ItemsPerBatch => (long)batch * context;

    public override string Unit => "tokens";

    public override ulong State
    {
        get => _batcher.State;
        set => _batcher = new Batcher(corpus, batch, context, value);
    }

    public override bool HasValidation => corpus.ValidationCount >= context + 1;

    /// <summary>The corpus itself (strided evaluation reads it directly).</summary>
    public TokenCorpus Corpus => corpus;

    public override Batch Next(Device device)
    {
        var (inputs, targets) = _batcher.Next();
        return Make(inputs, targets, batch, device);
    }

    public override IEnumerable<Batch> Validation(Device device, int batches)
    {
        // Non-overlapping windows from the start of the validation split: the same ones every time.
        var windows = Math.Min((corpus.ValidationCount - 1) / context, (long)batches * batch);
        var window = new int[context + 1];
        for (long start = 0; start < windows; start += batch)
        {
            var rows = (int)Math.Min(batch, windows - start);
            var inputs = new long[rows * context];
            var targets = new long[rows * context];
            for (var row = 0; row < rows; row++)
            {
                corpus.ReadValidation((start + row) * context, window);
                for (var t = 0; t < context; t++)
                {
                    inputs[row * context + t] = window[t];
                    targets[row * context + t] = window[t + 1];
                }
            }
            yield return Make(inputs, targets, rows, device);
        }
    }

    public override IEnumerable<Batch> Test(Device device) => Validation(device, int.MaxValue);

    private Batch Make(long[] inputs, long[] targets, int rows, Device device) => new(
        new Dictionary<string, Tensor> { [input] = Tensor.From<long>(inputs, [rows, context], device) },
        new Dictionary<string, Tensor> { [target] = Tensor.From<long>(targets, [rows, context], device) },
        rows);

    public override void Dispose()
    {
        corpus.Dispose();
        base.Dispose();
    }
}

/// <summary>Named examples for any other model: shuffled epochs of the training split, the validation and test splits in order.</summary>
public sealed class ExampleData(ExampleSet set, IReadOnlyCollection<string> inputs, int batch, ulong seed, ulong state) : TrainingData
{
    private ExampleBatcher _batcher = new(set.Train, batch, seed, state);

    public override ITokenizer? Tokenizer => null;

    public override string Description => set.Description;

    public override long TrainCount => set.Train.Count;

    public override long ItemsPerBatch => batch;

    public override string Unit => "examples";

    public override ulong State
    {
        get => _batcher.Position;
        set => _batcher = new ExampleBatcher(set.Train, batch, seed, value);
    }

    /// <summary>The example set (its notes say how splits were made).</summary>
    public ExampleSet Set => set;

    public override bool HasValidation => set.Validation.Count > 0;

    public override Batch Next(Device device) => Split(_batcher.Next(device), batch);

    public override IEnumerable<Batch> Validation(Device device, int batches) =>
        ExampleBatcher.Sequential(set.Validation, batch, device).Take(batches).Select(b => Split(b, Rows(b)));

    public override IEnumerable<Batch> Test(Device device) =>
        ExampleBatcher.Sequential(set.Test, batch, device).Select(b => Split(b, Rows(b)));

    private static int Rows(Dictionary<string, Tensor> tensors) => (int)tensors.Values.First().Size(0);

    private Batch Split(Dictionary<string, Tensor> tensors, int rows)
    {
        var batchInputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var batchTargets = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors) (inputs.Contains(name) ? batchInputs : batchTargets)[name] = tensor;
        return new Batch(batchInputs, batchTargets, rows);
    }
}
