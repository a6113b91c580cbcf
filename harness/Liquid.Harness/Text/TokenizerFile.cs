using System.Text.Json;

namespace Liquid.Harness.Text;

/// <summary>Reads and writes <c>tokenizer.json</c>: <c>{"format": "liquid-tokenizer", "version": 1, "kind": …, …}</c>.</summary>
internal static class TokenizerFile
{
    public const string FileName = "tokenizer.json";
    public const string Format = "liquid-tokenizer";
    public const int Version = 1;

    public static void Write(string directory, string kind, Action<Utf8JsonWriter> body)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("format", Format);
        writer.WriteNumber("version", Version);
        writer.WriteString("kind", kind);
        body(writer);
        writer.WriteEndObject();
    }
}

/// <summary>Thrown inside loaders for a malformed tokenizer.json; <see cref="Tokenizers.Load"/> adds the file name.</summary>
internal sealed class TokenizerFormatException(string message) : Exception(message);
