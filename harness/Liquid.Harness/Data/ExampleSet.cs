using Liquid.Runtime;

namespace Liquid.Harness.Data;

/// <summary>The three parts of a data set.</summary>
public enum Split
{
    /// <summary>What the model trains on.</summary>
    Train,
    /// <summary>What training evaluates on (early stopping, best checkpoint).</summary>
    Validation,
    /// <summary>Held out for the final figure (<c>liquid eval</c>).</summary>
    Test,
}

/// <summary>How <see cref="ExampleSet.Load"/> carves the splits a source does not have, and how strict it is.</summary>
/// <param name="ValidationShare">Share of the training examples that becomes validation when the source has no validation split.</param>
/// <param name="TestShare">Share of the training examples that becomes test when the source has no test split.</param>
/// <param name="SplitSeed">Seeds the choice of carved examples. It is separate from the training seed, so runs with different seeds evaluate on the same examples.</param>
/// <param name="AllowUnusedColumns">Accept columns, keys or tensors that match no field (they are ignored); by default they are an error, so a misspelt name cannot pass unnoticed.</param>
public sealed record LoadOptions(double ValidationShare = 0.05, double TestShare = 0.05, ulong SplitSeed = 0, bool AllowUnusedColumns = false);

/// <summary>
/// Examples in memory for the fields a model declares, one contiguous array per field, with a
/// deterministic train / validation / test split. <see cref="Load"/> reads CSV, TSV, JSONL,
/// safetensors or a built-in data set and maps the data to fields by name (see
/// <c>harness/Liquid.Harness/Data/README.md</c> for the formats and the split layout).
/// </summary>
public sealed class ExampleSet
{
    private readonly Dictionary<string, ExampleField> _byName;

    private ExampleSet(string source, string description, IReadOnlyList<ExampleField> fields, int count, int[][] splits, string[] origins, IReadOnlyList<string> notes)
    {
        Source = source;
        Description = description;
        Fields = fields;
        _byName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        Count = count;
        Notes = notes;
        Train = new ExampleSplit(this, Split.Train, splits[0], origins[0]);
        Validation = new ExampleSplit(this, Split.Validation, splits[1], origins[1]);
        Test = new ExampleSplit(this, Split.Test, splits[2], origins[2]);
    }

    /// <summary>The data spec it was loaded from (path or <c>builtin:…</c>).</summary>
    public string Source { get; }

    /// <summary>One line for the console: the source, its format and the size of each split.</summary>
    public string Description { get; }

    /// <summary>Things the user should know, e.g. that validation was carved from train and with which seed.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The fields, in the order the model declared them.</summary>
    public IReadOnlyList<ExampleField> Fields { get; }

    /// <summary>Examples in all splits together.</summary>
    public int Count { get; }

    /// <summary>The training split.</summary>
    public ExampleSplit Train { get; }

    /// <summary>The validation split (may be empty if <see cref="LoadOptions.ValidationShare"/> is 0).</summary>
    public ExampleSplit Validation { get; }

    /// <summary>The test split (may be empty if <see cref="LoadOptions.TestShare"/> is 0).</summary>
    public ExampleSplit Test { get; }

    /// <summary>The split of kind <paramref name="split"/>.</summary>
    public ExampleSplit this[Split split] => split switch
    {
        Split.Train => Train,
        Split.Validation => Validation,
        _ => Test,
    };

    /// <summary>The field called <paramref name="name"/>.</summary>
    public ExampleField this[string name] => _byName.TryGetValue(name, out var field)
        ? field
        : throw new KeyNotFoundException($"no field '{name}'; the fields are {string.Join(", ", Fields.Select(f => f.Name))}");

