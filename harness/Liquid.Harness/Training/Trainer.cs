using System.Diagnostics;
using Liquid.Harness.Data;
using Liquid.Harness.Monitoring;
using Liquid.Harness.Text;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;

namespace Liquid.Harness.Training;

/// <summary>What the trainer reports as it goes; the console shows it live, tests record it.</summary>
public interface ITrainingObserver
{
    /// <summary>One optimizer step finished.</summary>
    void Step(StepMetrics metrics, long totalSteps);

    /// <summary>A validation pass finished.</summary>
    void Evaluated(long step, double validationLoss, bool best);

    /// <summary>A validation pass finished, with each objective term and the classification accuracy when there is one.</summary>
    void Evaluated(ValidationMetrics metrics, bool best) => Evaluated(metrics.Step, metrics.Loss, best);

    /// <summary>Something worth a line: checkpoint saved, step skipped, early stop…</summary>
    void Message(string text);
}

/// <summary>Numbers of one optimizer step; <see cref="Terms"/> holds each objective term when there are several.</summary>
public sealed record StepMetrics(long Step, double Loss, double LearningRate, double TokensPerSecond, double GradNorm, TimeSpan Elapsed)
{
    /// <summary>Each term of the objective, unweighted, by its name (empty for a one-term objective).</summary>
    public IReadOnlyDictionary<string, double> Terms { get; init; } = new Dictionary<string, double>();

    /// <summary>Measurements the layers reported (expert usage …), averaged over the step's micro-batches.</summary>
    public IReadOnlyDictionary<string, double[]> Measurements { get; init; } = new Dictionary<string, double[]>();

    /// <summary>What <see cref="TokensPerSecond"/> counts: tokens or examples.</summary>
    public string Unit { get; init; } = "tokens";
}

/// <summary>Numbers of one validation pass.</summary>
public sealed record ValidationMetrics(long Step, double Loss, IReadOnlyDictionary<string, double> Terms, double? Accuracy);

/// <summary>How a run ended.</summary>
public enum TrainOutcome
{
    /// <summary>All steps ran.</summary>
    Completed,
    /// <summary>Validation stopped improving.</summary>
    EarlyStopped,
    /// <summary>Ctrl-C (or another cancellation): the latest checkpoint holds the progress.</summary>
    Interrupted,
}

/// <summary>The result of <see cref="Trainer.Run"/>.</summary>
public sealed record TrainResult(TrainOutcome Outcome, long Step, double? LastLoss, double? BestValidationLoss, string OutputDirectory);

/// <summary>
/// The training loop: batches of the data the model's inputs and targets name (a token corpus or
/// named examples), forward, the model's objective, backward with
/// gradient accumulation and clipping, an optimizer step and the schedule; evaluation, checkpoints
/// (latest/ and best/), metrics, recovery from non-finite losses, early stopping and interruption.
/// </summary>
public sealed class Trainer
{
    private readonly TrainSettings _settings;
    private readonly string _modelName;
    private readonly Dictionary<string, string> _config;
    private readonly string _output;
    private readonly ITrainingObserver _observer;

    /// <summary>A new run of <paramref name="modelName"/> writing into <paramref name="output"/>.</summary>
    public Trainer(string modelName, Dictionary<string, string> config, TrainSettings settings, string output, ITrainingObserver observer)
    {
        _modelName = modelName;
        _config = config;
        _settings = settings;
        _output = Path.GetFullPath(output);
        _observer = observer;
    }

    /// <summary>Continues the run saved in <paramref name="checkpoint"/> (a checkpoint folder or a run folder).</summary>
    public static Trainer Resume(string checkpoint, ITrainingObserver observer, long? steps = null, int? threads = null, int? monitorEvery = null)
    {
        var (directory, info) = Checkpoint.ReadInfo(checkpoint, observer.Message);
        var settings = steps is { } total ? info.Settings with { Steps = total } : info.Settings;
        if (threads is { } count) settings = settings with { Threads = count };
        if (monitorEvery is { } every) settings = settings with { MonitorEvery = every };
        var output = Path.GetDirectoryName(directory)!;
        return new Trainer(info.Model, info.Config, settings, output, observer) { _resumeFrom = (directory, info) };
    }

