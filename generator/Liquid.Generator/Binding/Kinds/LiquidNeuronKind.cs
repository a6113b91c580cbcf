using Liquid.Generator.Parsing;
using System.Collections.Generic;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>liquid_neuron</c> and <c>adaptive_liquid_neuron</c>: SEED-MODELS §4's neurons, one Euler step per position.</summary>
internal sealed class LiquidNeuronKind : LayerKind
{
    public static readonly LiquidNeuronKind Plain = new(adaptive: false);
    public static readonly LiquidNeuronKind Adaptive = new(adaptive: true);

    private readonly bool _adaptive;

    private LiquidNeuronKind(bool adaptive) => _adaptive = adaptive;

    public override string Name => _adaptive ? "adaptive_liquid_neuron" : "liquid_neuron";

    public override string Doc => _adaptive
        ? "Adaptive liquid neurons over a sequence: dh/dt = LN((−decay⊙h + (1 + a)⊙Wx + b)/(τ⊙σ(a))), a = tanh(MLP(h)), one Euler step of dt per position; state carried across calls."
        : "Liquid neurons over a sequence: dh/dt = LN((−decay⊙h + Wx + b)/τ), one Euler step of dt per position; state carried across calls.";

    public override string RuntimeClass => "LiquidNeuron";

    public override string? ScalarArg => "units";

    public override IReadOnlyList<ArgInfo> Args => _adaptive ? LiquidCellArgs.AdaptiveNeuron : LiquidCellArgs.Neuron;

    public override IReadOnlyList<PortInfo> Inputs { get; } = [new("x", "The sequence [B, T, C].")];

    public override IReadOnlyList<PortInfo> Outputs => LiquidCellArgs.CellOutputs;

    // Dropout's training flag comes from the module; the context carries the state across calls.
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !LiquidCellArgs.CheckNeuron(layer)) return false;
        var c = x.Last.Size!;
        LiquidCellArgs.CellOutputTypes(layer, x);
        layer.Parameters(LiquidCellArgs.NeuronParameters(layer, c, _adaptive));
        layer.Construct(LiquidCellArgs.NeuronOptions(layer, new ExprCode(c), _adaptive));
        return true;
    }
}

/// <summary>The arguments, checks and codes the liquid cell kinds share.</summary>
internal static class LiquidCellArgs
{
    public static readonly IReadOnlyList<ArgInfo> Neuron =
    [
        new("units", ArgKind.Int, "Neurons H.", Required: true),
        new("dt", ArgKind.Float, "Time per position.", Default: "1"),
    ];

    public static readonly IReadOnlyList<ArgInfo> AdaptiveNeuron =
    [
        .. Neuron,
        new("adaptive_hidden", ArgKind.Int, "Width of the modulation MLP (null: units).", Nullable: true),
        new("dropout", ArgKind.Float, "Dropout on the modulation a while training.", Default: "0"),
    ];

    public static readonly IReadOnlyList<PortInfo> CellOutputs =
    [
        new("out", "Every state [B, T, H].", Member: "Output"),
        new("h", "The last state [B, H].", Member: "H"),
    ];

    private static readonly string[] Solvers = ["dopri5", "rk4", "midpoint", "euler"];

    /// <summary>solver, rtol, atol and step_size with the given defaults.</summary>
    public static IEnumerable<ArgInfo> Solver(string solver, string tolerance) =>
    [
        new("solver", ArgKind.Enum, "dopri5 (adaptive) or a fixed-grid solver.", Default: solver, Values: Solvers),
        new("rtol", ArgKind.Float, "dopri5's relative tolerance.", Default: tolerance),
        new("atol", ArgKind.Float, "dopri5's absolute tolerance.", Default: tolerance),
        new("step_size", ArgKind.Float, "Step of a fixed-grid solver (null: one step over the span).", Nullable: true),
    ];

