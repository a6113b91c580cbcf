using System.Security.Cryptography;
using System.Text.Json;
using Liquid.Harness.Data;

namespace Liquid.Harness.Tests.Data;

/// <summary><c>builtin:fashion-mnist</c>, read once for the tests of this class.</summary>
public sealed class FashionMnistFixture
{
    public static readonly FieldSpec[] Fields = [FieldSpec.Of("image", FieldType.Float32, 28, 28), FieldSpec.Scalar("label", FieldType.Int64)];

    public ExampleSet Set { get; } = ExampleSet.Load("builtin:fashion-mnist", Fields);

    /// <summary>tests/reference/data/fashion_mnist.json, written by tests/reference/make_fashion_mnist.py from the same files.</summary>
    public JsonElement Reference { get; } = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(Liquid.Tests.RepositoryRoot.Path, "tests", "reference", "data", "fashion_mnist.json"))).RootElement;
}

/// <summary>
/// The built-in Fashion-MNIST against an independent read of the same Debian files by numpy
/// (per-image checksums, pixel sums, row sums, chosen pixel values, label counts), and the split
/// sizes the data set documents: 60,000 training and 10,000 test images, 6,000 and 1,000 per class.
/// </summary>
public sealed class FashionMnistTests(FashionMnistFixture data) : IClassFixture<FashionMnistFixture>
{
    private const int TrainImages = 60_000;

    [Fact]
    public void SplitsArePackageTrainWithCarvedValidationAndPackageTest()
    {
        var set = data.Set;
        Assert.Equal(70_000, set.Count);
        Assert.Equal(3_000, set.Validation.Count);   // 5 % of 60,000
        Assert.Equal(57_000, set.Train.Count);
        Assert.Equal(10_000, set.Test.Count);
        Assert.All(set.Train.Indices.ToArray(), i => Assert.InRange(i, 0, TrainImages - 1));
        Assert.All(set.Validation.Indices.ToArray(), i => Assert.InRange(i, 0, TrainImages - 1));
        Assert.Empty(set.Train.Indices.ToArray().Intersect(set.Validation.Indices.ToArray()));
        Assert.Equal(Enumerable.Range(TrainImages, 10_000), set.Test.Indices.ToArray());
        Assert.Equal([28L, 28L], set["image"].Shape);
        Assert.Empty(set["label"].Shape);
        Assert.Contains(set.Notes, n => n.Contains("no validation split", StringComparison.Ordinal));
    }

    [Fact]
    public void LabelHistogramsAre6000PerClassInTrainAnd1000InTest()
    {
        var labels = (long[])data.Set["label"].Values;
        var train = new long[10];
        var test = new long[10];
        for (var i = 0; i < labels.Length; i++) (i < TrainImages ? train : test)[labels[i]]++;
        Assert.Equal(Enumerable.Repeat(6000L, 10), train);
        Assert.Equal(Enumerable.Repeat(1000L, 10), test);
        Assert.Equal(data.Reference.GetProperty("train").GetProperty("label_counts").EnumerateArray().Select(e => e.GetInt64()), train);
        Assert.Equal(data.Reference.GetProperty("test").GetProperty("label_counts").EnumerateArray().Select(e => e.GetInt64()), test);
    }

    [Theory]
    [InlineData("train", 0)]
    [InlineData("test", TrainImages)]
    public void ImagesAndLabelsMatchTheIndependentRead(string split, int offset)
    {
        var reference = data.Reference.GetProperty(split);
        var image = data.Set["image"];
        var labels = (long[])data.Set["label"].Values;

        // Every pixel of the split, back on the 0 … 255 scale.
        long total = 0;
        var count = reference.GetProperty("count").GetInt32();
        for (var i = 0; i < count; i++)
            foreach (var pixel in image.Example<float>(offset + i)) total += Byte(pixel);
        Assert.Equal(reference.GetProperty("pixel_sum").GetInt64(), total);

        foreach (var expected in reference.GetProperty("images").EnumerateArray())
        {
            var index = offset + expected.GetProperty("index").GetInt32();
            var pixels = image.Example<float>(index).ToArray();
            Assert.Equal(expected.GetProperty("label").GetInt64(), labels[index]);
            var bytes = pixels.Select(Byte).ToArray();
            Assert.Equal(expected.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
            Assert.Equal(expected.GetProperty("pixel_sum").GetInt64(), bytes.Sum(b => (long)b));
            var rows = Enumerable.Range(0, 28).Select(r => bytes.Skip(28 * r).Take(28).Sum(b => (long)b));
            Assert.Equal(expected.GetProperty("row_sums").EnumerateArray().Select(e => e.GetInt64()), rows);
            Assert.Equal(expected.GetProperty("scaled_sum").GetDouble(), pixels.Sum(p => (double)p), 1e-9);
            foreach (var entry in expected.GetProperty("pixels").EnumerateArray())
            {
                var (row, column, value) = (entry[0].GetInt32(), entry[1].GetInt32(), entry[2].GetDouble());
                Assert.Equal(value, (double)pixels[28 * row + column]);   // float32(p) / float32(255), exactly
            }
        }
    }

    [Fact]
    public void PixelsAreInTheUnitInterval()
    {
        var values = (float[])data.Set["image"].Values;
        Assert.Equal(0f, values.Min());
        Assert.Equal(1f, values.Max());
    }

    // Pixels are byte / 255 in float32; the nearest byte recovers the byte exactly.
    private static byte Byte(float pixel) => checked((byte)Math.Round(pixel * 255.0));
}
