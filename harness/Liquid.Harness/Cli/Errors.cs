using Liquid.Harness.Data;
using Liquid.Harness.Training;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;

namespace Liquid.Harness.Cli;

/// <summary>Turns exceptions into the one line a user sees.</summary>
internal static class Errors
{
    /// <summary>Failures a user can cause: their message is the whole story.</summary>
    public static bool IsExpected(Exception e) => e is ConfigException or DataException or CheckpointException or TrainingException or RunLockedException
        or TorchException or SafetensorsException or StateDictException or ShapeException or IOException or UnauthorizedAccessException
        or ArgumentException or FormatException or NotSupportedException;

    public static string Describe(Exception e) => e switch
    {
        _ when IsExpected(e) => e.Message.ReplaceLineEndings(" "),
        _ => $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}",
    };
}
