using System.Buffers.Binary;
using System.IO.Compression;
using Liquid.Harness.Data;

namespace Liquid.Harness.Tests.Data;

/// <summary>
/// The IDX reader and the Fashion-MNIST layout on small synthetic files: gzipped and plain files
/// read back exactly; every kind of corruption is one <see cref="DataException"/> naming the file.
/// </summary>
public sealed class IdxFileTests : DataFolderTest
{
    private static byte[] Idx(byte type, int[] dimensions, byte[] data)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dimensions.Length;
        for (var d = 0; d < dimensions.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dimensions[d]);
        data.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest)) gzip.Write(bytes);
        return memory.ToArray();
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        var path = Path.Combine(Folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Pixels(int images, int seed) => Enumerable.Range(0, images * 784).Select(i => (byte)((i * 31 + seed * 7) % 256)).ToArray();

    /// <summary>A Fashion-MNIST folder with 3 training images (plain files) and 2 test images (gzipped).</summary>
    private string WriteSmallSet(string folder = "fm")
    {
        WriteBytes($"{folder}/train-images-idx3-ubyte", Idx(8, [3, 28, 28], Pixels(3, 1)));
        WriteBytes($"{folder}/train-labels-idx1-ubyte", Idx(8, [3], [9, 0, 4]));
        WriteBytes($"{folder}/t10k-images-idx3-ubyte.gz", Gzip(Idx(8, [2, 28, 28], Pixels(2, 2))));
        WriteBytes($"{folder}/t10k-labels-idx1-ubyte.gz", Gzip(Idx(8, [2], [1, 2])));
        return Path.Combine(Folder, folder);
    }

    private static (long[] Shape, Array Values) Field(List<(Split? Split, ExampleTable Table)> parts, Split split, string name) =>
        parts.Single(p => p.Split == split).Table.Fields[name];

    [Fact]
    public void PlainAndGzippedFilesReadBackScaled()
    {
        var parts = FashionMnist.Read(WriteSmallSet(), FashionMnistFixture.Fields);

        var (shape, values) = Field(parts, Split.Train, "image");
        Assert.Equal([28L, 28L], shape);
        Assert.Equal(Pixels(3, 1).Select(p => p / 255f), (float[])values);
        Assert.Equal([9L, 0L, 4L], (long[])Field(parts, Split.Train, "label").Values);
        Assert.Equal(Pixels(2, 2).Select(p => p / 255f), (float[])Field(parts, Split.Test, "image").Values);
        Assert.Equal([1L, 2L], (long[])Field(parts, Split.Test, "label").Values);
    }

    [Fact]
    public void ImageMayBeAskedForInAnotherShapeOf784Pixels()
    {
        var folder = WriteSmallSet();
        var flat = FashionMnist.Read(folder, [FieldSpec.Of("image", FieldType.Float32, 784)]);
        Assert.Equal([784L], Field(flat, Split.Train, "image").Shape);
        Assert.Equal(Pixels(3, 1).Select(p => p / 255f), (float[])Field(flat, Split.Train, "image").Values);
        Assert.Equal([1L, 28L, 28L], Field(FashionMnist.Read(folder, [FieldSpec.Of("image", FieldType.Float32, 1, 28, 28)]), Split.Test, "image").Shape);
        Assert.Equal([28L, 28L], Field(FashionMnist.Read(folder, [new FieldSpec("image", FieldType.Float32, [null, 28])]), Split.Test, "image").Shape);
    }

    [Fact]
    public void FieldsTheDataSetDoesNotOfferAreErrors()
    {
        var folder = WriteSmallSet();
        AssertDataError(() => FashionMnist.Read(folder, [FieldSpec.Scalar("target", FieldType.Int64)]), "no field 'target'", "image: float[28, 28], label: long[]");
        AssertDataError(() => FashionMnist.Read(folder, [FieldSpec.Scalar("label", FieldType.Float32)]), "'label'", "label: float[]");
        AssertDataError(() => FashionMnist.Read(folder, [FieldSpec.Of("label", FieldType.Int64, 1)]), "scalar");
        AssertDataError(() => FashionMnist.Read(folder, [FieldSpec.Of("image", FieldType.Float32, 28, 27)]), "image: float[28, 27]");
    }

    [Fact]
    public void CorruptFilesAreOneClearErrorNamingTheFile()
    {
        var good = Idx(8, [2, 28, 28], Pixels(2, 0));
        var zipped = Gzip(good);
        var cases = new (string Name, byte[] Bytes, string Problem)[]
        {
            ("magic", [1, 2, .. good[2..]], "magic number 0x0102"),
            ("type", [0, 0, 0x0D, 3, .. good[4..]], "element type 0x0D"),
            ("rank", Idx(8, [2, 784], Pixels(2, 0)), "2 dimension(s), expected 3"),
            ("truncated", good[..^10], "truncated"),
            ("long", [.. good, 0], "beyond"),
            ("zero", Idx(8, [0, 28, 28], []), "must be positive"),
            ("tiny", [0, 0], "too short"),
            ("header", good[..9], "ends inside its header"),
            ("gzip", [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0x12], "gzip stream is corrupt"),
            ("gzip-truncated", zipped[..(zipped.Length / 2)], ""),
        };
        foreach (var (name, bytes, problem) in cases)
        {
            var path = WriteBytes($"{name}/image.idx", bytes);
            AssertDataError(() => IdxFile.Read(path, rank: 3), path, problem);
        }
    }

    [Fact]
    public void InconsistentFilesAreErrors()
    {
        var folder = WriteSmallSet("labels");
        WriteBytes("labels/train-labels-idx1-ubyte", Idx(8, [3], [9, 10, 4]));
        AssertDataError(() => FashionMnist.Read(folder, FashionMnistFixture.Fields), "train-labels-idx1-ubyte", "label 1 is 10");

        folder = WriteSmallSet("count");
        WriteBytes("count/train-labels-idx1-ubyte", Idx(8, [2], [9, 0]));
        AssertDataError(() => FashionMnist.Read(folder, FashionMnistFixture.Fields), "train-images-idx3-ubyte", "3 images", "2 labels");

        folder = WriteSmallSet("size");
        WriteBytes("size/t10k-images-idx3-ubyte.gz", Gzip(Idx(8, [2, 27, 28], new byte[2 * 27 * 28])));
        AssertDataError(() => FashionMnist.Read(folder, FashionMnistFixture.Fields), "t10k-images-idx3-ubyte.gz", "27 × 28");

        folder = WriteSmallSet("missing");
        File.Delete(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"));
        AssertDataError(() => FashionMnist.Read(folder, FashionMnistFixture.Fields), "t10k-labels-idx1-ubyte", "missing", "apt-get install --reinstall -y dataset-fashion-mnist");
    }
}
