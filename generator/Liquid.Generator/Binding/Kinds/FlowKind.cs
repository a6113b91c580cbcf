using System.Collections.Generic;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>flow</c>: a stack of alternating affine couplings that keeps the first <c>latent</c> features.</summary>
internal sealed class FlowKind : LayerKind
{
    public override string Name => "flow";

    public override string Doc => "A normalizing flow of num_flows affine couplings with alternating halves (every feature transformed), keeping the first latent features; outputs the reduced value, the summed log-determinant, the full output z and the flow's negative log-likelihood per dimension as an auxiliary loss.";

    public override string RuntimeClass => "Flow";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        new("hidden", ArgKind.Int, "Hidden width of the couplings' scale and shift networks.", Required: true),
        new("num_flows", ArgKind.Int, "Couplings; coupling i conditions on the first half when i is even, on the second when odd.", Default: "4"),
        new("latent", ArgKind.Int, "Features kept of the output (the first ones; null keeps all).", Nullable: true),
        new("shared", ArgKind.Bool, "One scale and one shift network for every coupling (an even number of features).", Default: "false"),
    ];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("out", "The first latent features of the flow's output […, latent].", Member: "Output"),
        new("log_det", "log|det ∂z/∂x| summed over the couplings, per position […].", Member: "LogDet"),
        new("nll", "−log p(x) per dimension under a standard normal base, averaged over positions: a scalar loss.", PortKind.Loss, Member: "Nll"),
        new("z", "The flow's full output […, D] (what the inverse takes).", Member: "Z"),
    ];

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Features(0) is not { } x) return false;
        if (!layer.Positive("hidden") || !layer.Positive("num_flows") || !layer.Positive("latent")) return false;
        var dim = x.Last.Size!;
        var features = layer.Evaluate(dim);
        if (features < 2) return layer.Fail(Diagnostics.OutOfRange, layer.Key, $"'flow' needs at least 2 features to split, but receives {x.Display}");
        if (layer.Arg("latent") is { IsNull: false } latent && latent.Value.Int > features)
            return layer.Fail(Diagnostics.OutOfRange, latent.Node, $"latent ({latent.Value.Int}) cannot exceed the {features} features the flow receives");
        var shared = layer.Flag("shared");
        if (shared && features % 2 != 0)
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("shared"), $"shared networks need an even number of features (both halves alike), but the flow receives {features}");

        layer.Output(layer.Arg("latent") is { IsNull: false } ? x.WithLast(layer.Size("latent")) : x);
        layer.Output("log_det", x.Without(x.Rank - 1));
        layer.Output("z", x);
        var hidden = layer.IntExpr("hidden", 1);
        var flows = layer.IntExpr("num_flows", 4);
        // Shared: the two networks of one even coupling. Otherwise ⌈K/2⌉ couplings of parity 0 and ⌊K/2⌋ of parity 1.
        layer.Parameters(shared ? Flows.CouplingParameters(dim, hidden, 0)
            : Ex.Add(Ex.Mul(Ex.Div(Ex.Add(flows, Ex.Int(1)), Ex.Int(2)), Flows.CouplingParameters(dim, hidden, 0)),
                Ex.Mul(Ex.Div(flows, Ex.Int(2)), Flows.CouplingParameters(dim, hidden, 1))));
        layer.Construct(new NewCode("FlowOptions", [new ExprCode(dim), layer.Code("hidden")],
            layer.Named(("num_flows", "NumFlows"), ("latent", "Latent"), ("shared", "Shared"))));
        return true;
    }
}
