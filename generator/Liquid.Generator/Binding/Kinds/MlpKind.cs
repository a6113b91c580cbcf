using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>mlp</c>: the position-wise feed-forward block.</summary>
internal sealed class MlpKind : LayerKind
{
    public override string Name => "mlp";

    public override string Doc => "Position-wise feed-forward block, plain (fc → act → proj) or gated (proj(act(gate)·up)).";

    public override string RuntimeClass => "Mlp";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("hidden", ArgKind.Int, "Hidden width.", Required: true),
        new("activation", ArgKind.Enum, "Hidden nonlinearity.", Default: "gelu", Values: ["gelu", "gelu_tanh", "relu", "silu", "swiglu", "geglu"]),
        Bias,
        new("dropout", ArgKind.Float, "Dropout on the output.", Default: "0"),
        InitStd,
        new("proj_init_std", ArgKind.Float, "Init std of the output projection (defaults to init_std)."),
    ];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Features() is not { } x || !layer.Positive("hidden") || !layer.Probability("dropout")) return false;
        var width = x.Last.Size!;
        var hidden = layer.Size("hidden").Size!;
        var bias = layer.FlagExpr("bias");
        var activation = layer.Word("activation") ?? "gelu";
        var gated = activation is "swiglu" or "geglu";
        // fc (two of them when gated: gate and up), then proj back to the width.
        var input = Ex.Add(Ex.Mul(width, hidden), Ex.When(bias, hidden));
        layer.Output(x);
        layer.Parameters(Ex.Add(gated ? Ex.Mul(Ex.Int(2), input) : input, Ex.Add(Ex.Mul(hidden, width), Ex.When(bias, width))));

        var named = new List<NamedCode>();
        if (activation is not ("gelu" or "gelu_tanh")) named.Add(new NamedCode("Activation", new EnumCode("MlpActivation", activation switch { "swiglu" => "SwiGlu", "geglu" => "GeGlu", _ => Names.Pascal(activation) })));
        if (activation == "gelu_tanh") named.Add(new NamedCode("TanhGelu", new BoolCode(true)));
        named.AddRange(layer.Named(("bias", "Bias"), ("dropout", "Dropout"), ("init_std", "InitStd"), ("proj_init_std", "ProjInitStd")));
        layer.Construct(new NewCode("MlpOptions", [new ExprCode(width), layer.Code("hidden")], named.ToEquatableArray()));
        return true;
    }
}
