using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;

namespace Liquid.Generator.Binding.Kinds;

/// <summary><c>ltc</c>: ncps's liquid time-constant layer over a sequence, fully connected or wired.</summary>
internal sealed class LtcKind : LayerKind
{
    public override string Name => "ltc";

    public override string Doc => "A liquid time-constant layer (ncps's LTC): conductance-based synapses, a semi-implicit ODE update unfolded per step, elapsed time per step; fully connected or NCP-wired.";

    public override string RuntimeClass => "Ltc";

    public override string? ScalarArg => "units";

    public override IReadOnlyList<ArgInfo> Args { get; } =
    [
        .. Wirings.Args("fully_connected", ["fully_connected", "ncp", "auto_ncp"]),
        new("return_sequences", ArgKind.Bool, "Output every step [B, T, M] rather than the last [B, M].", Default: "true"),
        new("mixed_memory", ArgKind.Bool, "Run ncps's LSTM cell before the LTC cell at every step (state h and c).", Default: "false"),
        new("input_mapping", ArgKind.Enum, "Per-input scale and shift (affine), scale only (linear) or none.", Default: "affine", Values: ["affine", "linear", "none"]),
        new("output_mapping", ArgKind.Enum, "Per-motor-neuron scale and shift (affine), scale only (linear) or none.", Default: "affine", Values: ["affine", "linear", "none"]),
        new("ode_unfolds", ArgKind.Int, "Semi-implicit Euler steps per input step.", Default: "6"),
        new("epsilon", ArgKind.Float, "Added to the update's denominator.", Default: "1e-8"),
        new("constraints", ArgKind.Enum, "Positivity of w, sensory_w, cm and gleak: softplus at use, clamp after each optimizer step, or none.", Default: "softplus", Values: ["softplus", "clamp", "none"]),
        new("fuse", ArgKind.Bool, "Run the fused native kernels (false: ncps's op-by-op composition).", Default: "true"),
    ];

    public override IReadOnlyList<PortInfo> Inputs { get; } =
    [
        new("x", "The sequence [B, T, S]."),
        new("elapsed", "Time elapsed at each step [B, T] (default 1), from a timestamps input.", Optional: true),
    ];

    public override IReadOnlyList<PortInfo> Outputs { get; } =
    [
        new("out", "The motor neurons at every step [B, T, M] (or the last step [B, M]).", Member: "Output"),
        new("h", "The final state of all N neurons [B, N], motor neurons first.", Member: "H"),
        new("c", "The mixed-memory LSTM's final cell state [B, N].", Member: "C"),
    ];

    // The context carries the state across calls when the caller keeps one (chunked sequences).
    public override bool TakesContext => true;

    public override bool Bind(LayerBinding layer)
    {
        if (layer.Sequence() is not { } x || !LiquidChecks.Elapsed(layer, x) || !layer.Positive("ode_unfolds")) return false;
        if (layer.Number("epsilon", 1e-8) < 0) return layer.Fail(Diagnostics.OutOfRange, layer.NodeOf("epsilon"), "epsilon cannot be negative");
        if (Wirings.Bind(layer) is not { } wiring) return false;
        if (!LiquidChecks.MixedMemoryState(layer)) return false;
        var inputs = x.Last.Size!;
        Expr n = wiring.Units.Size!, m = wiring.Outputs.Size!;
        layer.Output(layer.Flag("return_sequences") ? x.WithLast(wiring.Outputs) : x.Without(1).WithLast(wiring.Outputs));
        layer.Output("h", x.Without(1).WithLast(wiring.Units));
        layer.Output("c", x.Without(1).WithLast(wiring.Units));

        // gleak, vleak, cm [N]; sigma, mu, w, erev [N, N]; sensory sigma, mu, w, erev [S, N]; the
        // mappings; the LSTM. Every synapse is a parameter: the wiring masks them, it does not drop them.
        static Expr Mapping(string word, Expr size) => word switch { "affine" => Ex.Mul(Ex.Int(2), size), "linear" => size, _ => Ex.Int(0) };
        layer.Parameters(Ex.Sum(
            Ex.Mul(Ex.Int(3), n), Ex.Mul(Ex.Int(4), n, n), Ex.Mul(Ex.Int(4), inputs, n),
            Mapping(layer.Word("input_mapping")!, inputs), Mapping(layer.Word("output_mapping")!, m),
            Ex.When(layer.FlagExpr("mixed_memory"), LiquidChecks.LstmParameters(inputs, n))));

        var named = new List<NamedCode>();
        if (wiring.Construct is { } construct) named.Add(new NamedCode("Wiring", construct));
        else
        {
            named.Add(new NamedCode("Units", layer.Code("units")));
            if (layer.Has("outputs")) named.Add(new NamedCode("OutputSize", layer.Code("outputs")));
        }
        named.AddRange(layer.Named(("return_sequences", "ReturnSequences"), ("mixed_memory", "MixedMemory")));
        foreach (var (arg, option, type) in new[] { ("input_mapping", "InputMapping", "LtcMapping"), ("output_mapping", "OutputMapping", "LtcMapping"), ("constraints", "Constraints", "LtcConstraint") })
            if (layer.Has(arg)) named.Add(new NamedCode(option, layer.EnumCode(arg, type)));
        named.AddRange(layer.Named(("ode_unfolds", "OdeUnfolds"), ("epsilon", "Epsilon"), ("fuse", "Fuse")));
        layer.Construct(new NewCode("LtcOptions", [new ExprCode(inputs)], named.ToEquatableArray()));
        return true;
    }
}

/// <summary>Checks <c>ltc</c> and <c>cfc</c> share.</summary>
internal static class LiquidChecks
{
    /// <summary>The optional elapsed-time input is float[B, T] of the sequence's B and T.</summary>
    public static bool Elapsed(LayerBinding layer, TensorType x)
    {
        if (layer.Input(1) is not { } given) return true;
        if (given is not TensorType { IsFloating: true, Rank: 2 } elapsed || !elapsed.Dims[0].Matches(x.Dims[0]) || !elapsed.Dims[1].Matches(x.Dims[1]))
            return layer.Fail(Diagnostics.ShapeMismatch, layer.Key, $"'{layer.Kind.Name}' takes one elapsed time per step of {x.Display}, float[{x.Dims[0]}, {x.Dims[1]}], but receives {given.Display}");
        return true;
    }

    /// <summary>Only a mixed-memory layer has a cell state to bind.</summary>
    public static bool MixedMemoryState(LayerBinding layer) =>
        !layer.IsBound("c") || layer.Flag("mixed_memory")
            || layer.Fail(Diagnostics.OutOfRange, layer.Key, $"'{layer.Kind.Name}' has a cell state c only with mixed_memory: true");

    /// <summary>ncps's mixed-memory LSTM cell: input_map [4N, S] with bias, recurrent_map [4N, N] without.</summary>
    public static Expr LstmParameters(Expr inputs, Expr n) =>
        Ex.Sum(Ex.Mul(Ex.Int(4), n, inputs), Ex.Mul(Ex.Int(4), n), Ex.Mul(Ex.Int(4), n, n));
}
