using Liquid.Generator.Parsing;
using System.Collections.Generic;
using System.Linq;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>async_liquid_cell</c>: a state updated once per chunk from one query's attention over it.</summary>
internal sealed class AsyncLiquidCellKind : LayerKind
{
    public override string Name => "async_liquid_cell";

    public override string Doc => "The asynchronous liquid cell: x' = x + Linear(timestamps); once a chunk is complete, one query from the state h attends over it (softmax(Kq/√H)) and the context drives a liquid time cell; every position reads x' + readout(h of the earlier chunks). Causal; state and an incomplete chunk carried across calls.";

    public override string RuntimeClass => "AsyncLiquidCell";

    public override string? ScalarArg => "units";

    public override bool UsesOdeSolvers => true;

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("chunk", ArgKind.Int, "Positions per chunk: the state moves once per complete chunk.", Default: "4096"),
        .. LiquidCellArgs.TimeCell,
    ];

    public override IReadOnlyList<PortInfo> Inputs { get; } =
    [
        new("x", "The stream [B, T, C]."),
        new("timestamps", "Event times [B, T] in [0, 1] (absent: each position's regular place in its chunk).", Optional: true),
    ];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("out", "x' + readout(h) [B, T, C].", Member: "Output"),
        new("h", "The state after the last complete chunk [B, H].", Member: "H"),
        new("attention", "Each position's weight in its chunk's attention [B, T] (0 until the chunk completes).", Member: "Attention"),
    ];

    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !layer.Positive("chunk") || !LiquidCellArgs.CheckNeuron(layer) || !LiquidCellArgs.CheckSolver(layer)) return false;
        if (layer.Input(1) is { } given && (given is not TensorType { IsFloating: true, Rank: 2 } times || !times.Dims[0].Matches(x.Dims[0]) || !times.Dims[1].Matches(x.Dims[1])))
            return layer.Fail(Diagnostics.ShapeMismatch, layer.Key, $"'async_liquid_cell' takes one timestamp per position of {x.Display}, float[{x.Dims[0]}, {x.Dims[1]}], but receives {given.Display}");
        Expr c = x.Last.Size!, h = layer.Size("units").Size!;
        layer.Output(x);
        layer.Output("h", x.Without(1).WithLast(layer.Size("units")));
        layer.Output("attention", x.Without(2));
        // time 2C; key and value C·H + H each; query H·H + H; readout H·C + C; the cell (input H) and its gate.
        layer.Parameters(Ex.Sum(Ex.Mul(Ex.Int(3), c), Ex.Mul(Ex.Int(3), c, h), Ex.Mul(Ex.Int(3), h), Ex.Mul(h, h),
            LiquidCellArgs.NeuronParameters(layer, h, layer.Flag("adaptive")), h));
        var cell = LiquidCellArgs.TimeCellOptions(layer, new ExprCode(h));
        layer.Construct(new NewCode("AsyncLiquidCellOptions", [new ExprCode(c), layer.CodeOr("chunk", new ExprCode(Ex.Int(4096))), cell], []));
        return true;
    }
}
