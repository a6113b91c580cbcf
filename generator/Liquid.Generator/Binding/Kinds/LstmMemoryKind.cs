using System.Collections.Generic;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>lstm_memory</c>: the Liquid Foundation's LSTM memory between decoder layers.</summary>
internal sealed class LstmMemoryKind : LayerKind
{
    public override string Name => "lstm_memory";

    public override string Doc => "x + Linear(GELU(Linear(dropout(LSTM(x))))) with the LSTM starting from a given state (zeros when absent) and returning its final state: pass it from block to block with repeat's carry.";

    public override string RuntimeClass => "LstmMemory";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("hidden", ArgKind.Int, "LSTM hidden size.", Default: "256"),
        new("layers", ArgKind.Int, "Stacked LSTM layers.", Default: "2"),
        new("dropout", ArgKind.Float, "Dropout on the LSTM's outputs while training.", Default: "0.1"),
        new("lstm_dropout", ArgKind.Float, "Dropout between stacked LSTM layers while training (nn.LSTM's dropout).", Default: "0"),
        new("mlp_hidden", ArgKind.Int, "Width between the two Linear layers (null: the stream's width).", Nullable: true),
    ];

    public override IReadOnlyList<PortInfo> Inputs { get; } =
    [
        new("x", "The stream [B, T, C]."),
        new("state", "The previous memory's final state (absent: zeros).", PortKind.State, Optional: true, StateType: "LstmState"),
    ];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("out", "x plus the memory's contribution [B, T, C].", Member: "Output"),
        new("state", "The LSTM's final (h, c), each [layers, B, hidden]: the next memory's initial state.", PortKind.State, StateType: "LstmState"),
    ];

    // The training flag (dropout).
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x) return false;
        if (layer.Input(1) is { } state && state is not StateType { RuntimeType: "LstmState" })
            return layer.Fail(Diagnostics.ShapeMismatch, layer.Key, $"'lstm_memory' takes an LSTM state (state LstmState) as 'state' but receives {state.Display}");
        foreach (var size in new[] { "hidden", "layers", "mlp_hidden" })
            if (!layer.Positive(size)) return false;
        if (!layer.Probability("dropout") || !layer.Probability("lstm_dropout")) return false;
        var c = x.Last.Size!;
        var hidden = layer.IntExpr("hidden", 256);
        var layers = layer.IntExpr("layers", 2);
        var inner = layer.Arg("mlp_hidden") is { IsNull: false, Expr: { } given } ? given : c;
        layer.Output(x);
        layer.Output("state", new StateType("LstmState"));
        // nn.LSTM: per layer 4·hidden·(input + hidden) weights and two bias vectors of 4·hidden, the
        // first layer reading C, the others hidden; then fc hidden → inner and proj inner → C.
        Expr PerLayer(Expr input) => Ex.Add(Ex.Mul(Ex.Int(4), hidden, Ex.Add(input, hidden)), Ex.Mul(Ex.Int(8), hidden));
        var lstm = Ex.Add(PerLayer(c), Ex.Mul(Ex.Add(layers, Ex.Int(-1)), PerLayer(hidden)));
        layer.Parameters(Ex.Sum(lstm, Ex.Add(Ex.Mul(hidden, inner), inner), Ex.Add(Ex.Mul(inner, c), c)));
        layer.Construct(new NewCode("LstmMemoryOptions", [new ExprCode(c)],
            layer.Named(("hidden", "Hidden"), ("layers", "Layers"), ("dropout", "Dropout"), ("lstm_dropout", "LstmDropout"), ("mlp_hidden", "MlpHidden"))));
        return true;
    }
}
