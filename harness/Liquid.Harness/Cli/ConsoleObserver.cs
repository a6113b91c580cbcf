using System.Globalization;
using Liquid.Harness.Training;
using Spectre.Console;

namespace Liquid.Harness.Cli;

/// <summary>
/// Shows training live: a progress bar with step, loss, learning rate, tokens/s and ETA on a
/// terminal; on a pipe or log file, one line every few seconds instead.
/// </summary>
internal sealed class ConsoleObserver(IAnsiConsole console) : ITrainingObserver
{
    private ProgressTask? _task;
    private DateTime _lastLine = DateTime.MinValue;
    private double _smoothedLoss = double.NaN;
    private (long Step, TimeSpan Elapsed)? _first; // the first step this process ran (a resumed run starts late)

    /// <summary>Runs <paramref name="body"/> under the live display when the console is interactive.</summary>
    public TrainResult Run(Func<TrainResult> body)
    {
        if (!console.Profile.Capabilities.Interactive) return body();
        TrainResult? result = null;
        console.Progress()
            .AutoClear(false)
            // Our own eta in the description: Spectre's remaining-time column would read a resumed
            // run's jump from step 0 to its checkpoint's step as speed.
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(context =>
            {
                _task = context.AddTask("starting", maxValue: 1);
                result = body();
                _task.StopTask();
            });
        return result!;
    }

    public void Step(StepMetrics m, long totalSteps)
    {
        _smoothedLoss = double.IsNaN(_smoothedLoss) ? m.Loss : 0.9 * _smoothedLoss + 0.1 * m.Loss;
        var eta = Eta(m, totalSteps);
        var terms = string.Concat(m.Terms.Select(t => string.Create(CultureInfo.InvariantCulture, $"  {t.Key} {t.Value:F4}")));
        var unit = m.Unit == "tokens" ? "tok/s" : "ex/s";
        var text = string.Create(CultureInfo.InvariantCulture,
            $"step {m.Step}/{totalSteps}  loss {_smoothedLoss:F4}{terms}  lr {m.LearningRate:G3}  {m.TokensPerSecond:N0} {unit}");
        if (_task is not null)
        {
            _task.MaxValue = totalSteps;
            _task.Value = m.Step;
            _task.Description = Markup.Escape($"{text}  eta {eta}");
            return;
        }
        if (DateTime.UtcNow - _lastLine < TimeSpan.FromSeconds(5) && m.Step != totalSteps && m.Step != 1) return;
        _lastLine = DateTime.UtcNow;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{text}  eta {eta}"));
    }

    /// <summary>
    /// Remaining time at the pace of the steps this process ran: a resumed run's first step is its
    /// first measurement (its elapsed time counts from the resume, not from step 0 of the run).
    /// </summary>
    internal string Eta(StepMetrics m, long totalSteps)
    {
        _first ??= (m.Step - 1, TimeSpan.Zero);
        var done = m.Step - _first.Value.Step;
        var perStep = (m.Elapsed - _first.Value.Elapsed).TotalSeconds / Math.Max(done, 1);
        var remaining = TimeSpan.FromSeconds(Math.Max(0, perStep * (totalSteps - m.Step)));
        return remaining.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(long)remaining.TotalHours}:{remaining:mm\\:ss}")
            : remaining.ToString("mm\\:ss", CultureInfo.InvariantCulture);
    }

    public void Evaluated(ValidationMetrics m, bool best)
    {
        var terms = m.Terms.Count > 1 ? " (" + string.Join(", ", m.Terms.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Value:F4}"))) + ")" : "";
        var accuracy = m.Accuracy is { } a ? string.Create(CultureInfo.InvariantCulture, $", accuracy {a:P2}") : "";
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"step {m.Step}: validation loss {m.Loss:F4}{terms}{accuracy}{(best ? " (best, saved best/)" : "")}")));
    }

    public void Evaluated(long step, double validationLoss, bool best) =>
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"step {step}: validation loss {validationLoss:F4}{(best ? " (best, saved best/)" : "")}")));

    public void Message(string text) => console.MarkupLine(Markup.Escape(text));
}