    private (string Directory, CheckpointInfo Info)? _resumeFrom;

    /// <summary>The folder of this run (latest/, best/, metrics.jsonl, curve.svg).</summary>
    public string OutputDirectory => _output;

    /// <summary>Called once the model is built, before any step (the command line checks memory here).</summary>
    public Action<CompiledModel, TrainSettings>? BeforeTraining { get; set; }

    /// <summary>Runs to the end, to early stopping or to cancellation; every path leaves a checkpoint.</summary>
    public TrainResult Run(CancellationToken cancellation)
    {
        var s = _settings;
        if (s.Context < 1 || s.Batch < 1 || s.Accumulate < 1) throw new ConfigException("batch, context and accumulate must be at least 1");
        Torch.SetThreads(s.Threads);
        var device = Device.Parse(s.Device);
        if (device.Type == DeviceType.Cuda && !Torch.CudaIsAvailable)
            throw new ConfigException("--device cuda: CUDA is not available (this libtorch has no CUDA, or no GPU is visible); use --device cpu");
        Directory.CreateDirectory(_output);

        var config = new Dictionary<string, string>(_config, StringComparer.Ordinal);
        var info = Catalog.Find(_modelName);
        using var data = OpenData(info, config, s);
        s = s.Resolve(data.TrainCount, data.ItemsPerBatch);
        if (!data.HasValidation) _observer.Message("the validation split is smaller than one batch; validation loss will be skipped");

        Torch.ManualSeed(s.Seed);
        using var model = _resumeFrom is { } r ? Checkpoint.LoadModel(r.Directory, r.Info) : info.Create(config);
        if (device.Type != DeviceType.Cpu) model.To(device);
        if (data is TokenData && model.Context is { } limit && s.Context > limit)
            throw new ConfigException($"--context {s.Context} exceeds {_modelName}'s context of {limit}; use --context {limit} or --set context={s.Context}");
        BeforeTraining?.Invoke(model, s);

        using var optimizer = CreateOptimizer(model, s);
        var schedule = s.BuildSchedule();
        var plateau = s.Schedule == ScheduleKind.Plateau ? new ReduceOnPlateauSchedule(s.LearningRate, s.PlateauFactor, s.PlateauPatience, s.MinLearningRate) : null;

        long step = 0;
        double? best = null;
        var staleEvaluations = 0;
        var scale = 1.0;
        if (_resumeFrom is { } from)
        {
            Checkpoint.LoadOptimizer(from.Directory, optimizer);
            step = from.Info.Step;
            best = from.Info.BestValidationLoss;
            staleEvaluations = from.Info.EvaluationsWithoutImprovement;
            scale = from.Info.LearningRateScale;
            data.State = from.Info.DataState;
            Torch.SetRngState(Convert.FromBase64String(from.Info.TorchRngState));
            _observer.Message($"resumed {_modelName} at step {step} from {from.Directory}");
        }

        using var metrics = new MetricsLog(Path.Combine(_output, "metrics.jsonl"), keepUpTo: step);
        // --monitor: every N-th step (and the step after a non-finite one, to say where it arose)
        // records what each Linear, Conv and attention module put out and every parameter's gradient.
        var activationsPath = Path.Combine(_output, "activations.jsonl");
        using var activationLog = s.MonitorEvery > 0 ? new ActivationLog(activationsPath, keepUpTo: step) : null;
        var monitor = activationLog is null ? null : new ActivationMonitor();
        var watchNext = monitor is not null;
        CheckpointInfo Snapshot() => new()
        {
            Model = _modelName,
            Config = config,
            Settings = s,
            Step = step,
            BestValidationLoss = best,
            EvaluationsWithoutImprovement = staleEvaluations,
            DataState = data.State,
            TorchRngState = Convert.ToBase64String(Torch.GetRngState()),
            LearningRateScale = scale,
        };
        // The step whose weights the validation loss last found non-finite: finite weights can still
        // overflow the forward pass, and restoring them would only diverge again.
        long? overflowingStep = null;
        void Save(string name)
        {
            // Weights gone non-finite (a huge update with a finite loss) are not worth keeping: the
            // last good checkpoint stays, and the next step's loss starts the non-finite recovery.
            if (!NonFiniteRecovery.WeightsAreFinite(model))
            {
                _observer.Message($"step {step}: the weights are not finite; {name}/ keeps its previous checkpoint");
                return;
            }
            if (overflowingStep == step)
            {
                _observer.Message($"step {step}: the validation loss of these weights is not finite; {name}/ keeps its previous checkpoint");
                return;
            }
            Checkpoint.Save(Path.Combine(_output, name), Snapshot(), model, optimizer, data.Tokenizer);
        }
        // A fresh run saves its starting point: a kill before the first checkpoint can resume, and
        // the non-finite recovery always has a checkpoint to go back to.
        if (_resumeFrom is null) Save("latest");
        var recovery = new NonFiniteRecovery(_output, s, _observer);
        // The untrained model's validation loss is the baseline every later evaluation is read
        // against (it neither counts as best nor towards patience).
        if (_resumeFrom is null && data.HasValidation)
        {
            var baseline = Evaluate(model, data, s, device) with { Step = 0 };
            metrics.Evaluation(baseline);
            _observer.Evaluated(baseline, best: false);
        }

        // Layers whose weights are projected after each step (an LTC with clamped constraints).
        var constraints = model.NamedModules().Select(m => m.Module).OfType<IWeightConstraint>().ToList();
        var outcome = TrainOutcome.Completed;
        double? lastLoss = null;
        var clock = Stopwatch.StartNew();
        var itemsPerStep = (double)data.ItemsPerBatch * s.Accumulate;
        model.Train();
        while (step < s.Steps)
        {
            if (cancellation.IsCancellationRequested)
            {
                outcome = TrainOutcome.Interrupted;
                break;
            }
            var rate = (plateau?.Rate ?? schedule.LearningRate(step)) * scale;
            optimizer.SetLearningRate(rate);
            var started = clock.Elapsed;
            var dataAtStart = data.State;
            var rngAtStart = s.Accumulate > 1 ? Torch.GetRngState() : null;
            var watched = monitor is not null && (watchNext || (step + 1) % s.MonitorEvery == 0);
            StepLoss? maybeAccumulated;
            using (watched ? monitor!.Watch(step + 1) : (IDisposable?)null)
                maybeAccumulated = AccumulatedLoss(model, data, s, device, cancellation);
            if (watched && maybeAccumulated is not null)
            {
                // Before clipping: the gradients backward produced.
                monitor!.RecordGradients(model, step + 1);
                if (activationLog!.Write(monitor) is { } first)
                    _observer.Message($"step {first.Step}: the first non-finite {first.What} is in {first.Path} ({first.Count} elements); see {activationsPath}");
                watchNext = false;
            }
            if (maybeAccumulated is not { } accumulated)
            {
                // Interrupted between micro-batches: the step is abandoned, and the data position and
                // RNG go back to its start, so the checkpoint resumes exactly where the run stood.
                optimizer.ZeroGrad();
                data.State = dataAtStart;
                if (rngAtStart is not null) Torch.SetRngState(rngAtStart);
                outcome = TrainOutcome.Interrupted;
                break;
            }
            var loss = accumulated.Loss;
            var norm = !double.IsFinite(loss) ? double.NaN : s.Clip is { } clip ? Optimizer.ClipGradNorm(model.Parameters(), clip) : GradNorm(model);
            if (!double.IsFinite(loss) || !double.IsFinite(norm))
            {
                watchNext = monitor is not null && monitor.FirstNonFinite is null;
                optimizer.ZeroGrad();
                if (recovery.Skip(step + 1, loss, norm, scale, model, optimizer, metrics) is { } restored)
                {
                    step = restored.Step;
                    data.State = restored.DataState;
                    overflowingStep = null;
                    scale *= 0.5;
                }
                continue;
            }
            recovery.Finite();
            optimizer.Step();
            optimizer.ZeroGrad();
            constraints.ForEach(c => c.ApplyWeightConstraints());
            step++;
            lastLoss = loss;
            var elapsed = clock.Elapsed - started;
            var metric = new StepMetrics(step, loss, rate, itemsPerStep / Math.Max(elapsed.TotalSeconds, 1e-9), norm, clock.Elapsed)
            {
                Terms = accumulated.Terms,
                Measurements = accumulated.Measurements,
                Unit = data.Unit,
            };
            metrics.Step(metric);
            _observer.Step(metric, s.Steps);

            var evaluate = (s.EvalEvery > 0 && step % s.EvalEvery == 0) || step == s.Steps;
            if (evaluate && data.HasValidation)
            {
                var measured = Evaluate(model, data, s, device) with { Step = step };
                var validation = measured.Loss;
                metrics.Evaluation(measured);
                overflowingStep = double.IsFinite(validation) ? null : step;
                var improved = double.IsFinite(validation) && (best is null || validation < best.Value - s.MinDelta);
                if (improved)
                {
                    best = validation;
                    staleEvaluations = 0;
                    Save("best");
                }
                else
                {
                    staleEvaluations++;
                }
                _observer.Evaluated(measured, improved);
                if (plateau is not null) plateau.Observe(validation);
                if (s.Patience is { } patience && staleEvaluations >= patience)
                {
                    _observer.Message($"validation loss has not improved by {s.MinDelta} for {patience} evaluations: stopping early");
                    outcome = TrainOutcome.EarlyStopped;
                    break;
                }
            }
            if (s.CheckpointEvery > 0 && step % s.CheckpointEvery == 0 && step < s.Steps) Save("latest");
        }
        Save("latest");
        _observer.Message(outcome == TrainOutcome.Interrupted
            ? $"interrupted at step {step}; saved {Path.Combine(_output, "latest")} (continue with --resume {_output})"
            : $"saved {Path.Combine(_output, "latest")} at step {step}");
        CurvePlot.Write(Path.Combine(_output, "metrics.jsonl"), Path.Combine(_output, "curve.svg"), $"{_modelName} on {s.Data}");
        if (activationLog is not null)
        {
            activationLog.Dispose();
            ActivationPlot.Write(activationsPath, Path.Combine(_output, "activations.svg"), $"{_modelName}: activations and gradients");
        }
        return new TrainResult(outcome, step, lastLoss, best, _output);
    }

