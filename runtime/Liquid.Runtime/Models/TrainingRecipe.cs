namespace Liquid.Runtime.Models;

/// <summary>The optimizer a recipe names.</summary>
public enum OptimizerKind
{
    /// <summary>AdamW (decoupled weight decay).</summary>
    AdamW,
    /// <summary>Adam (L2 weight decay).</summary>
    Adam,
    /// <summary>SGD with optional momentum.</summary>
    Sgd,
}

/// <summary>The learning-rate schedule a recipe names.</summary>
public enum ScheduleKind
{
    /// <summary>Constant after warmup.</summary>
    Constant,
    /// <summary>Cosine decay to MinLearningRate after warmup.</summary>
    Cosine,
    /// <summary>Cosine with warm restarts (T0, TMult).</summary>
    CosineRestarts,
    /// <summary>Reduce on validation plateau.</summary>
    Plateau,
}

/// <summary>
/// A model's default training recipe, from the YAML <c>train:</c> section. Every field can be
/// overridden from the command line. Warmup is in steps; WarmupFraction (of total steps) is used
/// when Warmup is null.
/// </summary>
public sealed record TrainingRecipe
{
    /// <summary>The data to train on by default (a path or <c>builtin:NAME</c>), or null for the tool's default.</summary>
    public string? Data { get; init; }
    /// <summary>The tokenizer of a language model's corpus (<c>gpt2</c>, <c>byte</c>, <c>char</c>, <c>bpe:N</c>), or null for the tool's default.</summary>
    public string? Tokenizer { get; init; }
    /// <summary>Which optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW;
    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 3e-4;
    /// <summary>Adam's β₁.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Adam's β₂.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Adam's ε.</summary>
    public double Eps { get; init; } = 1e-8;
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; }
    /// <summary>Weight decay (applied to matrices and embeddings, not to biases and norms), or null
    /// for the optimizer's own default (see <see cref="EffectiveWeightDecay"/>).</summary>
    public double? WeightDecay { get; init; }

    /// <summary>The decay the optimizer applies: the recipe's, else PyTorch's default for the
    /// optimizer (AdamW 0.01; Adam and SGD 0). Adam's decay is an L2 term coupled to the gradient
    /// and rescaled by the second moment, so a silent 0.01 on a cell whose parameters sit far from
    /// zero (an LTC's σ of 3–8) drags them towards zero faster than the loss can move them.</summary>
    public double EffectiveWeightDecay => WeightDecay ?? (Optimizer == OptimizerKind.AdamW ? 0.01 : 0.0);
    /// <summary>Schedule after warmup.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;
    /// <summary>Warmup steps, or null to use <see cref="WarmupFraction"/>.</summary>
    public long? Warmup { get; init; }
    /// <summary>Warmup as a fraction of the total steps.</summary>
    public double WarmupFraction { get; init; }
    /// <summary>Floor of the cosine schedules.</summary>
    public double MinLearningRate { get; init; }
    /// <summary>First cycle of warm restarts.</summary>
    public long RestartPeriod { get; init; } = 1000;
    /// <summary>Growth of each restart cycle.</summary>
    public long RestartMultiplier { get; init; } = 1;
    /// <summary>Plateau schedule: factor, patience (evaluations).</summary>
    public double PlateauFactor { get; init; } = 0.5;
    /// <summary>Plateau schedule: evaluations without improvement before reducing.</summary>
    public int PlateauPatience { get; init; } = 2;
    /// <summary>Global gradient-norm clip, or null for none.</summary>
    public double? ClipGradNorm { get; init; }
    /// <summary>Micro-batches per optimizer step.</summary>
    public int Accumulate { get; init; } = 1;
    /// <summary>Sequences per micro-batch.</summary>
    public int Batch { get; init; } = 8;
    /// <summary>Training sequence length, or null for the model's context.</summary>
    public long? Context { get; init; }
    /// <summary>Optimizer steps, or null to train by epochs.</summary>
    public long? Steps { get; init; }
    /// <summary>Epochs, used when Steps is null.</summary>
    public int? Epochs { get; init; }
    /// <summary>Early stopping: evaluations without improvement, or null for none.</summary>
    public int? EarlyStoppingPatience { get; init; }
    /// <summary>Early stopping: smallest improvement that counts.</summary>
    public double EarlyStoppingMinDelta { get; init; }
}
