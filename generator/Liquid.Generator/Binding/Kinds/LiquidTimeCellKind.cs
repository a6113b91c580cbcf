using Liquid.Generator.Parsing;
using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>liquid_time_cell</c>: the liquid neuron ODE integrated at every position, with a stability gate.</summary>
internal sealed class LiquidTimeCellKind : LayerKind
{
    public override string Name => "liquid_time_cell";

    public override string Doc => "A liquid time cell over a sequence: at each position the (adaptive) liquid neuron ODE is integrated over dt from the previous state, and a learnable stability gate takes part of the move, h ← h + σ(g)⊙(ĥ − h); adjoint optional; state carried across calls.";

    public override string RuntimeClass => "LiquidTimeCell";

    public override string? ScalarArg => "units";

    public override bool UsesOdeSolvers => true;

    public override IReadOnlyList<ArgInfo> Args => LiquidCellArgs.TimeCell;

    public override IReadOnlyList<PortInfo> Inputs { get; } = [new("x", "The sequence [B, T, C].")];

    public override IReadOnlyList<PortInfo> Outputs => LiquidCellArgs.CellOutputs;

    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !LiquidCellArgs.CheckNeuron(layer) || !LiquidCellArgs.CheckSolver(layer)) return false;
        var c = x.Last.Size!;
        LiquidCellArgs.CellOutputTypes(layer, x);
        layer.Parameters(Ex.Add(LiquidCellArgs.NeuronParameters(layer, c, layer.Flag("adaptive")), layer.Size("units").Size!)); // + the gate
        layer.Construct(LiquidCellArgs.TimeCellOptions(layer, new ExprCode(c)));
        return true;
    }
}
