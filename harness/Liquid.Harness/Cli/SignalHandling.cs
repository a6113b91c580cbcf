using System.Runtime.InteropServices;

namespace Liquid.Harness.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM for the <c>liquid</c> process. While a command that can stop cleanly
/// is running (<c>train</c>, inside <see cref="AcceptStop"/>), the first signal cancels
/// <see cref="Token"/> instead of killing the process: training finishes or abandons its current
/// step, saves latest/ and exits 130 (143 for SIGTERM). A second signal takes the default path and
/// ends the process at once. Other commands keep the default behaviour (exit at once).
/// </summary>
public sealed class SignalHandling : IDisposable
{
    private static int s_accepting;

    private readonly CancellationTokenSource _stop = new();
    private readonly TextWriter _error;
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;

    /// <summary>Registers the handlers; <paramref name="error"/> gets the one-line notice of the first signal.</summary>
    public SignalHandling(TextWriter error)
    {
        _error = error;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    /// <summary>Cancelled by the first signal received while a command accepts a clean stop.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>The signal that cancelled <see cref="Token"/>, if any.</summary>
    public PosixSignal? Signal { get; private set; }

    /// <summary>The exit code of a run stopped by <see cref="Signal"/>: 128 + the signal number, as a shell reports it.</summary>
    public int ExitCode => Signal == PosixSignal.SIGTERM ? Program.Terminated : Program.Interrupted;

    /// <summary>
    /// Marks a stretch of work that honours <see cref="Token"/> (the train loop); outside of it a
    /// signal ends the process at once, as it did before any handler was registered.
    /// </summary>
    public static IDisposable AcceptStop()
    {
        Interlocked.Increment(ref s_accepting);
        return new Scope();
    }

    /// <summary>Decides what one signal does (public so tests can drive it with a context of their own).</summary>
    public void Handle(PosixSignalContext context)
    {
        if (Volatile.Read(ref s_accepting) == 0 || Interlocked.Increment(ref _received) > 1)
        {
            context.Cancel = false; // default handling: the process ends now
            return;
        }
        context.Cancel = true;
        Signal = context.Signal;
        var name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "Ctrl-C";
        _error.WriteLine($"liquid: {name}: stopping after the current step and saving latest/ (press Ctrl-C again to quit at once without saving)");
        _stop.Cancel();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _stop.Dispose();
    }

    private sealed class Scope : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref s_accepting);
        }
    }
}
