using Liquid.Runtime.Serialization;

namespace Liquid.Runtime.Tests.Serialization;

public sealed class RoundTripTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void WriteThenReadGivesTheSameEntriesAndMetadata()
    {
        List<SafetensorsEntry> entries = SampleEntries.Create();
        string path = _temp.File("round-trip.safetensors");

        Safetensors.Write(path, entries, SampleEntries.Metadata);
        IReadOnlyList<SafetensorsEntry> read = Safetensors.Read(path, out var metadata);

        AssertSameEntries(entries, read);
        Assert.Equal(SampleEntries.Metadata.OrderBy(pair => pair.Key), metadata.OrderBy(pair => pair.Key));
    }

    [Fact]
    public void ReadingFromMemoryMatchesReadingTheFile()
    {
        string path = _temp.File("memory.safetensors");
        Safetensors.Write(path, SampleEntries.Create(), SampleEntries.Metadata);
        byte[] bytes = File.ReadAllBytes(path);

        IReadOnlyList<SafetensorsEntry> fromMemory = Safetensors.Read(bytes, "memory", out var metadata);

        AssertSameEntries(Safetensors.Read(path, out _), fromMemory);
        Assert.Equal(SampleEntries.Metadata.Count, metadata.Count);
    }

    [Fact]
    public void WithoutMetadataTheFileHasNoneAndReadsAnEmptyMap()
    {
        string path = _temp.File("no-metadata.safetensors");

        Safetensors.Write(path, SampleEntries.Create());
        Safetensors.Read(path, out var metadata);

        Assert.Empty(metadata);
        Assert.DoesNotContain("__metadata__", RawFile.HeaderText(File.ReadAllBytes(path)));
    }

    [Fact]
    public void AFileWithNoTensorsRoundTrips()
    {
        string path = _temp.File("empty.safetensors");

        Safetensors.Write(path, [], new Dictionary<string, string> { ["k"] = "v" });
        IReadOnlyList<SafetensorsEntry> read = Safetensors.Read(path, out var metadata);

        Assert.Empty(read);
        Assert.Equal("v", metadata["k"]);
    }

    [Fact]
    public void WritingTheSameEntriesTwiceGivesIdenticalBytes()
    {
        string first = _temp.File("first.safetensors");
        string second = _temp.File("second.safetensors");

        Safetensors.Write(first, SampleEntries.Create(), SampleEntries.Metadata);
        // A fresh dictionary with a different insertion order must not change the output.
        Safetensors.Write(second, SampleEntries.Create(), SampleEntries.Metadata.Reverse().ToDictionary());

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public void HeaderIsPaddedWithSpacesToAMultipleOfEight()
    {
        for (int count = 0; count <= 8; count++)
        {
            // Names of growing length move the unpadded header end through every residue mod 8.
            string path = _temp.File($"aligned-{count}.safetensors");
            Safetensors.Write(path, [new SafetensorsEntry(new string('x', count + 1), "U8", [1], new byte[] { 42 })]);
            byte[] bytes = File.ReadAllBytes(path);

            ulong headerLength = RawFile.HeaderLength(bytes);
            Assert.Equal(0UL, headerLength % 8);
            string header = RawFile.HeaderText(bytes);
            Assert.EndsWith("}", header.TrimEnd(' '));
            Assert.True(header.Length - header.TrimEnd(' ').Length < 8, "more padding than alignment needs");
            Assert.Equal(42, bytes[8 + (int)headerLength]);
        }
    }

    [Fact]
    public void DataIsContiguousInTheGivenOrder()
    {
        List<SafetensorsEntry> entries = SampleEntries.Create();
        string path = _temp.File("layout.safetensors");

        Safetensors.Write(path, entries);
        byte[] data = RawFile.Data(File.ReadAllBytes(path));

        Assert.Equal(entries.SelectMany(entry => entry.Data.ToArray()), data);
        Assert.Equal(entries.Select(entry => entry.Name), Safetensors.Read(path, out _).Select(entry => entry.Name));
    }

    [Fact]
    public void OverwritingReplacesTheFileAndLeavesNoTemporaryFiles()
    {
        string path = _temp.File("model.safetensors");
        Safetensors.Write(path, SampleEntries.Create(seed: 1));

        Safetensors.Write(path, SampleEntries.Create(seed: 2));

        AssertSameEntries(SampleEntries.Create(seed: 2), Safetensors.Read(path, out _));
        Assert.Equal([path], Directory.GetFiles(_temp.FullName));
    }

    [Fact]
    public void InvalidEntriesAreRejectedBeforeTheFileIsTouched()
    {
        string path = _temp.File("keep.safetensors");
        Safetensors.Write(path, SampleEntries.Create());
        byte[] before = File.ReadAllBytes(path);

        SafetensorsEntry[][] invalid =
        [
            [new("short", "F32", [2, 2], new byte[12])],
            [new("twice", "U8", [1], new byte[1]), new("twice", "U8", [1], new byte[1])],
            [new("__metadata__", "U8", [1], new byte[1])],
            [new("odd", "F8", [1], new byte[1])],
            [new("negative", "U8", [-1], Array.Empty<byte>())],
            [new("huge", "F64", [long.MaxValue, 2], Array.Empty<byte>())],
            [new("broken\ud800name", "U8", [1], new byte[1])],
        ];
        foreach (SafetensorsEntry[] entries in invalid)
        {
            var error = Assert.Throws<SafetensorsException>(() => Safetensors.Write(path, entries));
            Assert.Contains("keep.safetensors", error.Message);
        }

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_temp.FullName));
    }

    [Fact]
    public void WriteErrorNamesTheTensor()
    {
        var error = Assert.Throws<SafetensorsException>(() => Safetensors.Write(
            _temp.File("model.safetensors"), [new SafetensorsEntry("h.0.attn.weight", "F32", [2, 2], new byte[12])]));

        Assert.Equal("h.0.attn.weight", error.TensorName);
        Assert.EndsWith(
            "model.safetensors: tensor 'h.0.attn.weight': the data has 12 bytes but F32[2, 2] needs 16", error.Message);
    }

    [Fact]
    public void WritingIntoAMissingDirectoryThrowsSafetensorsException()
    {
        string path = Path.Combine(_temp.FullName, "no-such-dir", "model.safetensors");

        var error = Assert.Throws<SafetensorsException>(() => Safetensors.Write(path, SampleEntries.Create()));

        Assert.Contains("model.safetensors", error.Message);
        Assert.IsAssignableFrom<IOException>(error.InnerException);
    }

    internal static void AssertSameEntries(IReadOnlyList<SafetensorsEntry> expected, IReadOnlyList<SafetensorsEntry> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Name, actual[i].Name);
            Assert.Equal(expected[i].DType, actual[i].DType);
            Assert.Equal(expected[i].Shape, actual[i].Shape);
            Assert.True(
                expected[i].Data.Span.SequenceEqual(actual[i].Data.Span),
                $"data of '{expected[i].Name}' differs");
        }
    }
}