    /// <summary>
    /// One tensor per field, [examples.Length, ...shape], holding the examples at these indices of the
    /// set, in this order (<c>Tensor.From</c>). The tensors belong to the current
    /// <see cref="TensorScope"/>, if any; otherwise the caller disposes them.
    /// </summary>
    public Dictionary<string, Tensor> Tensors(ReadOnlySpan<int> examples, Device device = default)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var field in Fields)
            {
                var shape = new long[field.Shape.Count + 1];
                shape[0] = examples.Length;
                for (var d = 0; d < field.Shape.Count; d++) shape[d + 1] = field.Shape[d];
                result[field.Name] = field.Values switch
                {
                    float[] floats => Tensor.From<float>(Gather(floats, field.Size, examples), shape, device),
                    long[] longs => Tensor.From<long>(Gather(longs, field.Size, examples), shape, device),
                    bool[] bools => Tensor.From<bool>(Gather(bools, field.Size, examples), shape, device),
                    _ => throw new InvalidOperationException($"field '{field.Name}' holds {field.Values.GetType().Name}"),
                };
            }
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
    }

    private static T[] Gather<T>(T[] values, int size, ReadOnlySpan<int> examples)
    {
        var batch = new T[examples.Length * size];
        for (var i = 0; i < examples.Length; i++)
            values.AsSpan(checked(examples[i] * size), size).CopyTo(batch.AsSpan(i * size, size));
        return batch;
    }

    /// <summary>
    /// Reads the examples of <paramref name="fields"/> from <paramref name="spec"/>: a .csv, .tsv,
    /// .jsonl or .safetensors file, a file named <c>NAME.train.EXT</c> (with its
    /// <c>NAME.valid.EXT</c> and <c>NAME.test.EXT</c> siblings), a folder of
    /// <c>train.EXT</c> / <c>valid.EXT</c> / <c>test.EXT</c> files, or <c>builtin:fashion-mnist</c>.
    /// Splits the source does not have are carved from its training examples (<paramref name="options"/>).
    /// </summary>
    /// <param name="spec">Where the data is.</param>
    /// <param name="fields">The model's inputs and targets; each must be in the data, by name.</param>
    /// <param name="options">Split shares, split seed, strictness; the defaults carve 5 % validation and 5 % test.</param>
    /// <param name="log">Told about slow first-use work (installing a Debian package).</param>
    /// <exception cref="DataException">The data is missing, malformed or does not fit the fields; the message names the file and line or tensor.</exception>
    public static ExampleSet Load(string spec, IReadOnlyList<FieldSpec> fields, LoadOptions? options = null, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(spec);
        ArgumentNullException.ThrowIfNull(fields);
        options ??= new LoadOptions();
        CheckOptions(options);
        if (fields.Count == 0) throw new ArgumentException("the model declares no fields to read", nameof(fields));
        if (fields.GroupBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"field '{twice.Key}' is declared twice", nameof(fields));

        var (parts, format) = ExampleSources.Read(spec, fields, options.AllowUnusedColumns, log);
        return Assemble(spec, format, fields, parts, options);
    }

    private static void CheckOptions(LoadOptions options)
    {
        if (options.ValidationShare is < 0 or >= 1 || double.IsNaN(options.ValidationShare))
            throw new ArgumentException($"the validation share must be in [0, 1), got {options.ValidationShare}");
        if (options.TestShare is < 0 or >= 1 || double.IsNaN(options.TestShare))
            throw new ArgumentException($"the test share must be in [0, 1), got {options.TestShare}");
        if (options.ValidationShare + options.TestShare >= 1)
            throw new ArgumentException($"the validation and test shares ({options.ValidationShare} + {options.TestShare}) leave nothing to train on");
    }

    private static ExampleSet Assemble(string spec, string format, IReadOnlyList<FieldSpec> fields, List<(Split? Split, ExampleTable Table)> parts, LoadOptions options)
    {
        // Train (or the whole unsplit source) first, then validation, then test: the set's index order.
        var ordered = parts.OrderBy(p => p.Split ?? Split.Train).ToList();
        long total = ordered.Sum(p => (long)p.Table.Count);
        if (total > int.MaxValue) throw new DataException($"{spec}: {total} examples are more than one set holds");

        var columns = new List<ExampleField>();
        foreach (var field in fields)
        {
            var (shape, _) = ordered[0].Table.Fields[field.Name];
            foreach (var (_, table) in ordered.Skip(1))
                if (!table.Fields[field.Name].Shape.SequenceEqual(shape))
                    throw new DataException($"{table.Source}: field '{field.Name}' has shape {ExampleField.ShapeText(table.Fields[field.Name].Shape)} per example, but {ExampleField.ShapeText(shape)} in {ordered[0].Table.Source}; every example of a set has the same shape");
            var values = ordered.Select(p => p.Table.Fields[field.Name].Values).ToList();
            var size = shape.Aggregate(1L, (a, b) => a * b);
            if (size * total > Array.MaxLength) throw new DataException($"{spec}: field '{field.Name}' has {size * total} values, more than one array holds");
            columns.Add(new ExampleField(field, shape, Concatenate(field.Type, values)));
        }

        var ranges = new Dictionary<Split, int[]>();
        var start = 0;
        foreach (var (split, table) in ordered)
        {
            ranges[split ?? Split.Train] = Enumerable.Range(start, table.Count).ToArray();
            start += table.Count;
        }

        var notes = new List<string>();
        var origins = new Dictionary<Split, string>();
        foreach (var (split, table) in ordered) origins[split ?? Split.Train] = table.Source;
        var carveValidation = !ranges.ContainsKey(Split.Validation);
        var carveTest = !ranges.ContainsKey(Split.Test);
        if (carveValidation || carveTest)
        {
            var train = ranges[Split.Train];
            var validationCount = carveValidation ? Share(train.Length, options.ValidationShare) : 0;
            var testCount = carveTest ? Share(train.Length, options.TestShare) : 0;
            if (train.Length - validationCount - testCount < 1)
                throw new DataException($"{origins[Split.Train]}: {train.Length} example(s) are too few to carve {validationCount} for validation and {testCount} for test and still train; add examples, lower the shares or provide split files");
            var shuffled = (int[])train.Clone();
            Shuffle.InPlace(shuffled, options.SplitSeed);
            if (carveValidation) ranges[Split.Validation] = Sorted(shuffled[..validationCount]);
            if (carveTest) ranges[Split.Test] = Sorted(shuffled[validationCount..(validationCount + testCount)]);
            ranges[Split.Train] = Sorted(shuffled[(validationCount + testCount)..]);

            var source = origins[Split.Train];
            var carved = new List<string>();
            if (carveValidation) carved.Add(Carved("validation", options.ValidationShare, validationCount));
            if (carveTest) carved.Add(Carved("test", options.TestShare, testCount));
            var missing = carveValidation && carveTest ? "no validation or test split" : carveValidation ? "no validation split" : "no test split";
            var examples = ordered[0].Split is null ? "examples" : "training examples";
            notes.Add($"{source} has {missing}: of its {train.Length} {examples}, {string.Join(" and ", carved)}, chosen with split seed {options.SplitSeed}");
            var how = $"carved from the training examples of {source} (split seed {options.SplitSeed})";
            if (carveValidation) origins[Split.Validation] = how;
            if (carveTest) origins[Split.Test] = how;
        }

        int[][] splits = [ranges[Split.Train], ranges[Split.Validation], ranges[Split.Test]];
        var description = $"{spec} ({format}, {total} examples: {splits[0].Length} train, {splits[1].Length} validation, {splits[2].Length} test; {string.Join(", ", columns)})";
        return new ExampleSet(spec, description, columns, (int)total, splits,
            [origins[Split.Train], origins[Split.Validation], origins[Split.Test]], notes);
    }

    // At least one example when the share is positive, so a small file still gets a split to evaluate on.
    private static int Share(int count, double share) =>
        share <= 0 ? 0 : Math.Max(1, (int)Math.Round(count * share, MidpointRounding.AwayFromZero));

    private static string Carved(string split, double share, int count) =>
        $"{(share * 100).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} % ({count}) became {split}";

    private static int[] Sorted(int[] indices)
    {
        Array.Sort(indices);
        return indices;
    }

    private static Array Concatenate(FieldType type, List<Array> parts)
    {
        if (parts.Count == 1) return parts[0];
        var result = Array.CreateInstance(type switch { FieldType.Float32 => typeof(float), FieldType.Int64 => typeof(long), _ => typeof(bool) }, parts.Sum(p => (long)p.Length));
        long offset = 0;
        foreach (var part in parts)
        {
            Array.Copy(part, 0, result, offset, part.Length);
            offset += part.Length;
        }
        return result;
    }
}

/// <summary>The examples of one split: indices into its <see cref="ExampleSet"/>, ascending.</summary>
public sealed class ExampleSplit
{
    private readonly int[] _indices;

    internal ExampleSplit(ExampleSet set, Split kind, int[] indices, string origin)
    {
        Set = set;
        Kind = kind;
        _indices = indices;
        Origin = origin;
    }

    /// <summary>The set the indices point into.</summary>
    public ExampleSet Set { get; }

    /// <summary>Which split this is.</summary>
    public Split Kind { get; }

    /// <summary>Where the split came from: a file, or how it was carved.</summary>
    public string Origin { get; }

    /// <summary>Examples in the split.</summary>
    public int Count => _indices.Length;

    /// <summary>The set indices of the split's examples, ascending.</summary>
    public ReadOnlySpan<int> Indices => _indices;
}
