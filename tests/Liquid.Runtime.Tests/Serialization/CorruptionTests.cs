using System.Text;
using Liquid.Runtime.Serialization;

namespace Liquid.Runtime.Tests.Serialization;

/// <summary>One hand-made broken file per validation rule; each must fail with a message naming the file and tensor.</summary>
public sealed class CorruptionTests : IDisposable
{
    private static readonly byte[] SixteenBytes = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TheUncorruptedBaselineLoads()
    {
        string path = Save("baseline.safetensors", RawFile.Build(TwoTensors("[0,8]", "[8,16]"), SixteenBytes));

        IReadOnlyList<SafetensorsEntry> entries = Safetensors.Read(path, out _);

        Assert.Equal(["a", "b"], entries.Select(entry => entry.Name));
    }

    [Theory]
    [InlineData(100_000_001UL)]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 63)]
    public void HeaderLengthOverTheLimit(ulong declared)
    {
        byte[] bytes = RawFile.Build(TwoTensors("[0,8]", "[8,16]"), SixteenBytes, declaredHeaderLength: declared);

        var error = ReadExpectingError("huge-header.safetensors", bytes);

        Assert.Contains("exceeds the limit", error.Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFile()
    {
        string header = TwoTensors("[0,8]", "[8,16]");
        ulong declared = (ulong)(header.Length + SixteenBytes.Length + 1);

        var error = ReadExpectingError("long-header.safetensors", RawFile.Build(header, SixteenBytes, declared));

        Assert.Contains("runs past the end of the file", error.Message);
    }

    [Fact]
    public void FileTooShortForTheLengthPrefix()
    {
        var error = ReadExpectingError("stub.safetensors", [1, 2, 3]);

        Assert.Contains("too short", error.Message);
    }

    [Fact]
    public void TruncatedFile()
    {
        byte[] whole = RawFile.Build(TwoTensors("[0,8]", "[8,16]"), SixteenBytes);

        var error = ReadExpectingError("truncated.safetensors", whole[..^3], tensor: "b");

        Assert.Contains("run past the end of the data buffer (13 bytes)", error.Message);
    }

    [Fact]
    public void BadJson()
    {
        var error = ReadExpectingError("bad-json.safetensors", RawFile.Build("{\"a\":{\"dtype\":\"F32\",", SixteenBytes));

        Assert.Contains("not valid JSON", error.Message);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(error.InnerException);
    }

    [Fact]
    public void UnknownDType()
    {
        string header = """{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""";

        var error = ReadExpectingError("dtype.safetensors", RawFile.Build(header, new byte[2]), tensor: "a");

        Assert.Contains("unknown dtype 'F8_E4M3'", error.Message);
    }

    [Fact]
    public void NegativeDimension()
    {
        string header = """{"a":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,0]}}""";

        var error = ReadExpectingError("negative-dim.safetensors", RawFile.Build(header, []), tensor: "a");

        Assert.Contains("shape must be an array of non-negative integers, found -1 at index 1", error.Message);
    }

    [Fact]
    public void OffsetsOutOfRange()
    {
        var error = ReadExpectingError(
            "offsets.safetensors", RawFile.Build(TwoTensors("[0,8]", "[8,24]"), SixteenBytes), tensor: "b");

        Assert.Contains("data_offsets [8, 24] run past the end of the data buffer (16 bytes)", error.Message);
    }

    [Fact]
    public void OffsetsEndingBeforeTheyBegin()
    {
        var error = ReadExpectingError(
            "reversed.safetensors", RawFile.Build(TwoTensors("[0,8]", "[16,8]"), SixteenBytes), tensor: "b");

        Assert.Contains("end before they begin", error.Message);
    }

    [Fact]
    public void OverlappingTensors()
    {
        // Each tensor alone is well-formed; together they share bytes [4, 8) and leave [12, 16) unused.
        var error = ReadExpectingError(
            "overlap.safetensors", RawFile.Build(TwoTensors("[0,8]", "[4,12]"), SixteenBytes), tensor: "b");

        Assert.Contains("overlap tensor 'a' at [0, 8]", error.Message);
    }

    [Fact]
    public void GapBetweenTensors()
    {
        byte[] bytes = RawFile.Build(TwoTensors("[0,8]", "[12,20]"), new byte[20]);

        var error = ReadExpectingError("gap.safetensors", bytes, tensor: "b");

        Assert.Contains("bytes [8, 12) of the data buffer before this tensor belong to no tensor", error.Message);
    }

    [Fact]
    public void GapAtTheStartAndTrailingBytes()
    {
        var atStart = ReadExpectingError(
            "gap-start.safetensors", RawFile.Build(TwoTensors("[4,12]", "[12,20]"), new byte[20]), tensor: "a");
        var trailing = ReadExpectingError(
            "trailing.safetensors", RawFile.Build(TwoTensors("[0,8]", "[8,16]"), new byte[17]));

        Assert.Contains("bytes [0, 4)", atStart.Message);
        Assert.Contains("bytes [16, 17) at the end of the data buffer belong to no tensor", trailing.Message);
    }

    [Fact]
    public void LengthMismatchNamesFileTensorAndBothSizes()
    {
        string header = """{"h.0.attn.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}""";

        var error = Assert.Throws<SafetensorsException>(
            () => Safetensors.Read(RawFile.Build(header, new byte[12]), "model.safetensors", out _));

        Assert.Equal(
            "model.safetensors: tensor 'h.0.attn.weight': data_offsets [0, 12] hold 12 bytes but F32[2, 2] needs 16",
            error.Message);
        Assert.Equal("model.safetensors", error.SourceName);
        Assert.Equal("h.0.attn.weight", error.TensorName);
    }

    [Fact]
    public void DuplicateName()
    {
        string header = """{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""";

        var error = ReadExpectingError("duplicate.safetensors", RawFile.Build(header, new byte[2]), tensor: "a");

        Assert.Contains("appears more than once", error.Message);
    }

    [Fact]
    public void NonStringMetadata()
    {
        string header = """{"__metadata__":{"producer":"x","epoch":3},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""";

        var error = ReadExpectingError("metadata.safetensors", RawFile.Build(header, new byte[1]));

        Assert.Contains("__metadata__ value for key 'epoch' must be a string, found a number", error.Message);
    }

    [Theory]
    [InlineData("""[1,2]""", null, "the header must be a JSON object, found an array")]
    [InlineData("""{"__metadata__":["x"]}""", null, "__metadata__ must be an object of string values")]
    [InlineData("""{"__metadata__":{},"__metadata__":{}}""", null, "__metadata__ appears more than once")]
    [InlineData("""{"__metadata__":{"k":"a","k":"b"}}""", null, "__metadata__ key 'k' appears more than once")]
    [InlineData("""{"a":[0]}""", "a", "expected an object with dtype, shape and data_offsets, found an array")]
    [InlineData("""{"a":{"shape":[],"data_offsets":[0,0]}}""", "a", "'dtype' is missing")]
    [InlineData("""{"a":{"dtype":"U8","data_offsets":[0,0]}}""", "a", "'shape' is missing")]
    [InlineData("""{"a":{"dtype":"U8","shape":[0]}}""", "a", "'data_offsets' is missing")]
    [InlineData("""{"a":{"dtype":"U8","dtype":"U8","shape":[0],"data_offsets":[0,0]}}""", "a", "'dtype' appears more than once")]
    [InlineData("""{"a":{"dtype":8,"shape":[0],"data_offsets":[0,0]}}""", "a", "dtype must be a string, found a number")]
    [InlineData("""{"a":{"dtype":"f32","shape":[0],"data_offsets":[0,0]}}""", "a", "unknown dtype 'f32'")]
    [InlineData("""{"a":{"dtype":"U8","shape":[2.5],"data_offsets":[0,0]}}""", "a", "found 2.5 at index 0")]
    [InlineData("""{"a":{"dtype":"U8","shape":["2"],"data_offsets":[0,0]}}""", "a", "found \"2\" at index 0")]
    [InlineData("""{"a":{"dtype":"U8","shape":{},"data_offsets":[0,0]}}""", "a", "shape must be an array")]
    [InlineData("""{"a":{"dtype":"U8","shape":[0],"data_offsets":[0]}}""", "a", "found 1 elements")]
    [InlineData("""{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0,0]}}""", "a", "found 3 elements")]
    [InlineData("""{"a":{"dtype":"U8","shape":[0],"data_offsets":[-1,0]}}""", "a", "found -1 at index 0")]
    [InlineData("""{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,99999999999999999999]}}""", "a", "at index 1")]
    [InlineData("""{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,0]}}""", "a", "has more than 9223372036854775807 bytes")]
    [InlineData("""{"bad\ud800":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}""", null, "not valid Unicode")]
    [InlineData("", null, "not valid JSON")]
    [InlineData("{} {}", null, "not valid JSON")]
    public void MalformedHeaders(string header, string? tensor, string expectedFragment)
    {
        var error = ReadExpectingError("header.safetensors", RawFile.Build(header, []), tensor);

        Assert.Contains(expectedFragment, error.Message);
    }

    [Fact]
    public void HeaderThatIsNotUtf8()
    {
        byte[] header = [.. "{\"a"u8, 0xFF, .. "\":{}}"u8];

        var error = ReadExpectingError("latin1.safetensors", RawFile.Build(header, []));

        Assert.Contains("not valid UTF-8", error.Message);
    }

    [Fact]
    public void UnknownTensorFieldsAreIgnoredAndZeroSizeTensorsMayShareAnOffset()
    {
        string header = """{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"extra":true},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"c":{"dtype":"I64","shape":[0,3],"data_offsets":[1,1]},"d":{"dtype":"F16","shape":[],"data_offsets":[1,3]},"e":{"dtype":"BOOL","shape":[0],"data_offsets":[3,3]}}   """;

        IReadOnlyList<SafetensorsEntry> entries = Safetensors.Read(RawFile.Build(header, new byte[3]), "ok", out var metadata);

        Assert.Equal(["a", "b", "c", "d", "e"], entries.Select(entry => entry.Name));
        Assert.Empty(metadata);
    }

    [Fact]
    public void NullMetadataMeansNone()
    {
        Safetensors.Read(RawFile.Build("""{"__metadata__":null}""", []), "null-metadata", out var metadata);

        Assert.Empty(metadata);
    }

    [Fact]
    public void MissingFile()
    {
        string path = _temp.File("absent.safetensors");

        var error = Assert.Throws<SafetensorsException>(() => Safetensors.Read(path, out _));

        Assert.StartsWith(path + ": cannot read the file", error.Message);
        Assert.IsType<FileNotFoundException>(error.InnerException);
    }

    private static string TwoTensors(string offsetsA, string offsetsB) =>
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + offsetsA + "}," +
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + offsetsB + "}}";

    private string Save(string fileName, byte[] bytes)
    {
        string path = _temp.File(fileName);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Reads the bytes from a file (the path overload) and checks the error names file and tensor.</summary>
    private SafetensorsException ReadExpectingError(string fileName, byte[] bytes, string? tensor = null)
    {
        string path = Save(fileName, bytes);

        var error = Assert.Throws<SafetensorsException>(() => Safetensors.Read(path, out _));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Equal(path, error.SourceName);
        Assert.Equal(tensor, error.TensorName);
        if (tensor is not null)
        {
            Assert.Contains($"tensor '{tensor}': ", error.Message);
        }

        // The in-memory overload must agree with the file overload.
        var fromMemory = Assert.Throws<SafetensorsException>(() => Safetensors.Read(bytes, fileName, out _));
        Assert.Equal(error.Message[(path.Length + 2)..], fromMemory.Message[(fileName.Length + 2)..]);
        return error;
    }
}
