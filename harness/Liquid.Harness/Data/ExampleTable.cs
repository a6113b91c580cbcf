namespace Liquid.Harness.Data;

/// <summary>
/// What one reader returns for one file (or one split inside a file): per field its concrete
/// per-example shape and its values for <see cref="Count"/> examples, in file order.
/// </summary>
internal sealed record ExampleTable(string Source, int Count, IReadOnlyDictionary<string, (long[] Shape, Array Values)> Fields);

/// <summary>Grows one field's values while a row-by-row reader (CSV, JSONL) walks a file.</summary>
internal sealed class FieldBuffer(FieldSpec spec)
{
    // Only the list of the field's type is ever filled.
    private readonly List<float> _floats = [];
    private readonly List<long> _longs = [];
    private readonly List<bool> _bools = [];

    public FieldSpec Spec { get; } = spec;

    /// <summary>The concrete per-example shape, once the reader knows it (header, or first example).</summary>
    public long[]? Shape { get; set; }

    public void Add(float value) => _floats.Add(value);

    public void Add(long value) => _longs.Add(value);

    public void Add(bool value) => _bools.Add(value);

    public Array ToArray() => Spec.Type switch
    {
        FieldType.Float32 => _floats.ToArray(),
        FieldType.Int64 => _longs.ToArray(),
        _ => _bools.ToArray(),
    };
}

/// <summary>The messages every reader shares, so a user sees the same wording whatever the format.</summary>
internal static class Naming
{
    /// <summary>Names the model expects, e.g. "x: float[?, 3], y: long[]".</summary>
    public static string Expected(IReadOnlyList<FieldSpec> fields) => string.Join(", ", fields);

    /// <summary>A short list of names (the first 20, then a count).</summary>
    public static string List(IEnumerable<string> names)
    {
        var all = names.ToList();
        if (all.Count == 0) return "(none)";
        var shown = string.Join(", ", all.Take(20));
        return all.Count > 20 ? $"{shown} … ({all.Count} in all)" : shown;
    }

    /// <summary>A model field the data does not provide.</summary>
    public static DataException Missing(string source, string what, FieldSpec field, string available, IReadOnlyList<FieldSpec> fields, string hint = "") =>
        new($"{source}: no {what} for the model's field '{field.Name}'{hint}; the file has {available}; the model expects {Expected(fields)}");

    /// <summary>Data that matches no field of the model (rejected so a misspelt name cannot pass silently); <paramref name="what"/> is singular, e.g. "column".</summary>
    public static DataException Unused(string source, string what, IReadOnlyList<string> names, IReadOnlyList<FieldSpec> fields) => names.Count == 1
        ? new($"{source}: {what} {names[0]} matches no field of the model, which expects {Expected(fields)} (rename it, remove it, or allow unused columns)")
        : new($"{source}: {what}s {List(names)} match no field of the model, which expects {Expected(fields)} (rename them, remove them, or allow unused columns)");

    /// <summary>A field with a concrete shape that does not fit the spec's known dimensions.</summary>
    public static string? Misfit(FieldSpec field, long[] shape)
    {
        if (shape.Length != field.Shape.Count)
            return $"'{field.Name}' has {shape.Length} dimension(s) {ExampleField.ShapeText(shape)} per example, the model expects {field.Shape.Count}: {field}";
        if (shape.Any(d => d <= 0))
            return $"'{field.Name}' has an empty dimension, shape {ExampleField.ShapeText(shape)} per example";
        for (var d = 0; d < shape.Length; d++)
            if (field.Shape[d] is { } expected && expected != shape[d])
                return $"'{field.Name}' has shape {ExampleField.ShapeText(shape)} per example, the model expects {field}";
        return null;
    }
}
