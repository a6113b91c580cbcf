using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding.Kinds;

/// <summary>
/// The wiring arguments <c>ltc</c> and <c>cfc</c> share (ncps's <c>FullyConnected</c>, <c>NCP</c> and
/// <c>AutoNCP</c>), flattened into the layer's own arguments: <c>wiring: ncp</c> with <c>inter</c>,
/// <c>command</c>, <c>motor</c> and the fan-outs beside it.
/// </summary>
internal static class Wirings
{
    /// <summary>The arguments each wiring reads, the required ones first.</summary>
    private static readonly Dictionary<string, (string[] Required, string[] Optional)> Reads = new()
    {
        ["none"] = (["units"], []),
        ["fully_connected"] = (["units"], ["outputs", "seed", "self_connections"]),
        ["ncp"] = (["inter", "command", "motor", "sensory_fanout", "inter_fanout", "recurrent_command_synapses", "motor_fanin"], ["seed"]),
        ["auto_ncp"] = (["units", "outputs"], ["sparsity", "seed"]),
    };

    private static readonly string[] Sizes = ["units", "outputs", "inter", "command", "motor", "sensory_fanout", "inter_fanout", "motor_fanin"];

    public static IReadOnlyList<ArgInfo> Args(string defaultWiring, string[] wirings) =>
    [
        new("units", ArgKind.Int, "Neurons N (fully_connected, auto_ncp; for a CfC without wiring, its state size)."),
        new("wiring", ArgKind.Enum, defaultWiring == "none"
            ? "none (ncps's CfC(units): a backbone, no sparsity), fully_connected, ncp or auto_ncp."
            : "fully_connected (ncps's LTC(units)), ncp or auto_ncp.", Default: defaultWiring, Values: wirings),
        new("outputs", ArgKind.Int, "Motor neurons M, the output features (auto_ncp; fully_connected: the first M neurons, default all)."),
        new("inter", ArgKind.Int, "ncp: inter neurons."),
        new("command", ArgKind.Int, "ncp: command neurons."),
        new("motor", ArgKind.Int, "ncp: motor neurons (the outputs)."),
        new("sensory_fanout", ArgKind.Int, "ncp: inter neurons each input reaches."),
        new("inter_fanout", ArgKind.Int, "ncp: command neurons each inter neuron reaches."),
        new("recurrent_command_synapses", ArgKind.Int, "ncp: random command → command synapses."),
        new("motor_fanin", ArgKind.Int, "ncp: command neurons each motor neuron listens to."),
        new("sparsity", ArgKind.Float, "auto_ncp: share of absent synapses, in [0.1, 1].", Default: "0.5"),
        new("seed", ArgKind.Int, "Seed of the wiring's draws (default: ncps's, 1111 fully connected, 22222 NCP)."),
        new("self_connections", ArgKind.Bool, "fully_connected: neurons synapse onto themselves.", Default: "true"),
    ];

