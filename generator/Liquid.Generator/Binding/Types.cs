using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding;

/// <summary>
/// One dimension of a symbolic shape: a symbol that stays open until run time (B, T, …) or a size
/// given by an expression over config names, with its value under the default config.
/// </summary>
internal sealed record Dim(string? Symbol, Expr? Size, long Default)
{
    public static Dim Of(string symbol) => new(symbol, null, 0);

    public static Dim Of(Expr size, long value) => new(null, size, value);

    public static Dim Of(long value) => new(null, new IntLiteral(value), value);

    public bool IsSymbol => Symbol is not null;

    /// <summary>Same dimension as far as the binder can tell: equal symbols, or sizes equal under the default config.</summary>
    public bool Matches(Dim other) => IsSymbol || other.IsSymbol ? Symbol == other.Symbol : Default == other.Default;

    /// <summary>As a model file spells it: <c>B</c>, <c>d_model</c>, <c>4 * d_model</c>.</summary>
    public string Yaml => Symbol ?? Render.Expression(Size!);

    public override string ToString() => Yaml;
}

/// <summary>Element types of tensor values.</summary>
internal enum ElementType
{
    Long,
    Int,
    Float,
    Double,
    Bool,
}

/// <summary>
/// The type of a value flowing between layers: a tensor with an element type and a symbolic shape,
/// a typed runtime state object (a recurrent layer's final state), or an auxiliary loss (a scalar
/// the objective may weigh).
/// </summary>
internal abstract record ValueType
{
    /// <summary>As messages and shape comments print it: <c>float[B, T, d_model]</c>.</summary>
    public abstract string Display { get; }
}

/// <summary>A tensor value.</summary>
internal sealed record TensorType(ElementType Element, EquatableArray<Dim> Dims) : ValueType
{
    public static TensorType Of(ElementType element, params Dim[] dims) => new(element, dims.ToEquatableArray());

    public int Rank => Dims.Count;

    public bool IsFloating => Element is ElementType.Float or ElementType.Double;

    public bool IsIntegral => Element is ElementType.Long or ElementType.Int;

    public Dim Last => Dims[Dims.Count - 1];

    /// <summary>This shape with the last dimension replaced (a Linear's output, say).</summary>
    public TensorType WithLast(Dim last) => this with { Dims = Dims.Take(Dims.Count - 1).Concat(new[] { last }).ToEquatableArray() };

    /// <summary>This shape with one more dimension at the end (an embedding's width).</summary>
    public TensorType Append(Dim dim) => this with { Dims = Dims.Concat(new[] { dim }).ToEquatableArray() };

    /// <summary>This shape without its dimension <paramref name="index"/> (a sequence's last step).</summary>
    public TensorType Without(int index) => this with { Dims = Dims.Where((_, i) => i != index).ToEquatableArray() };

    public static string ElementName(ElementType element) => element switch
    {
        ElementType.Long => "long",
        ElementType.Int => "int",
        ElementType.Float => "float",
        ElementType.Double => "double",
        _ => "bool",
    };

    public override string Display => $"{ElementName(Element)}[{string.Join(", ", Dims.Select(d => d.Yaml))}]";

    /// <summary>Same element kind (integral / floating / bool), rank and matching dimensions.</summary>
    public bool Matches(TensorType other) =>
        Kind(Element) == Kind(other.Element) && Rank == other.Rank && Dims.Zip(other.Dims, (a, b) => a.Matches(b)).All(m => m);

    private static int Kind(ElementType element) => element switch
    {
        ElementType.Long or ElementType.Int => 0,
        ElementType.Float or ElementType.Double => 1,
        _ => 2,
    };
}

/// <summary>A runtime state object (e.g. <c>LstmState</c>) passed between layers or blocks.</summary>
internal sealed record StateType(string RuntimeType) : ValueType
{
    public override string Display => $"state {RuntimeType}";
}

/// <summary>An auxiliary loss: a scalar tensor summed over the layers that report it.</summary>
internal sealed record LossType : ValueType
{
    public static LossType Instance { get; } = new();

    public override string Display => "loss float[]";
}
