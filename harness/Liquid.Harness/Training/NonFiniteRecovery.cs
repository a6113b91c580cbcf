using System.Globalization;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;

namespace Liquid.Harness.Training;

/// <summary>
/// What training does when a step's loss or gradient norm is NaN or infinite: the step is skipped
/// (no update); after <see cref="TrainSettings.NonFiniteLimit"/> such steps in a row, the weights,
/// optimizer state and data position of latest/ are restored and the learning rate is halved; after
/// <see cref="TrainSettings.NonFiniteRestoreLimit"/> restores the run stops with a
/// <see cref="TrainingException"/> (latest/ keeps the last finite weights).
/// </summary>
internal sealed class NonFiniteRecovery(string output, TrainSettings settings, ITrainingObserver observer)
{
    private int _inARow;
    private int _restores;

    /// <summary>A finite step: the count of skips in a row starts again.</summary>
    public void Finite() => _inARow = 0;

    /// <summary>
    /// Records a skipped step; returns the checkpoint restored into <paramref name="model"/> and
    /// <paramref name="optimizer"/> when this skip was one too many, else null.
    /// </summary>
    public CheckpointInfo? Skip(long step, double loss, double gradNorm, double scale, CompiledModel model, Optimizer optimizer, MetricsLog metrics)
    {
        _inARow++;
        metrics.Skipped(step, loss, gradNorm);
        var what = double.IsFinite(loss) ? $"gradient norm is {Show(gradNorm)}" : $"loss is {Show(loss)}";
        observer.Message($"step {step}: {what}; step skipped ({_inARow} in a row)");
        if (_inARow < settings.NonFiniteLimit) return null;

        var latest = Path.Combine(output, "latest");
        if (_restores >= settings.NonFiniteRestoreLimit)
            throw new TrainingException($"training diverged: the loss or gradient stayed non-finite after {_restores} restores of {latest}, "
                + $"each halving the learning rate (now ×{Show(scale)} of --lr {Show(settings.LearningRate)}); start again with a lower --lr");
        var (directory, saved) = Checkpoint.ReadInfo(latest);
        using (var restored = Checkpoint.LoadModel(directory, saved))
        using (Torch.NoGrad())
        {
            var state = restored.StateDict();
            model.LoadStateDict(state);
            foreach (var tensor in state.Values) tensor.Dispose();
        }
        Checkpoint.LoadOptimizer(directory, optimizer);
        _restores++;
        _inARow = 0;
        metrics.Restored(saved.Step, scale * 0.5);
        observer.Message($"restored the checkpoint of step {saved.Step} and halved the learning rate (now ×{Show(scale * 0.5)}; restore {_restores} of at most {settings.NonFiniteRestoreLimit})");
        return saved;
    }

    /// <summary>True when every parameter is finite (a checkpoint of non-finite weights would be useless to restore).</summary>
    public static bool WeightsAreFinite(CompiledModel model)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        return model.Parameters().All(p => p.IsFinite().All().Item() != 0);
    }

    private static string Show(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
