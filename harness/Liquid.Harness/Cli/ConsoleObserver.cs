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

    /// <summary>Runs <paramref name="body"/> under the live display when the console is interactive.</summary>
    public TrainResult Run(Func<TrainResult> body)
    {
        if (!console.Profile.Capabilities.Interactive) return body();
        TrainResult? result = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
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
        var text = string.Create(CultureInfo.InvariantCulture,
            $"step {m.Step}/{totalSteps}  loss {_smoothedLoss:F4}  lr {m.LearningRate:G3}  {m.TokensPerSecond:N0} tok/s");
        if (_task is not null)
        {
            _task.MaxValue = totalSteps;
            _task.Value = m.Step;
            _task.Description = Markup.Escape(text);
            return;
        }
        if (DateTime.UtcNow - _lastLine < TimeSpan.FromSeconds(5) && m.Step != totalSteps && m.Step != 1) return;
        _lastLine = DateTime.UtcNow;
        var remaining = m.Step > 0 ? TimeSpan.FromSeconds(m.Elapsed.TotalSeconds / m.Step * (totalSteps - m.Step)) : TimeSpan.Zero;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{text}  eta {remaining:mm\\:ss}"));
    }

    public void Evaluated(long step, double validationLoss, bool best) =>
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"step {step}: validation loss {validationLoss:F4}{(best ? " (best, saved best/)" : "")}")));

    public void Message(string text) => console.MarkupLine(Markup.Escape(text));
}
