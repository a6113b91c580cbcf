using System.Collections.Generic;

using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>lstm</c>, <c>gru</c> and <c>rnn</c>: one definition for libtorch's three fused recurrent layers.</summary>
internal sealed class RecurrentKind(string name, string doc, string runtimeClass, int gates, string stateType) : LayerKind
{
    public static RecurrentKind Lstm { get; } = new("lstm", "Multi-layer LSTM over the sequence.", "Lstm", 4, "LstmState");
    public static RecurrentKind Gru { get; } = new("gru", "Multi-layer GRU over the sequence.", "Gru", 3, "Tensor");
    public static RecurrentKind Rnn { get; } = new("rnn", "Multi-layer Elman RNN (tanh) over the sequence.", "Rnn", 1, "Tensor");

    public override string Name => name;

    public override string Doc => doc;

    public override string RuntimeClass => runtimeClass;

    public override string? ScalarArg => "hidden";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("hidden", ArgKind.Int, "Hidden width.", Required: true),
        new("layers", ArgKind.Int, "Stacked layers.", Default: "1"),
        new("dropout", ArgKind.Float, "Dropout between stacked layers.", Default: "0"),
        new("bidirectional", ArgKind.Bool, "Also run backwards and concatenate.", Default: "false"),
        new("carry_state", ArgKind.Bool, "Carry the final state into the next call (chunked long inputs).", Default: "false"),
        Bias,
    ];

    public override IReadOnlyList<PortInfo> Inputs { get; } = [new("x", "The sequence [B, T, C].")];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("seq", "The top layer's output at every step [B, T, hidden·directions].", Member: "Sequence"),
        new("last", "The top layer's final output [B, hidden·directions] (the backward direction's is its first step).", Member: "Last"),
        new("state", "The final state of every layer and direction.", PortKind.State, StateType: stateType),
    ];

    // Carried state between calls lives in the call's context.
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !layer.Positive("hidden") || !layer.Positive("layers") || !layer.Probability("dropout")) return false;
        var width = x.Last.Size!;
        var hidden = layer.Size("hidden").Size!;
        var layers = layer.IntExpr("layers", 1);
        var directions = Ex.If(layer.FlagExpr("bidirectional"), Ex.Int(2), Ex.Int(1));
        var bias = layer.FlagExpr("bias");
        var output = Ex.Mul(directions, hidden);
        var outputDim = Dim.Of(output, layer.Evaluate(output));
        layer.Output(x.WithLast(outputDim));
        layer.Output("last", x.Without(1).WithLast(outputDim));
        layer.Output("state", new StateType(stateType));

        // Per direction: gates × hidden × (input + hidden) weights, and two bias vectors when biased.
        // The first layer reads the input; the others read the previous layer's output.
        Expr PerLayer(Expr input) => Ex.Mul(directions, Ex.Add(Ex.Mul(Ex.Int(gates), hidden, Ex.Add(input, hidden)), Ex.When(bias, Ex.Mul(Ex.Int(2 * gates), hidden))));
        var rest = Ex.Mul(Ex.Add(layers, Ex.Int(-1)), PerLayer(output));
        layer.Parameters(Ex.Add(PerLayer(width), rest));
        layer.Construct(new NewCode("RecurrentOptions", [new ExprCode(width), layer.Code("hidden")],
            layer.Named(("layers", "Layers"), ("bias", "Bias"), ("dropout", "Dropout"), ("bidirectional", "Bidirectional"), ("carry_state", "CarryState"))));
        return true;
    }
}