    /// <summary>The time cell's arguments: the adaptive neuron's, the solver's, the adjoint.</summary>
    public static readonly IReadOnlyList<ArgInfo> TimeCell =
    [
        .. AdaptiveNeuron,
        new("adaptive", ArgKind.Bool, "Adaptive neurons (modulated synapses and time constants).", Default: "false"),
        .. Solver("rk4", "1e-3"),
        new("adjoint", ArgKind.Bool, "Gradients of each position's solve by the adjoint method.", Default: "false"),
    ];

    public static bool CheckSolver(LayerBinding layer)
    {
        foreach (var tolerance in new[] { "rtol", "atol" })
            if (layer.Has(tolerance) && !(layer.Number(tolerance, 1) > 0))
                return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf(tolerance), $"{tolerance} must be positive, not {layer.Number(tolerance, 1)}");
        if (layer.Arg("step_size") is { IsNull: false } step && !(step.Value.AsDouble > 0))
            return layer.Fail(Diagnostics.OutOfRange, step.Node, $"step_size must be positive, not {step.Value}");
        return true;
    }

    public static bool CheckNeuron(LayerBinding layer)
    {
        if (!layer.Positive("units") || !layer.Positive("adaptive_hidden") || !layer.Probability("dropout")) return false;
        if (layer.Has("dt") && !(layer.Number("dt", 1) > 0))
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("dt"), $"dt must be positive, not {layer.Number("dt", 1)}");
        return true;
    }

    public static void CellOutputTypes(LayerBinding layer, TensorType x)
    {
        var units = layer.Size("units");
        layer.Output(x.WithLast(units));
        layer.Output("h", x.Without(1).WithLast(units));
    }

    /// <summary>input C·H + H, decay, log τ, norm 2H; adaptive: fc1 H·A + A, fc2 A·H + H.</summary>
    public static Expr NeuronParameters(LayerBinding layer, Expr inputs, bool adaptive)
    {
        var h = layer.Size("units").Size!;
        var a = layer.Arg("adaptive_hidden") is { IsNull: false, Expr: { } given } ? given : h;
        var neuron = Ex.Add(Ex.Mul(inputs, h), Ex.Mul(Ex.Int(5), h));
        return adaptive ? Ex.Sum(neuron, Ex.Mul(Ex.Int(2), h, a), a, h) : neuron;
    }

    public static Code NeuronOptions(LayerBinding layer, Code inputs, bool adaptive)
    {
        var named = new List<NamedCode>();
        if (adaptive) named.Add(new NamedCode("Adaptive", new BoolCode(true)));
        named.AddRange(layer.Named(("adaptive_hidden", "AdaptiveHidden"), ("dropout", "Dropout"), ("dt", "Dt")));
        return new NewCode("LiquidNeuronOptions", [inputs, layer.Code("units")], named.ToEquatableArray());
    }

    public static IEnumerable<NamedCode> SolverNamed(LayerBinding layer, bool stepSize)
    {
        var named = new List<NamedCode>();
        if (layer.Has("solver")) named.Add(new NamedCode("Solver", new EnumCode("OdeMethod", Names.Pascal(layer.Word("solver")!))));
        named.AddRange(layer.Named(("rtol", "Rtol"), ("atol", "Atol")));
        if (stepSize) named.AddRange(layer.Named(("step_size", "StepSize")));
        return named;
    }

    /// <summary>LiquidTimeCellOptions(neuron, solver…, adjoint).</summary>
    public static Code TimeCellOptions(LayerBinding layer, Code inputs)
    {
        var named = new List<NamedCode>();
        if (layer.Has("solver")) named.Add(new NamedCode("Solver", new EnumCode("OdeMethod", Names.Pascal(layer.Word("solver")!))));
        named.AddRange(layer.Named(("step_size", "StepSize"), ("rtol", "Rtol"), ("atol", "Atol"), ("adjoint", "Adjoint")));
        return new NewCode("LiquidTimeCellOptions", [NeuronOptions(layer, inputs, layer.Flag("adaptive"))], named.ToEquatableArray());
    }
}
