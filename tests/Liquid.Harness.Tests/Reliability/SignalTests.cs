using System.Runtime.InteropServices;
using Liquid.Harness.Cli;
using Liquid.Harness.Tests.EndToEnd;
using Liquid.Harness.Training;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>
/// Ctrl-C and SIGTERM to a real <c>liquid train</c>: the run stops after the step it is in, latest/
/// holds exactly the steps metrics.jsonl logged, the exit code is 128 + the signal, and the output
/// says where the checkpoint is.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class SignalTests : RunFolder
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3); // the machine is shared: be generous

    [Theory]
    [InlineData("INT", 130, "Ctrl-C")]
    [InlineData("TERM", 143, "SIGTERM")]
    public void SignalSavesTheStepReached(string signal, int code, string name)
    {
        var run = Path.Combine(Folder, "run");
        // Far more steps than the test waits for, and no periodic checkpoint: only the signal saves.
        using var child = new LiquidProcess(Cache, Tiny(run, "--steps", "1000000", "--checkpoint-every", "1000000", "--eval-every", "1000000"));
        WaitForSteps(child, run, 5);
        child.Signal(signal);
        var exit = child.WaitForExit(Patience);

        Assert.True(code == exit, $"exit code {exit}\n{child.Output}\n{child.Error}");
        var (directory, info) = Checkpoint.ReadInfo(run);
        var logged = Losses(run).Max(l => l.Step);
        Assert.True(info.Step >= 5, $"checkpoint at step {info.Step}");
        Assert.Equal(logged, info.Step);
        Assert.Contains($"liquid: {name}: stopping after the current step and saving latest/", child.Error);
        Assert.Contains($"interrupted at step {info.Step}; saved {Path.Combine(run, "latest")} (continue with --resume {run})", Flat(child.Output));
        using var model = Checkpoint.LoadModel(directory, info);
        Assert.True(model.ParameterCount > 0);
    }

    [Fact]
    public void TheTokenGivenToProgramRunReachesTheTrainer()
    {
        var run = Path.Combine(Folder, "run");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var result = Liquid(cancelled.Token, Tiny(run, "--steps", "50"));
        Assert.Equal(Program.Interrupted, result.Code);
        Assert.Contains($"interrupted at step 0; saved {Path.Combine(run, "latest")}", Flat(result.Output));
        Assert.Equal(0, Checkpoint.ReadInfo(run).Info.Step);
    }

    [Fact]
    public void OnlyTheFirstSignalInsideAStopAcceptingCommandIsCaught()
    {
        var notices = new StringWriter();
        using var handling = new SignalHandling(notices);

        var outside = new PosixSignalContext(PosixSignal.SIGINT);
        handling.Handle(outside);
        Assert.False(outside.Cancel); // no command that stops cleanly: the default (exit now) applies
        Assert.False(handling.Token.IsCancellationRequested);

        using (SignalHandling.AcceptStop())
        {
            var first = new PosixSignalContext(PosixSignal.SIGTERM);
            handling.Handle(first);
            Assert.True(first.Cancel);
            Assert.True(handling.Token.IsCancellationRequested);
            Assert.Equal(PosixSignal.SIGTERM, handling.Signal);
            Assert.Equal(Program.Terminated, handling.ExitCode);

            var second = new PosixSignalContext(PosixSignal.SIGINT);
            handling.Handle(second);
            Assert.False(second.Cancel); // a second signal ends the process at once
        }
        Assert.Equal("liquid: SIGTERM: stopping after the current step and saving latest/ (press Ctrl-C again to quit at once without saving)", notices.ToString().Trim());
    }

    /// <summary>Waits until metrics.jsonl of <paramref name="run"/> has logged <paramref name="steps"/> steps.</summary>
    internal static void WaitForSteps(LiquidProcess child, string run, int steps)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var metrics = Path.Combine(run, "metrics.jsonl");
        while (clock.Elapsed < Patience)
        {
            Assert.False(child.HasExited, $"liquid ended early:\n{child.Output}\n{child.Error}");
            if (File.Exists(metrics))
            {
                try
                {
                    if (File.ReadLines(metrics).Count(l => l.Contains("\"train_loss\"", StringComparison.Ordinal)) >= steps) return;
                }
                catch (IOException)
                {
                    // Rewritten at this moment (resume): look again.
                }
            }
            Thread.Sleep(20);
        }
        Assert.Fail($"no {steps} steps within {Patience}:\n{child.Output}\n{child.Error}");
    }
}
