using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>cfc</c>: ncps's closed-form continuous-time layer over a sequence, with a backbone or wired.</summary>
internal sealed class CfcKind : LayerKind
{
    private static readonly string[] BackboneArgs = ["backbone_units", "backbone_layers", "backbone_dropout", "activation"];

    public override string Name => "cfc";

    public override string Doc => "A closed-form continuous-time layer (ncps's CfC): the LTC's closed-form solution gated by elapsed time; a backbone network, or NCP-wired; modes default, no_gate and pure.";

    public override string RuntimeClass => "Cfc";

    public override string? ScalarArg => "units";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        .. Wirings.Args("none", ["none", "fully_connected", "ncp", "auto_ncp"]),
        new("mode", ArgKind.Enum, "default (gated), no_gate, or pure (the direct closed form).", Default: "default", Values: ["default", "no_gate", "pure"]),
        new("backbone_units", ArgKind.Int, "Width of the backbone (without wiring).", Default: "128"),
        new("backbone_layers", ArgKind.Int, "Backbone layers, 0 or more (without wiring).", Default: "1"),
        new("backbone_dropout", ArgKind.Float, "Dropout after backbone layers 2 … (without wiring).", Default: "0"),
        new("activation", ArgKind.Enum, "Backbone nonlinearity (without wiring).", Default: "lecun_tanh", Values: ["lecun_tanh", "silu", "relu", "tanh", "gelu"]),
        new("proj_size", ArgKind.Int, "Map every output step to this size with a Linear (fc).", Nullable: true),
        new("return_sequences", ArgKind.Bool, "Output every step [B, T, F] rather than the last [B, F].", Default: "true"),
        new("mixed_memory", ArgKind.Bool, "Run ncps's LSTM cell before the CfC cell at every step (state h and c).", Default: "false"),
        new("fuse", ArgKind.Bool, "Run the fused native sequence kernel where it applies (false: ncps's op-by-op composition).", Default: "true"),
    ];

    public override IReadOnlyList<PortInfo> Inputs { get; } =
    [
        new("x", "The sequence [B, T, S]."),
        new("elapsed", "Time elapsed at each step [B, T] (default 1), from a timestamps input.", Optional: true),
    ];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("out", "The output at every step [B, T, F] (or the last step [B, F]); F is proj_size, the motor neurons, or N.", Member: "Output"),
        new("h", "The final state [B, N] (a wired layer's in layer order: inter, command, motor).", Member: "H"),
        new("c", "The mixed-memory LSTM's final cell state [B, N].", Member: "C"),
    ];

    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !LiquidChecks.Elapsed(layer, x)) return false;
        var wired = layer.Word("wiring") != "none";
        if (wired && BackboneArgs.FirstOrDefault(layer.Has) is { } backboneArg)
            return layer.Fail(Diagnostics.UnknownKey, layer.NodeOf(backboneArg), backboneArg, $"layer 'cfc' with wiring {layer.Word("wiring")}", " (a wired CfC has no backbone; it applies to wiring: none)");
        if (!layer.Positive("backbone_units") || !layer.Positive("proj_size") || !layer.Probability("backbone_dropout")) return false;
        if (layer.Value("backbone_layers", 1) < 0) return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("backbone_layers"), $"backbone_layers cannot be negative, not {layer.Value("backbone_layers", 1)}");
        if (Wirings.Bind(layer) is not { } wiring) return false;
        if (layer.Word("wiring") == "fully_connected" && wiring.Outputs.Default != wiring.Units.Default)
            return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("outputs"), "a fully connected wired CfC outputs all its units; leave outputs out (or use proj_size)");
        if (!LiquidChecks.MixedMemoryState(layer)) return false;

        var inputs = x.Last.Size!;
        Expr n = wiring.Units.Size!;
        var features = layer.Arg("proj_size") is { IsNull: false } ? layer.Size("proj_size") : wired ? wiring.Outputs : wiring.Units;
        layer.Output(layer.Flag("return_sequences") ? x.WithLast(features) : x.Without(1).WithLast(features));
        layer.Output("h", x.Without(1).WithLast(wiring.Units));
        layer.Output("c", x.Without(1).WithLast(wiring.Units));

        var pure = layer.Word("mode") == "pure";
        // ff1 (with ff2, time_a and time_b unless pure; pure has w_tau and A [1, N] instead), each Linear(width → size).
        Expr Heads(Expr width, Expr size) => pure
            ? Ex.Add(Ex.Mul(size, Ex.Add(width, Ex.Int(1))), Ex.Mul(Ex.Int(2), size))
            : Ex.Mul(Ex.Int(4), size, Ex.Add(width, Ex.Int(1)));
        Expr cell;
        if (!wired)
        {
            var units = layer.IntExpr("backbone_units", 128);
            var depth = layer.IntExpr("backbone_layers", 1);
            var catWidth = Ex.Add(inputs, n);
            var noBackbone = Ex.Less(depth, Ex.Int(1));
            var backbone = Ex.If(noBackbone, Ex.Int(0), Ex.Add(
                Ex.Mul(units, Ex.Add(catWidth, Ex.Int(1))),
                Ex.Mul(Ex.Add(depth, Ex.Int(-1)), units, Ex.Add(units, Ex.Int(1)))));
            cell = Ex.Add(backbone, Heads(Ex.If(noBackbone, catWidth, units), n));
        }
        else
        {
            // One cell per wiring layer, reading the previous layer's neurons (the first reads the input) and its own.
            var sources = new[] { inputs }.Concat(wiring.Layers.Take(wiring.Layers.Count - 1));
            cell = Ex.Sum(wiring.Layers.Zip(sources, (size, source) => Heads(Ex.Add(source, size), size)));
        }
        var projection = layer.Arg("proj_size") is { IsNull: false } proj
            ? Ex.Mul(proj.Expr!, Ex.Add((wired ? wiring.Outputs : wiring.Units).Size!, Ex.Int(1)))
            : Ex.Int(0);
        layer.Parameters(Ex.Sum(cell, Ex.When(layer.FlagExpr("mixed_memory"), LiquidChecks.LstmParameters(inputs, n)), projection));

        var named = new List<NamedCode>();
        if (wiring.Construct is { } construct) named.Add(new NamedCode("Wiring", construct));
        else if (layer.Word("wiring") == "fully_connected") named.Add(new NamedCode("Wiring", new NewCode("FullyConnected", [layer.Code("units")], [])));
        else named.Add(new NamedCode("Units", layer.Code("units")));
        if (layer.Has("mode")) named.Add(new NamedCode("Mode", layer.EnumCode("mode", "CfcMode")));
        named.AddRange(layer.Named(("backbone_units", "BackboneUnits"), ("backbone_layers", "BackboneLayers"), ("backbone_dropout", "BackboneDropout")));
        if (layer.Has("activation")) named.Add(new NamedCode("Activation", layer.EnumCode("activation", "CfcActivation")));
        named.AddRange(layer.Named(("proj_size", "ProjSize"), ("mixed_memory", "MixedMemory"), ("return_sequences", "ReturnSequences"), ("fuse", "Fuse")));
        layer.Construct(new NewCode("CfcOptions", [new ExprCode(inputs)], named.ToEquatableArray()));
        return true;
    }
}
