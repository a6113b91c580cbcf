using System.Globalization;
using Liquid.Runtime;

namespace Liquid.Harness.Data;

/// <summary>The element type of a field: what the model's tensor holds.</summary>
public enum FieldType
{
    /// <summary>32-bit floats (<c>torch.float32</c>): features, pixels, regression targets.</summary>
    Float32,
    /// <summary>64-bit integers (<c>torch.int64</c>): class labels, token ids.</summary>
    Int64,
    /// <summary>Booleans (<c>torch.bool</c>): masks.</summary>
    Bool,
}

/// <summary>
/// One named input or target a model wants from the data: its element type and its shape per
/// example, without the batch dimension. A <see langword="null"/> dimension is taken from the data
/// (for example the sequence length T of <c>x: float[T, 3]</c>), but must be equal across all
/// examples: an <see cref="ExampleSet"/> is rectangular, it does not pad.
/// </summary>
/// <param name="Name">The name the data must use for it (CSV column, JSON key, tensor name).</param>
/// <param name="Type">The element type.</param>
/// <param name="Shape">Per-example dimensions, outermost first; empty for a scalar such as a class label.</param>
public sealed record FieldSpec(string Name, FieldType Type, IReadOnlyList<long?> Shape)
{
    /// <summary>The name the data must use.</summary>
    public string Name { get; } = Name is { Length: > 0 } name && !name.Any(char.IsWhiteSpace)
        ? name
        : throw new ArgumentException($"a field name must be non-empty and hold no whitespace, got '{Name}'", nameof(Name));

    /// <summary>Per-example dimensions; each is positive or <see langword="null"/> (from the data).</summary>
    public IReadOnlyList<long?> Shape { get; } = Shape.All(d => d is null or > 0)
        ? Shape.ToArray()
        : throw new ArgumentException($"field '{Name}': dimensions must be positive or null (taken from the data), got [{string.Join(", ", Shape)}]", nameof(Shape));

    /// <summary>A scalar field (one value per example).</summary>
    public static FieldSpec Scalar(string name, FieldType type) => new(name, type, []);

    /// <summary>A field whose dimensions are all known.</summary>
    public static FieldSpec Of(string name, FieldType type, params long[] shape) => new(name, type, shape.Select(d => (long?)d).ToArray());

    /// <summary>The tensor dtype of <see cref="Type"/>.</summary>
    public DType DType => Type switch
    {
        FieldType.Float32 => DType.Float32,
        FieldType.Int64 => DType.Int64,
        _ => DType.Bool,
    };

    /// <summary>How the model's declaration reads: <c>image: float[28, 28]</c>, <c>x: float[?, 3]</c> (? = from the data).</summary>
    public override string ToString() => $"{Name}: {Describe(Type, Shape)}";

    /// <summary>Records compare lists by reference; fields are equal when name, type and dimensions are.</summary>
    public bool Equals(FieldSpec? other) =>
        other is not null && Name == other.Name && Type == other.Type && Shape.SequenceEqual(other.Shape);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Type, Shape.Count);

    internal static string Describe(FieldType type, IEnumerable<long?> shape) =>
        $"{TypeName(type)}[{string.Join(", ", shape.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "?"))}]";

    internal static string Describe(FieldType type, IEnumerable<long> shape) => Describe(type, shape.Select(d => (long?)d));

    internal static string TypeName(FieldType type) => type switch
    {
        FieldType.Float32 => "float",
        FieldType.Int64 => "long",
        _ => "bool",
    };
}
