using System.Collections.Generic;
using Liquid.Generator.Parsing;

using System.Linq;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>neural_ode</c>: integrates dy/dt = f(t, y), f a body of layers, from the input as y(t0).</summary>
internal sealed class NeuralOdeKind : LayerKind
{
    private static readonly string[] Solvers = ["dopri5", "rk4", "midpoint", "euler"];

    public override string Name => "neural_ode";

    public override string Doc => "A neural ODE: integrates dy/dt = field(t, y) from the input y0 over [t0, t1] or given times (torchdiffeq's odeint, dopri5 or fixed-grid), by backpropagation or the adjoint.";

    public override string RuntimeClass => "NeuralOde";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("field", ArgKind.Body, "The vector field: layers that read the state y (the stream) and may read t by name; they return dy/dt of y's shape.", Required: true),
        new("solver", ArgKind.Enum, "dopri5 (adaptive) or a fixed-grid solver.", Default: "dopri5", Values: Solvers),
        new("rtol", ArgKind.Float, "dopri5's relative tolerance.", Default: "1e-7"),
        new("atol", ArgKind.Float, "dopri5's absolute tolerance.", Default: "1e-9"),
        new("step_size", ArgKind.Float, "Step of a fixed-grid solver (null: the output times themselves).", Nullable: true),
        new("t0", ArgKind.Float, "Start of the time span (without a times input).", Default: "0"),
        new("t1", ArgKind.Float, "End of the time span.", Default: "1"),
        new("adjoint", ArgKind.Bool, "Gradients by the adjoint method: memory independent of the number of steps.", Default: "false"),
        new("output", ArgKind.Enum, "The state at the last time, or at every output time.", Default: "final", Values: ["final", "trajectory"]),
        new("points", ArgKind.Int, "Output times evenly spaced over [t0, t1] for a trajectory (default: t0 and t1).", Nullable: true),
        new("batch_first", ArgKind.Bool, "A trajectory as [B, N, …] (the language's layout) rather than torchdiffeq's [N, B, …].", Default: "true"),
        new("max_num_steps", ArgKind.Int, "dopri5's limit on steps between two output times.", Default: "2147483647"),
    ];

    public override IReadOnlyList<PortInfo> Inputs { get; } =
    [
        new("x", "The initial state y0 (any shape, e.g. [B, D])."),
        new("times", "Output times float[N], strictly monotone (default: [t0, t1]).", Optional: true),
    ];

    // Reports its number of field evaluations per call as a measurement.
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Tensor(floating: true) is not { } y0) return false;
        if (layer.Input(1) is { } timesType && timesType is not TensorType { IsFloating: true, Rank: 1 })
            return layer.Fail(Diagnostics.ShapeMismatch, layer.Key, $"'neural_ode' takes its times as float[N], but receives {timesType.Display}");
        foreach (var tolerance in new[] { "rtol", "atol" })
            if (layer.Number(tolerance, 1) <= 0) return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf(tolerance), $"{tolerance} must be positive, not {layer.Number(tolerance, 1)}");
        if (layer.Arg("step_size") is { IsNull: false } step && step.Value.AsDouble <= 0)
            return layer.Fail(Diagnostics.OutOfRange, step.Node, $"step_size must be positive, not {step.Value}");
        if (layer.Number("t0", 0) == layer.Number("t1", 1))
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("t1"), "t0 and t1 must differ: the time span is empty");
        if (!layer.Positive("max_num_steps")) return false;
        if (layer.VectorField("field", y0) is not { } field) return false;

        var trajectory = layer.Word("output") == "trajectory";
        if (layer.Arg("points") is { IsNull: false } points)
        {
            if (points.Value.Int < 2) return layer.Fail(Diagnostics.OutOfRange, points.Node, $"points must be at least 2, not {points.Value}");
            if (layer.Input(1) is not null) return layer.Fail(Diagnostics.OutOfRange, points.Node, "give the output times either as an input or as points, not both");
        }
        var times = layer.Input(1) is TensorType given ? given.Dims[0] : layer.Arg("points") is { IsNull: false } ? layer.Size("points") : Dim.Of(2);
        var batchFirst = layer.Flag("batch_first") && y0.Rank >= 1;
        layer.Output(!trajectory ? y0
            : batchFirst ? new TensorType(y0.Element, new[] { y0.Dims[0], times }.Concat(y0.Dims.Skip(1)).ToEquatableArray())
            : new TensorType(y0.Element, new[] { times }.Concat(y0.Dims).ToEquatableArray()));
        layer.Parameters(field.Parameters);

        var named = new List<NamedCode>();
        if (layer.Has("solver")) named.Add(new NamedCode("Solver", new EnumCode("OdeMethod", Names.Pascal(layer.Word("solver")!))));
        named.AddRange(layer.Named(("rtol", "Rtol"), ("atol", "Atol"), ("step_size", "StepSize"), ("t0", "T0"), ("t1", "T1"), ("adjoint", "Adjoint")));
        if (trajectory) named.Add(new NamedCode("Output", new EnumCode("NeuralOdeOutput", "Trajectory")));
        named.AddRange(layer.Named(("max_num_steps", "MaxNumSteps"), ("points", "Points")));
        if (trajectory) named.Add(new NamedCode("BatchFirst", layer.Arg("batch_first")?.Code ?? new BoolCode(true)));
        layer.Construct(new NewCode("NeuralOdeOptions", [], named.ToEquatableArray()), field.Construct);
        return true;
    }
}