    /// <summary>
    /// Checks the wiring arguments against <c>wiring:</c> and returns the neuron count N, the output
    /// features M, the neurons per wiring layer (in state order) and the wiring to construct (null:
    /// pass <c>Units</c> and <c>OutputSize</c> instead); null after reporting.
    /// </summary>
    public static BoundWiring? Bind(LayerBinding layer)
    {
        var wiring = layer.Word("wiring")!;
        var (required, optional) = Reads[wiring];
        foreach (var name in Reads.Values.SelectMany(r => r.Required.Concat(r.Optional)).Distinct())
            if (layer.Has(name) && !required.Contains(name) && !optional.Contains(name))
            {
                var users = Reads.Where(r => r.Value.Required.Contains(name) || r.Value.Optional.Contains(name)).Select(r => r.Key);
                return Fail(layer, Diagnostics.UnknownKey, layer.NodeOf(name), name, $"layer '{layer.Kind.Name}' with wiring {wiring}", $" (it applies to wiring: {string.Join(", ", users)})");
            }
        foreach (var name in required)
            if (layer.Arg(name) is not { IsNull: false })
                return Fail(layer, Diagnostics.MissingKey, layer.Key, $"Layer '{layer.Kind.Name}' with wiring {wiring}", name);
        foreach (var name in Sizes)
            if (!layer.Positive(name)) return null;
        if (layer.Has("sparsity") && layer.Number("sparsity", 0.5) is < 0.1 or > 1)
            return Fail(layer, Diagnostics.OutOfRange, layer.NodeOf("sparsity"), $"sparsity must be in [0.1, 1], not {layer.Number("sparsity", 0.5)}");
        if (layer.Arg("seed") is { IsNull: false } seed && seed.Value.Int < 0)
            return Fail(layer, Diagnostics.OutOfRange, seed.Node, $"seed must be 0 or more, not {seed.Value}");

        Dim Size(string name) => layer.Size(name);
        Code? Seed() => layer.Arg("seed") is { IsNull: false } s ? new ExprCode(new CastExpr("ulong", s.Expr!)) : null;
        EquatableArray<NamedCode> Named(params (string Name, Code? Code)[] pairs) =>
            pairs.Where(p => p.Code is not null).Select(p => new NamedCode(p.Name, p.Code!)).ToEquatableArray();
        switch (wiring)
        {
            case "none":
                return new BoundWiring(Size("units"), Size("units"), [Size("units").Size!], null);
            case "fully_connected":
            {
                var units = Size("units");
                var outputs = layer.Has("outputs") ? Size("outputs") : units;
                if (outputs.Default > units.Default)
                    return Fail(layer, Diagnostics.OutOfRange, layer.NodeOf("outputs"), $"outputs ({outputs.Default}) cannot exceed units ({units.Default})");
                // Without a seed or self_connections, Units and OutputSize say the same in fewer words.
                var code = layer.Has("seed") || layer.Has("self_connections")
                    ? new NewCode("FullyConnected", [layer.Code("units")], Named(("OutputDim", layer.Has("outputs") ? layer.Code("outputs") : null), ("Seed", Seed()), ("SelfConnections", layer.Has("self_connections") ? layer.Code("self_connections") : null)))
                    : null;
                return new BoundWiring(units, outputs, [units.Size!], code);
            }
            case "ncp":
            {
                Dim inter = Size("inter"), command = Size("command"), motor = Size("motor");
                foreach (var (fan, limit, what) in new[] { ("sensory_fanout", inter, "inter"), ("inter_fanout", command, "command"), ("motor_fanin", command, "command") })
                    if (layer.Value(fan, 1) > limit.Default)
                        return Fail(layer, Diagnostics.OutOfRange, layer.NodeOf(fan), $"{fan} ({layer.Value(fan, 1)}) cannot exceed the {what} neurons ({limit.Default})");
                if (layer.Value("recurrent_command_synapses", 0) < 0)
                    return Fail(layer, Diagnostics.OutOfRange, layer.NodeOf("recurrent_command_synapses"), "recurrent_command_synapses cannot be negative");
                var units = Ex.Add(Ex.Add(inter.Size!, command.Size!), motor.Size!);
                var code = new NewCode("Ncp", [layer.Code("inter"), layer.Code("command"), layer.Code("motor"), layer.Code("sensory_fanout"), layer.Code("inter_fanout"), layer.Code("recurrent_command_synapses"), layer.Code("motor_fanin")], Named(("Seed", Seed())));
                return new BoundWiring(Dim.Of(units, layer.Evaluate(units)), motor, [inter.Size!, command.Size!, motor.Size!], code);
            }
            default:
            {
                Dim units = Size("units"), outputs = Size("outputs");
                if (outputs.Default >= units.Default - 2)
                    return Fail(layer, Diagnostics.OutOfRange, layer.NodeOf("outputs"), $"auto_ncp needs outputs < units − 2, but has {outputs.Default} outputs for {units.Default} units");
                // ncps's AutoNCP: command = max(⌊0.4·(units − outputs)⌋, 1), inter the rest.
                var inner = Ex.Add(units.Size!, new Negate(outputs.Size!));
                var command = new CallExpr("max", new BinaryExpr("//", Ex.Mul(Ex.Int(2), inner), Ex.Int(5)), Ex.Int(1));
                var inter = Ex.Add(inner, new Negate(command));
                var code = new NewCode("AutoNcp", [layer.Code("units"), layer.Code("outputs")], Named(("SparsityLevel", layer.Has("sparsity") ? layer.Code("sparsity") : null), ("Seed", Seed())));
                return new BoundWiring(units, outputs, [inter, command, outputs.Size!], code);
            }
        }
    }

    private static BoundWiring? Fail(LayerBinding layer, Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, YamlNode at, params string[] arguments)
    {
        layer.Fail(descriptor, at, arguments);
        return null;
    }
}

/// <summary>A bound wiring: N neurons, M output features, the neurons per wiring layer, and what constructs it.</summary>
internal sealed record BoundWiring(Dim Units, Dim Outputs, EquatableArray<Expr> Layers, Code? Construct);
