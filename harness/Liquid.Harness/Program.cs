using System.CommandLine;
using Liquid.Harness.Cli;

namespace Liquid.Harness;

/// <summary>
/// The <c>liquid</c> command line. Every failure a user can cause (bad arguments, missing files,
/// corrupt checkpoints, invalid configs, tensor errors) ends as one line on stderr and a non-zero
/// exit code; <c>--verbose</c> adds the stack trace.
/// </summary>
public static class Program
{
    /// <summary>Exit code of a run stopped by Ctrl-C (SIGINT) after saving its checkpoint: 128 + 2.</summary>
    public const int Interrupted = 130;

    /// <summary>Exit code of a run stopped by SIGTERM after saving its checkpoint: 128 + 15.</summary>
    public const int Terminated = 143;

    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        using var signals = new SignalHandling(Console.Error);
        var code = Run(args, Console.Out, Console.Error, signals.Token);
        return code == Interrupted && signals.Signal is not null ? signals.ExitCode : code;
    }

    /// <summary>Runs the command line with the given streams (the end-to-end tests call this).</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error: errors and notices.</param>
    /// <param name="cancellation">Stops a training run cleanly (checkpoint saved, exit code 130) when cancelled.</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        var verbose = args.Contains("--verbose");
        var root = Commands.Root(output, error);
        try
        {
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                error.WriteLine($"liquid: error: {ParseErrors.Describe(parsed)}");
                return 1;
            }
            // Signals are ours (SignalHandling), not System.CommandLine's: its handler would end the
            // process before training has saved.
            var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error, ProcessTerminationTimeout = null };
            return parsed.InvokeAsync(configuration, cancellation).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error.WriteLine($"liquid: error: {Errors.Describe(e)}");
            if (verbose) error.WriteLine(e);
            else if (!Errors.IsExpected(e)) error.WriteLine("liquid: (run again with --verbose for the stack trace)");
            return 1;
        }
    }
}
