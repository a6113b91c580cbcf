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
    /// <summary>Exit code of a run stopped by Ctrl-C after saving its checkpoint.</summary>
    public const int Interrupted = 130;

    /// <summary>Entry point.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the command line with the given streams (the end-to-end tests call this).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        var verbose = args.Contains("--verbose");
        var root = Commands.Root(output);
        try
        {
            var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error };
            return root.Parse(args).InvokeAsync(configuration, cancellation).GetAwaiter().GetResult();
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
