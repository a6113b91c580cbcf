using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

/// <summary>
/// A number passed to a tensor op. It keeps whether it is integral, as PyTorch does, so
/// <c>int_tensor + 2</c> stays an integer tensor while <c>int_tensor + 2.0</c> becomes float.
/// </summary>
public readonly struct Scalar
{
    private readonly NativeScalar _value;

    private Scalar(NativeScalar value) => _value = value;

    internal NativeScalar Native => _value;

    /// <summary>The value as a double (exact for floats and for integers below 2^53).</summary>
    public double ToDouble() => _value.Kind == 0 ? _value.D : _value.I;

    /// <summary>A floating-point scalar.</summary>
    public static implicit operator Scalar(double value) => new(new NativeScalar(value, 0, 0));
    /// <summary>A floating-point scalar.</summary>
    public static implicit operator Scalar(float value) => new(new NativeScalar(value, 0, 0));
    /// <summary>An integral scalar.</summary>
    public static implicit operator Scalar(long value) => new(new NativeScalar(value, value, 1));
    /// <summary>An integral scalar.</summary>
    public static implicit operator Scalar(int value) => new(new NativeScalar(value, value, 1));
    /// <summary>A boolean scalar.</summary>
    public static implicit operator Scalar(bool value) => new(new NativeScalar(value ? 1 : 0, value ? 1 : 0, 2));

    /// <inheritdoc/>
    public override string ToString() => _value.Kind switch
    {
        0 => _value.D.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        1 => _value.I.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => _value.I != 0 ? "true" : "false",
    };
}
