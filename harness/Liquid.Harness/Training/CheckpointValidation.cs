using System.Globalization;

namespace Liquid.Harness.Training;

/// <summary>
/// Checks the values of a <c>checkpoint.json</c> that parsed, so an edited or damaged file (a step
/// of −5, a batch of 0, a learning rate of NaN) is a clear checkpoint error instead of a run that
/// trains from step −5 or fails somewhere deep inside.
/// </summary>
public static class CheckpointValidation
{
    /// <summary>Every problem found, as "field is value (must be …)"; empty when the checkpoint is usable.</summary>
    public static List<string> Problems(CheckpointInfo info)
    {
        var problems = new List<string>();
        void Check(bool ok, string field, object? value, string rule)
        {
            if (!ok) problems.Add($"{field} is {Show(value)} (must be {rule})");
        }

        Check(!string.IsNullOrWhiteSpace(info.Model), "model", info.Model, "a model name");
        Check(info.Config is not null, "config", null, "an object of config overrides");
        Check(info.Step >= 0, "step", info.Step, "0 or more");
        Check(info.EvaluationsWithoutImprovement >= 0, "evaluations_without_improvement", info.EvaluationsWithoutImprovement, "0 or more");
        Check(double.IsFinite(info.LearningRateScale) && info.LearningRateScale > 0, "learning_rate_scale", info.LearningRateScale, "a positive number");
        Check(info.BestValidationLoss is null || double.IsFinite(info.BestValidationLoss.Value), "best_validation_loss", info.BestValidationLoss, "a finite number or null");
        Check(IsBase64(info.TorchRngState), "torch_rng_state", info.TorchRngState?.Length > 40 ? info.TorchRngState[..40] + "…" : info.TorchRngState, "base64 text");
        var s = info.Settings;
        if (s is null)
        {
            problems.Add("settings are missing");
            return problems;
        }
        Check(!string.IsNullOrWhiteSpace(s.Data), "settings.data", s.Data, "a data source");
        Check(!string.IsNullOrWhiteSpace(s.Tokenizer), "settings.tokenizer", s.Tokenizer, "a tokenizer spec");
        Check(s.Steps >= 1, "settings.steps", s.Steps, "at least 1");
        Check(s.Batch >= 1, "settings.batch", s.Batch, "at least 1");
        Check(s.Context >= 1, "settings.context", s.Context, "at least 1");
        Check(s.Accumulate >= 1, "settings.accumulate", s.Accumulate, "at least 1");
        Check(double.IsFinite(s.LearningRate) && s.LearningRate > 0, "settings.learning_rate", s.LearningRate, "a positive number");
        Check(double.IsFinite(s.MinLearningRate) && s.MinLearningRate >= 0, "settings.min_learning_rate", s.MinLearningRate, "0 or more");
        Check(s.Warmup is null or >= 0, "settings.warmup", s.Warmup, "0 or more");
        Check(s.Clip is null || double.IsFinite(s.Clip.Value) && s.Clip > 0, "settings.clip", s.Clip, "a positive number or null");
        Check(s.EvalEvery >= 0, "settings.eval_every", s.EvalEvery, "0 or more");
        Check(s.EvalBatches >= 1, "settings.eval_batches", s.EvalBatches, "at least 1");
        Check(s.CheckpointEvery >= 0, "settings.checkpoint_every", s.CheckpointEvery, "0 or more");
        Check(s.Threads >= 1, "settings.threads", s.Threads, "at least 1");
        Check(s.Patience is null or >= 1, "settings.patience", s.Patience, "at least 1 or null");
        Check(double.IsFinite(s.MinDelta) && s.MinDelta >= 0, "settings.min_delta", s.MinDelta, "0 or more");
        Check(s.NonFiniteLimit >= 1, "settings.non_finite_limit", s.NonFiniteLimit, "at least 1");
        Check(s.ValidationShare is >= 0 and < 1, "settings.validation_share", s.ValidationShare, "in [0, 1)");
        foreach (var (name, value) in new[] { ("beta1", s.Beta1), ("beta2", s.Beta2), ("eps", s.Eps), ("momentum", s.Momentum), ("weight_decay", s.WeightDecay) })
            Check(double.IsFinite(value), "settings." + name, value, "a finite number");
        return problems;
    }

    private static bool IsBase64(string? text)
    {
        if (string.IsNullOrEmpty(text)) return false;
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out _);
    }

    private static string Show(object? value) => value switch
    {
        null => "missing",
        string text => $"'{text}'",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "missing",
    };
}
