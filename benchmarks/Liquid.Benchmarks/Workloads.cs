using System.Globalization;
using Liquid.Models;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;

namespace Liquid.Benchmarks;

/// <summary>
/// The workloads both the <c>compare</c> mode and the BenchmarkDotNet suites time: each is set up once
/// and exposes one call to time. Shapes, batch and context match benchmarks/pytorch/compare.py.
/// </summary>
public abstract class Workload : IDisposable
{
    /// <summary>One timed call.</summary>
    public abstract void Run();

    /// <summary>Tokens one call processes (throughput), if it is a model workload.</summary>
    public virtual long? Tokens => null;

    /// <summary>Matmul FLOPs of one call, where counting them is meaningful.</summary>
    public virtual double? Flops => null;

    /// <inheritdoc/>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>A 4×4 elementwise add or matmul: what one call costs beyond the math.</summary>
public sealed class TinyOpWorkload(string op) : Workload
{
    private readonly Tensor _a = Tensor.Randn([4, 4]);
    private readonly Tensor _b = Tensor.Randn([4, 4]);

    /// <inheritdoc/>
    public override void Run()
    {
        using var result = op == "add" ? _a.Add(_b) : _a.MatMul(_b);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        base.Dispose();
    }
}

/// <summary>An n×n float32 matrix product: the machine's sgemm rate through libtorch.</summary>
public sealed class SgemmWorkload(long n) : Workload
{
    private readonly Tensor _a = Tensor.Randn([n, n]);
    private readonly Tensor _b = Tensor.Randn([n, n]);

    /// <inheritdoc/>
    public override void Run()
    {
        using var result = _a.MatMul(_b);
    }

    /// <inheritdoc/>
    public override double? Flops => 2.0 * n * n * n;

    /// <inheritdoc/>
    public override void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        base.Dispose();
    }
}

/// <summary>The layer kinds of the block benchmarks.</summary>
public enum LayerKind
{
    /// <summary>Linear d → 4d.</summary>
    Linear,
    /// <summary>GELU MLP d → 4d → d.</summary>
    Mlp,
    /// <summary>Causal multi-head self-attention.</summary>
    Attention,
    /// <summary>Causal attention with 2 key/value heads (grouped queries).</summary>
    AttentionGqa,
    /// <summary>Causal attention with a sliding window of 32.</summary>
    AttentionWindow,
}

/// <summary>
/// One layer on x [B, T, d]: forward only (no grad) or forward + backward with respect to the
/// parameters and the input (gradients dropped after each call, as zero_grad(set_to_none) does).
/// d ≥ 512 runs B 8, T 128 with 8 heads; smaller d runs B 8, T 64 with 4 heads.
/// </summary>
public sealed class LayerWorkload : Workload
{
    private readonly Module _layer;
    private readonly Func<Tensor, Tensor> _forward;
    private readonly Tensor _input;
    private readonly Tensor _gradient;
    private readonly Tensor[] _parameters;
    private readonly bool _backward;
    private readonly double? _flops;

    /// <summary>Builds the layer and its inputs.</summary>
    public LayerWorkload(LayerKind kind, long d, bool backward)
    {
        Torch.ManualSeed(0);
        long batch = 8, steps = d >= 512 ? 128 : 64, heads = d >= 512 ? 8 : 4;
        _backward = backward;
        switch (kind)
        {
            case LayerKind.Linear:
                var linear = new Linear(new LinearOptions(d, 4 * d));
                (_layer, _forward, _flops) = (linear, linear.Forward, 2.0 * batch * steps * d * 4 * d);
                break;
            case LayerKind.Mlp:
                var mlp = new Mlp(new MlpOptions(d, 4 * d));
                (_layer, _forward, _flops) = (mlp, mlp.Forward, 2.0 * 2 * batch * steps * d * 4 * d);
                break;
            default:
                var options = new AttentionOptions(d, heads,
                    KvHeads: kind == LayerKind.AttentionGqa ? 2 : null,
                    Window: kind == LayerKind.AttentionWindow ? 32 : null);
                var attention = new Attention(options);
                (_layer, _forward) = (attention, x => attention.Forward(x));
                break;
        }
        _input = Tensor.Randn([batch, steps, d]);
        if (backward) _input.RequiresGrad = true;
        _gradient = Tensor.Randn([batch, steps, kind == LayerKind.Linear ? 4 * d : d]);
        _parameters = _layer.Parameters().ToArray();
    }

