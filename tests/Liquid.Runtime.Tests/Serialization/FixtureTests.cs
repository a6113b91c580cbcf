using System.Buffers.Binary;
using System.Text.Json;
using Liquid.Runtime.Serialization;

namespace Liquid.Runtime.Tests.Serialization;

/// <summary>
/// Reads the file written by tests/reference/make_safetensors_fixture.py and checks every value against
/// the JSON description written beside it. Values are decoded here, independently of the reader.
/// </summary>
public sealed class FixtureTests : IDisposable
{
    private static readonly string FixturePath =
        RepoPaths.Combine("tests", "reference", "data", "safetensors_fixture.safetensors");

    private static readonly string DescriptionPath =
        RepoPaths.Combine("tests", "reference", "data", "safetensors_fixture.json");

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void PythonFixtureMatchesItsDescription()
    {
        using JsonDocument description = JsonDocument.Parse(File.ReadAllBytes(DescriptionPath));
        JsonElement expectedTensors = description.RootElement.GetProperty("tensors");

        IReadOnlyList<SafetensorsEntry> entries = Safetensors.Read(FixturePath, out var metadata);

        Assert.Equal(
            description.RootElement.GetProperty("metadata").EnumerateObject()
                .ToDictionary(property => property.Name, property => property.Value.GetString()!),
            metadata);
        Assert.Equal(
            expectedTensors.EnumerateArray().Select(tensor => tensor.GetProperty("name").GetString()),
            entries.Select(entry => entry.Name));

        foreach ((SafetensorsEntry entry, JsonElement expected) in entries.Zip(expectedTensors.EnumerateArray()))
        {
            Assert.Equal(expected.GetProperty("dtype").GetString(), entry.DType);
            Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(dim => dim.GetInt64()), entry.Shape);

            JsonElement[] values = expected.GetProperty("values").EnumerateArray().ToArray();
            int elementSize = ElementSize(entry.DType);
            Assert.Equal(values.Length * elementSize, entry.Data.Length);
            for (int i = 0; i < values.Length; i++)
            {
                ReadOnlySpan<byte> element = entry.Data.Span.Slice(i * elementSize, elementSize);
                AssertElement(entry.Name, i, entry.DType, element, values[i]);
            }
        }
    }

    [Fact]
    public void FixtureCoversTheRequiredCases()
    {
        IReadOnlyList<SafetensorsEntry> entries = Safetensors.Read(FixturePath, out var metadata);

        Assert.Equal("pytorch-reference", metadata["producer"]);
        Assert.Subset(
            entries.Select(entry => entry.DType).ToHashSet(),
            new HashSet<string> { "F32", "F64", "I64", "BF16", "BOOL", "U8" });
        Assert.Contains(entries, entry => entry.Shape.Length == 0);
        Assert.Contains(entries, entry => entry.Shape.Contains(0) && entry.Data.IsEmpty);
    }

    [Fact]
    public void CSharpWriterReproducesThePythonFileByteForByte()
    {
        // Both writers emit compact JSON with metadata first and tensors in the given order,
        // so re-writing what was read (already in sorted-name order) must give the same bytes.
        IReadOnlyList<SafetensorsEntry> entries = Safetensors.Read(FixturePath, out var metadata);
        string rewritten = _temp.File("rewritten.safetensors");

        Safetensors.Write(rewritten, entries, metadata);

        Assert.Equal(File.ReadAllBytes(FixturePath), File.ReadAllBytes(rewritten));
    }

    private static int ElementSize(string dtype) =>
        Safetensors.TryGetElementSize(dtype, out int size) ? size : throw new InvalidOperationException(dtype);

    private static void AssertElement(string name, int index, string dtype, ReadOnlySpan<byte> bytes, JsonElement expected)
    {
        string where = $"{name}[{index}]";
        switch (dtype)
        {
            case "F64" or "F32" or "F16" or "BF16":
                double actual = dtype switch
                {
                    "F64" => BinaryPrimitives.ReadDoubleLittleEndian(bytes),
                    "F32" => BinaryPrimitives.ReadSingleLittleEndian(bytes),
                    "F16" => (double)BinaryPrimitives.ReadHalfLittleEndian(bytes),
                    // BF16 is the upper half of a float32's bits.
                    _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes) << 16),
                };
                // Bit patterns, so that -0.0 and 0.0 are told apart.
                Assert.True(
                    BitConverter.DoubleToInt64Bits(expected.GetDouble()) == BitConverter.DoubleToInt64Bits(actual),
                    $"{where}: expected {expected.GetDouble():R}, read {actual:R}");
                break;

            case "BOOL":
                Assert.True(bytes[0] <= 1, $"{where}: BOOL byte {bytes[0]} is neither 0 nor 1");
                Assert.Equal(expected.GetBoolean(), bytes[0] == 1);
                break;

            default:
                long integer = dtype switch
                {
                    "I64" => BinaryPrimitives.ReadInt64LittleEndian(bytes),
                    "I32" => BinaryPrimitives.ReadInt32LittleEndian(bytes),
                    "I16" => BinaryPrimitives.ReadInt16LittleEndian(bytes),
                    "I8" => (sbyte)bytes[0],
                    "U8" => bytes[0],
                    _ => throw new InvalidOperationException($"{where}: unexpected dtype {dtype}"),
                };
                Assert.True(expected.GetInt64() == integer, $"{where}: expected {expected.GetInt64()}, read {integer}");
                break;
        }
    }
}
