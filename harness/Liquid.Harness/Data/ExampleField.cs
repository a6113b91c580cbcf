using System.Globalization;

namespace Liquid.Harness.Data;

/// <summary>
/// The values of one field for every example of an <see cref="ExampleSet"/>, in one contiguous
/// row-major array: example i owns elements [i × <see cref="Size"/>, (i + 1) × <see cref="Size"/>).
/// </summary>
public sealed class ExampleField
{
    internal ExampleField(FieldSpec spec, long[] shape, Array values)
    {
        Spec = spec;
        Shape = shape;
        Size = checked((int)shape.Aggregate(1L, (a, b) => a * b));
        Values = values;
    }

    /// <summary>What the model asked for.</summary>
    public FieldSpec Spec { get; }

    /// <summary>The field's name.</summary>
    public string Name => Spec.Name;

    /// <summary>The concrete per-example shape: the spec's with every <see langword="null"/> dimension filled in from the data.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Elements per example (the product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public int Size { get; }

    /// <summary>All values: a <c>float[]</c>, <c>long[]</c> or <c>bool[]</c> by <see cref="FieldSpec.Type"/>.</summary>
    public Array Values { get; }

    /// <summary>The values of example <paramref name="index"/>; <typeparamref name="T"/> must match the field's type.</summary>
    public ReadOnlySpan<T> Example<T>(int index) where T : unmanaged
    {
        if (Values is not T[] values)
            throw new InvalidOperationException($"field '{Name}' holds {FieldSpec.TypeName(Spec.Type)} values, not {typeof(T).Name}");
        return values.AsSpan(checked(index * Size), Size);
    }

    /// <summary>Name and concrete shape, e.g. <c>image: float[28, 28]</c>.</summary>
    public override string ToString() => $"{Name}: {FieldSpec.Describe(Spec.Type, Shape)}";

    internal static string ShapeText(IEnumerable<long> shape) => $"[{string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))}]";
}