    /// <inheritdoc/>
    public override double? Flops => _backward ? null : _flops;

    /// <inheritdoc/>
    public override void Run()
    {
        if (!_backward)
        {
            using var noGrad = Torch.NoGrad();
            using var output = _forward(_input);
            return;
        }
        using (var output = _forward(_input)) output.Backward(_gradient);
        foreach (var parameter in _parameters) parameter.ZeroGrad();
        _input.ZeroGrad();
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _layer.Dispose();
        _input.Dispose();
        _gradient.Dispose();
        base.Dispose();
    }
}

/// <summary>What a model workload does.</summary>
public enum ModelTask
{
    /// <summary>Eval-mode forward under no_grad on [B, T].</summary>
    Forward,
    /// <summary>Forward, cross-entropy, backward, clip_grad_norm 1.0, AdamW step, zero_grad.</summary>
    Train,
    /// <summary>Greedy decoding with the KV cache, batch 1: a 16-token prompt, then the timed new tokens.</summary>
    Generate,
    /// <summary>The AdamW step alone, over every parameter with a fixed random gradient.</summary>
    AdamW,
}

/// <summary>
/// A compiled model on random tokens. Models (same shapes as compare.py):
/// <c>tiny-gpt-d64</c> (TinyGpt with d 64, context 64; B 8, T 64), <c>tiny-gpt</c> (defaults, d 128;
/// B 16, T 128), <c>gpt2-spanish</c> (defaults, d 512, 6 layers; B 8, T 128).
/// </summary>
public sealed class ModelWorkload : Workload
{
    private readonly CompiledModel _model;
    private readonly ModelTask _task;
    private readonly Tensor _tokens;
    private readonly Tensor _targets;
    private readonly AdamW? _optimizer;
    private readonly Tensor[] _parameters;
    private readonly long _vocab;
    private readonly long _batch;
    private readonly long _steps;
    private readonly long _layers;
    private readonly long _dModel;
    private readonly long[] _prompt;

    /// <summary>The model names this workload knows.</summary>
    public static readonly string[] Models = ["tiny-gpt-d64", "tiny-gpt", "gpt2-spanish"];

    /// <summary>
    /// Builds the model (seed 0), its inputs and, for training, its optimizer. <paramref name="name"/> may
    /// end in <c>@BxT</c> to override the batch and sequence length (T at most the model's context).
    /// </summary>
    public ModelWorkload(string name, ModelTask task)
    {
        Torch.ManualSeed(0);
        _task = task;
        var at = name.IndexOf('@', StringComparison.Ordinal);
        var model = at < 0 ? name : name[..at];
        (_model, _batch, _steps) = model switch
        {
            "tiny-gpt-d64" => ((CompiledModel)new TinyGpt(new TinyGptConfig { DModel = 64, Context = 64 }), 8L, 64L),
            "tiny-gpt" => (new TinyGpt(), 16L, 128L),
            "gpt2-spanish" => (new Gpt2Spanish(), 8L, 128L),
            _ => throw new ArgumentException($"unknown model '{name}' (known: {string.Join(", ", Models)}, optionally with @BxT)"),
        };
        if (at >= 0 && name[(at + 1)..].Split('x') is [var batchText, var stepsText])
            (_batch, _steps) = (long.Parse(batchText, CultureInfo.InvariantCulture), long.Parse(stepsText, CultureInfo.InvariantCulture));
        (_vocab, _layers, _dModel) = _model switch
        {
            TinyGpt t => (t.Config.VocabSize, t.Config.Layers, t.Config.DModel),
            Gpt2Spanish g => (g.Config.VocabSize, g.Config.Layers, g.Config.DModel),
            _ => throw new InvalidOperationException(),
        };
        _tokens = Tensor.RandInt(0, _vocab, [_batch, _steps]);
        _targets = Tensor.RandInt(0, _vocab, [_batch, _steps]);
        _parameters = _model.Parameters().ToArray();
        _prompt = Enumerable.Range(0, 16).Select(i => (long)((i * 7919) % _vocab)).ToArray();
        switch (task)
        {
            case ModelTask.Train:
                _model.Train();
                _optimizer = new AdamW(ParameterGroups.DecayAndNoDecay(_model, 1e-4, 0.1), new AdamOptions(1e-4, 0.9, 0.95, WeightDecay: 0.1));
                break;
            case ModelTask.AdamW:
                _optimizer = new AdamW(ParameterGroups.DecayAndNoDecay(_model, 1e-4, 0.1), new AdamOptions(1e-4, 0.9, 0.95, WeightDecay: 0.1));
                // Gradients as backward leaves them: d(Σ p·r)/dp = r for a fixed random r per parameter.
                using (var scope = TensorScope.Enter())
                    foreach (var parameter in _parameters) parameter.Mul(parameter.RandnLike()).Sum().Backward();
                break;
            default:
                _model.Eval();
                break;
        }
    }

