using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding;

// What a layer's construction passes to its runtime class, as typed values: the emitter alone turns
// them into C#. Expressions keep YAML names; the emitter maps them to config properties.

/// <summary>A value handed to generated code.</summary>
internal abstract record Code;

/// <summary>A number or condition over config names (<c>4 * d_model</c>); <see cref="AsFloat"/> writes an integer literal as a double.</summary>
internal sealed record ExprCode(Expr Expr, bool AsFloat = false) : Code;

/// <summary>A literal <c>true</c> / <c>false</c>.</summary>
internal sealed record BoolCode(bool Value) : Code;

/// <summary>A string literal.</summary>
internal sealed record TextCode(string Value) : Code;

/// <summary><c>null</c>.</summary>
internal sealed record NullCode : Code
{
    public static NullCode Instance { get; } = new();
}

/// <summary>A member of a runtime enum: <c>MlpActivation.SwiGlu</c>.</summary>
internal sealed record EnumCode(string Type, string Member) : Code;

/// <summary>A type name (a custom layer's class), written with <c>global::</c>.</summary>
internal sealed record TypeNameCode(string FullName) : Code;

/// <summary><c>new Type(positional…, Name: value…)</c>.</summary>
internal sealed record NewCode(string Type, EquatableArray<Code> Positional, EquatableArray<NamedCode> Named) : Code;

/// <summary>A named argument of a constructor call.</summary>
internal sealed record NamedCode(string Name, Code Value);

/// <summary>The block index picks one of several values: <c>Cycle.Pick&lt;T&gt;(index, a, b)</c>.</summary>
internal sealed record CycleCode(string ElementType, EquatableArray<Code> Options) : Code;

/// <summary><c>condition ? then : otherwise</c>, the condition a bool config.</summary>
internal sealed record ChooseCode(Expr Condition, Code Then, Code Otherwise) : Code;

/// <summary>Another layer of the same body, by its field (a tied head's embedding).</summary>
internal sealed record LayerRefCode(string StateName) : Code;

/// <summary>The config the generated constructor received (handed on to a nested class).</summary>
internal sealed record ConfigCode : Code
{
    public static ConfigCode Instance { get; } = new();
}
