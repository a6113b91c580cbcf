using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>custom</c>: a layer written in C#.</summary>
internal sealed class CustomKind : LayerKind
{
    public override string Name => "custom";

    public override string Doc => "A layer written in C#: a Module subclass with a parameterless constructor and Tensor Forward(Tensor).";

    public override string RuntimeClass => "";

    public override string? ScalarArg => "class";

    public override IReadOnlyList<ArgInfo> Args { get; } = [new("class", ArgKind.Text, "Fully qualified C# class name.", Required: true)];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Tensor() is not { } x) return false;
        layer.Output(x);
        layer.CustomClass(layer.Arg("class")!.Value.Text!);
        return true;
    }
}