    /// <summary>Tokens generated per <see cref="ModelTask.Generate"/> call (after the 16-token prompt).</summary>
    public const int NewTokens = 32;

    /// <inheritdoc/>
    public override long? Tokens => _task switch
    {
        ModelTask.Generate => NewTokens,
        ModelTask.AdamW => null,
        _ => _batch * _steps,
    };

    /// <inheritdoc/>
    public override double? Flops => _task == ModelTask.Forward
        ? _batch * _steps * (_layers * 24.0 * _dModel * _dModel + 2.0 * _dModel * _vocab) + _batch * _layers * 4.0 * _steps * _steps * _dModel
        : null;

    /// <inheritdoc/>
    public override void Run()
    {
        switch (_task)
        {
            case ModelTask.Forward:
                ForwardOnce();
                break;
            case ModelTask.Train:
                TrainStep();
                break;
            case ModelTask.AdamW:
                _optimizer!.Step();
                break;
            default:
                Generate();
                break;
        }
    }

    private void ForwardOnce()
    {
        using var noGrad = Torch.NoGrad();
        using var output = _model.Run(new Dictionary<string, Tensor> { ["tokens"] = _tokens });
    }

    private void TrainStep()
    {
        using (var scope = TensorScope.Enter())
        {
            using var output = _model.Run(new Dictionary<string, Tensor> { ["tokens"] = _tokens });
            _model.Loss(output, _targets).Backward();
        }
        Optimizer.ClipGradNorm(_parameters, 1.0);
        _optimizer!.Step();
        _optimizer.ZeroGrad();
    }

    // The core of the harness's Generator without sampling options: the prompt once, then one token
    // at a time against the model's KV caches, each step's tensors freed by a scope. Inference mode
    // (torch.inference_mode) rather than no_grad: nothing here is ever differentiated.
    private void Generate()
    {
        using var inference = Torch.InferenceMode();
        using var state = new ModelState();
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Tensor last;
        using (var scope = TensorScope.Enter())
        {
            inputs["tokens"] = Tensor.From(_prompt, 1L, _prompt.Length);
            var logits = _model.Run(inputs, state).Output;
            last = scope.Keep(logits.Select(0, 0).Select(0, _prompt.Length - 1));
        }
        var generated = new List<long>(NewTokens);
        for (var k = 0; k < NewTokens; k++)
        {
            using var scope = TensorScope.Enter();
            var token = last.ArgMax().ItemInt64();
            last.Dispose();
            generated.Add(token);
            inputs["tokens"] = Tensor.From([token], 1L, 1L);
            var logits = _model.Run(inputs, state).Output;
            last = scope.Keep(logits.Select(0, 0).Select(0, 0));
        }
        last.Dispose();
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _optimizer?.Dispose();
        _model.Dispose();
        _tokens.Dispose();
        _targets.Dispose();
        base.Dispose();
    }
}
