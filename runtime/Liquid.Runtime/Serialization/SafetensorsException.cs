namespace Liquid.Runtime.Serialization;

/// <summary>
/// A safetensors file (or a set of entries about to be written as one) breaks the format.
/// It is the only exception <see cref="Safetensors"/> throws for bad input or failed file I/O,
/// so callers can catch one type; the message always starts with the file's name.
/// </summary>
public sealed class SafetensorsException : Exception
{
    /// <summary>Creates the exception with a message of the form <c>source: tensor 'name': detail</c>.</summary>
    /// <param name="sourceName">The file path, or the name the caller gave an in-memory buffer.</param>
    /// <param name="tensorName">The tensor the problem concerns, or <see langword="null"/> for whole-file problems.</param>
    /// <param name="detail">What is wrong, phrased for a person reading a log.</param>
    /// <param name="innerException">The lower-level failure (JSON, I/O) this one wraps, if any.</param>
    public SafetensorsException(string sourceName, string? tensorName, string detail, Exception? innerException = null)
        : base(FormatMessage(sourceName, tensorName, detail), innerException)
    {
        SourceName = sourceName;
        TensorName = tensorName;
    }

    /// <summary>The file path, or the name given to an in-memory buffer.</summary>
    public string SourceName { get; }

    /// <summary>The tensor the problem concerns, or <see langword="null"/> when it concerns the whole file.</summary>
    public string? TensorName { get; }

    private static string FormatMessage(string sourceName, string? tensorName, string detail) =>
        tensorName is null ? $"{sourceName}: {detail}" : $"{sourceName}: tensor '{tensorName}': {detail}";
}
