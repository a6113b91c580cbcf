namespace Liquid.Harness.Data;

/// <summary>
/// <c>builtin:fashion-mnist</c>: Zalando's Fashion-MNIST from Debian's <c>dataset-fashion-mnist</c>
/// package (installed on first use, see <see cref="DebianPackages"/>), as the sequential task of the
/// recurrent-network literature: each example is 28 rows of 28 pixels, field <c>image</c>
/// float[28, 28] with pixel / 255 in [0, 1], and its class, field <c>label</c> long [] in 0 … 9. The
/// package's training set (60,000 images) is the train split and its test set (10,000) the test
/// split; validation is carved from train. A model may ask for the image in another shape of 784
/// elements ([784], [1, 28, 28]), in the same row-major pixel order.
/// </summary>
internal static class FashionMnist
{
    public const string Name = "builtin:fashion-mnist";
    public const string Package = "dataset-fashion-mnist";
    public const string Folder = "/usr/share/datasets/fashion-mnist";

    private const int Side = 28;
    private const int Classes = 10;

    /// <summary>The fields this source offers.</summary>
    public static readonly FieldSpec[] Offered = [FieldSpec.Of("image", FieldType.Float32, Side, Side), FieldSpec.Scalar("label", FieldType.Int64)];

    /// <summary>Reads the package's files, installing the package first if it is missing.</summary>
    public static List<(Split? Split, ExampleTable Table)> Read(IReadOnlyList<FieldSpec> fields, Action<string>? log)
    {
        DebianPackages.Require(Package, Path.Combine(Folder, "train-images-idx3-ubyte.gz"), Name, log);
        return Read(Folder, fields);
    }

    /// <summary>Reads train-*/t10k-* IDX files (gzipped or not) from <paramref name="folder"/>.</summary>
    public static List<(Split? Split, ExampleTable Table)> Read(string folder, IReadOnlyList<FieldSpec> fields)
    {
        var imageShape = ImageShape(fields);
        return
        [
            (Split.Train, ReadSet(folder, "train", fields, imageShape)),
            (Split.Test, ReadSet(folder, "t10k", fields, imageShape)),
        ];
    }

    /// <summary>The shape the model wants the image in; unknown or mistyped fields are errors.</summary>
    private static long[]? ImageShape(IReadOnlyList<FieldSpec> fields)
    {
        long[]? imageShape = null;
        foreach (var field in fields)
        {
            var offered = Offered.FirstOrDefault(o => o.Name == field.Name)
                ?? throw new DataException($"{Name} has no field '{field.Name}'; it offers {Naming.Expected(Offered)}; the model expects {Naming.Expected(fields)}");
            if (field.Type != offered.Type)
                throw new DataException($"{Name}: field '{field.Name}' holds {FieldSpec.TypeName(offered.Type)} values ({offered}), but the model expects {field}");
            if (field.Name == "label")
            {
                if (field.Shape.Count != 0) throw new DataException($"{Name}: the label is a scalar ({offered}), but the model expects {field}");
                continue;
            }
            if (Naming.Misfit(field, [Side, Side]) is null) imageShape = [Side, Side];
            else if (field.Shape.All(d => d is not null) && field.Shape.Aggregate(1L, (a, d) => a * d!.Value) == Side * Side) imageShape = field.Shape.Select(d => d!.Value).ToArray();
            else throw new DataException($"{Name}: the image is {offered} (784 pixels), which does not fit the model's {field}");
        }
        return imageShape;
    }

    private static ExampleTable ReadSet(string folder, string prefix, IReadOnlyList<FieldSpec> fields, long[]? imageShape)
    {
        var labelPath = Find(folder, $"{prefix}-labels-idx1-ubyte");
        var (labelDims, labelBytes) = IdxFile.Read(labelPath, rank: 1);
        for (var i = 0; i < labelBytes.Length; i++)
            if (labelBytes[i] >= Classes) throw new DataException($"{labelPath}: label {i} is {labelBytes[i]}; Fashion-MNIST has classes 0 … {Classes - 1}");

        var table = new Dictionary<string, (long[] Shape, Array Values)>(StringComparer.Ordinal);
        if (fields.Any(f => f.Name == "label")) table["label"] = ([], labelBytes.Select(b => (long)b).ToArray());
        if (imageShape is not null)
        {
            var imagePath = Find(folder, $"{prefix}-images-idx3-ubyte");
            var (imageDims, pixels) = IdxFile.Read(imagePath, rank: 3);
            if (imageDims[1] != Side || imageDims[2] != Side)
                throw new DataException($"{imagePath}: images are {imageDims[1]} × {imageDims[2]} pixels; Fashion-MNIST's are {Side} × {Side}");
            if (imageDims[0] != labelDims[0])
                throw new DataException($"{imagePath}: {imageDims[0]} images, but {labelPath} has {labelDims[0]} labels");
            var scaled = new float[pixels.Length];
            for (var i = 0; i < pixels.Length; i++) scaled[i] = pixels[i] / 255f;
            table["image"] = (imageShape, scaled);
        }
        return new ExampleTable($"{Name} ({Path.Combine(folder, prefix + "-*")})", labelDims[0], table);
    }

    private static string Find(string folder, string name)
    {
        foreach (var candidate in new[] { name + ".gz", name })
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        throw new DataException($"{Name}: {Path.Combine(folder, name)}(.gz) is missing; reinstall the package with: apt-get install --reinstall -y {Package}");
    }
}