    /// <summary>
    /// The data the model's inputs and targets ask for: a token corpus through a tokenizer for a
    /// language model (whose vocabulary then follows the tokenizer, unless the config fixes it), named
    /// examples for any other model.
    /// </summary>
    private TrainingData OpenData(ModelInfo info, Dictionary<string, string> config, TrainSettings s)
    {
        IReadOnlyList<TensorInfo> inputs, targets;
        using (var probe = info.Create(config))
        {
            inputs = probe.Inputs;
            targets = probe.Targets;
        }
        var seed = s.Seed ^ 0x5DEECE66DUL;
        if (TrainingData.LanguageModel(inputs, targets) is { } language)
        {
            var texts = new DataSource(s.Data, s.Field).Read();
            var tokenizer = _resumeFrom is { } resume ? Checkpoint.LoadTokenizer(resume.Directory)
                : Tokenizers.Create(s.Tokenizer, () => texts.Train);
            var corpus = TokenCorpus.Load(texts, tokenizer, TokenizerKey(tokenizer), CacheDirectory(), s.ValidationShare);
            if (_resumeFrom is null && info.VocabularyConfig is { } vocabulary && !config.ContainsKey(vocabulary))
                config[vocabulary] = tokenizer.VocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new TokenData(corpus, tokenizer, language.Input.Name, language.Target.Name, s.Batch, s.Context, seed);
        }
        var fields = TrainingData.Fields(inputs, targets);
        var set = ExampleSet.Load(s.Data, fields, new LoadOptions(ValidationShare: s.ValidationShare, TestShare: s.ValidationShare), _observer.Message);
        _observer.Message(set.Description);
        foreach (var note in set.Notes) _observer.Message(note);
        return new ExampleData(set, inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal), s.Batch, seed, state: 0);
    }

    private static Optimizer CreateOptimizer(CompiledModel model, TrainSettings s)
    {
        var groups = ParameterGroups.DecayAndNoDecay(model, s.LearningRate, s.WeightDecay);
        return s.Optimizer switch
        {
            OptimizerKind.Sgd => new Sgd(groups, new SgdOptions(s.LearningRate, s.Momentum, WeightDecay: s.WeightDecay)),
            OptimizerKind.Adam => new Adam(groups, new AdamOptions(s.LearningRate, s.Beta1, s.Beta2, s.Eps, s.WeightDecay)),
            _ => new AdamW(groups, new AdamOptions(s.LearningRate, s.Beta1, s.Beta2, s.Eps, s.WeightDecay)),
        };
    }

    /// <summary>The mean objective of one step's micro-batches, its terms and the layers' measurements.</summary>
    private sealed record StepLoss(double Loss, IReadOnlyDictionary<string, double> Terms, IReadOnlyDictionary<string, double[]> Measurements);

    /// <summary>
    /// Forward, the model's objective and backward over the micro-batches of one step; the mean
    /// total, or the first non-finite one; null when cancelled between micro-batches.
    /// </summary>
    private static StepLoss? AccumulatedLoss(CompiledModel model, TrainingData data, TrainSettings s, Device device, CancellationToken cancellation)
    {
        var total = 0.0;
        var terms = new Dictionary<string, double>(StringComparer.Ordinal);
        var measurements = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (var micro = 0; micro < s.Accumulate; micro++)
        {
            if (micro > 0 && cancellation.IsCancellationRequested) return null;
            using var scope = TensorScope.Enter();
            var batch = data.Next(device);
            using var output = model.Run(batch.Inputs);
            using var objective = model.Objective(output, batch.Targets);
            var value = objective.Total.Item();
            if (!double.IsFinite(value)) return new StepLoss(value, terms, measurements);
            objective.Total.Div(s.Accumulate).Backward();
            total += value;
            if (objective.Terms.Count > 1)
                foreach (var term in objective.Terms) terms[term.Name] = terms.GetValueOrDefault(term.Name) + term.Value.Item() / s.Accumulate;
            foreach (var (name, measured) in output.Metrics)
            {
                var values = measured.To(DType.Float64).Flatten().ToArray<double>();
                measurements[name] = measurements.TryGetValue(name, out var sum) ? sum.Zip(values, (a, b) => a + b / s.Accumulate).ToArray() : values.Select(v => v / s.Accumulate).ToArray();
            }
        }
        return new StepLoss(total / s.Accumulate, terms, measurements);
    }

    private static double GradNorm(CompiledModel model) => Optimizer.ClipGradNorm(model.Parameters(), double.PositiveInfinity);

    /// <summary>
    /// The objective over the first EvalBatches batches of the validation split (weighted by their
    /// rows), each of its terms, and the accuracy of its first classification term.
    /// </summary>
    public static ValidationMetrics Evaluate(CompiledModel model, TrainingData data, TrainSettings s, Device device)
    {
        model.Eval();
        try
        {
            using var noGrad = Torch.NoGrad();
            var scores = new ObjectiveScores(model);
            foreach (var batch in data.Validation(device, s.EvalBatches))
            {
                using var scope = TensorScope.Enter();
                using var output = model.Run(batch.Inputs);
                scores.Add(output, batch);
            }
            return new ValidationMetrics(0, scores.Loss, scores.Terms, scores.Accuracy);
        }
        finally
        {
            model.Train();
        }
    }

    /// <summary>Identifies a tokenizer for the token cache: kind and a hash of its saved files.</summary>
    public static string TokenizerKey(ITokenizer tokenizer)
    {
        var directory = Path.Combine(Path.GetTempPath(), "liquid-tokenizer-" + Guid.NewGuid().ToString("N"));
        try
        {
            tokenizer.Save(directory);
            var text = string.Join("\n", Directory.GetFiles(directory).Order(StringComparer.Ordinal).Select(File.ReadAllText));
            return tokenizer.Kind + ":" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Where tokenized corpora are cached: LIQUID_CACHE, else ~/.cache/liquid/tokens.</summary>
    public static string CacheDirectory() =>
        Environment.GetEnvironmentVariable("LIQUID_CACHE") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "liquid", "tokens");
}

/// <summary>Training cannot go on.</summary>
public sealed class TrainingException(string message) : Exception(message);
