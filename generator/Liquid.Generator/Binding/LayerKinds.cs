using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Binding.Kinds;

namespace Liquid.Generator.Binding;

/// <summary>
/// The registry of layer kinds: one entry per kind, each defined in its own file under
/// <c>Binding/Kinds/</c>. The binder checks files against it, the emitter builds from what it binds,
/// and the JSON Schema, the README's table and the runtime classes are tested against it.
/// </summary>
internal static class LayerKinds
{
    public static IReadOnlyList<LayerKind> All { get; } =
    [
        new TokenEmbeddingKind(),
        new PositionEmbeddingKind(),
        new DropoutKind(),
        new LayerNormKind(),
        new RmsNormKind(),
        new LinearKind(),
        new ActivationKind(),
        new PowerKind(),
        new MlpKind(),
        new AttentionKind(),
        new Conv1dKind(),
        RecurrentKind.Lstm,
        RecurrentKind.Gru,
        RecurrentKind.Rnn,
        new LmHeadKind(),
        new TimeEmbeddingKind(),
        new ActivityRegularizationKind(),
        new NeuralOdeKind(),
        new LtcKind(),
        new CfcKind(),
        new LiquidEmbeddingKind(),
        new DiffAttentionKind(),
        new MoeKind(),
        new DeformableConv1dKind(),
        new GatedConvKind(),
        new LstmMemoryKind(),
        new FfLnKind(),
        new AffineCouplingKind(),
        new FlowKind(),
        new OdeEmbeddingKind(),
        LiquidNeuronKind.Plain,
        LiquidNeuronKind.Adaptive,
        new LiquidTimeCellKind(),
        new AsyncLiquidCellKind(),
        new CustomKind(),
    ];

    /// <summary>Structural forms that hold other layers rather than being layers.</summary>
    public static IReadOnlyList<string> Structural { get; } = ["residual", "repeat"];

    /// <summary>Keys every layer takes besides its kind's own arguments.</summary>
    public static IReadOnlyList<ArgInfo> Common { get; } =
    [
        new("name", ArgKind.Text, "State-dict name of the layer (default: the kind, numbered if repeated)."),
        new("in", ArgKind.Text, "The values the layer reads, by name (default: the previous layer's output)."),
        new("as", ArgKind.Text, "Names for the layer's outputs: one name for the primary output, or a mapping port: name."),
    ];

    private static readonly Dictionary<string, LayerKind> s_byName = All.ToDictionary(k => k.Name);

    public static LayerKind? Find(string name) => s_byName.TryGetValue(name, out var kind) ? kind : null;
}
