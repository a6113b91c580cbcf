using System.Collections.Generic;
using System.Linq;

namespace Liquid.Generator.Binding;

/// <summary>How a layer argument is written and checked.</summary>
internal enum ArgKind
{
    /// <summary>An integer expression over config names.</summary>
    Int,
    /// <summary>A number expression over config names.</summary>
    Float,
    /// <summary>true/false, or a bool config name.</summary>
    Bool,
    /// <summary>One word from a fixed list.</summary>
    Enum,
    /// <summary>The name of an earlier layer.</summary>
    Reference,
    /// <summary>Free text (a C# type name for custom layers).</summary>
    Text,
}

/// <summary>One argument of a layer kind.</summary>
internal sealed record ArgInfo(string Name, ArgKind Kind, string Doc, bool Required = false, string? Default = null, string[]? Values = null, bool Nullable = false);

/// <summary>
/// One layer kind of the language: its YAML name, what it does, which runtime class implements it,
/// its arguments, and which argument a bare scalar sets (<c>dropout: 0.1</c> sets <c>p</c>).
/// </summary>
internal sealed record LayerKindInfo(string Name, string Doc, string RuntimeClass, string? ScalarArg, ArgInfo[] Args)
{
    public ArgInfo? Arg(string name) => Args.FirstOrDefault(a => a.Name == name);
}

/// <summary>
/// The table of layer kinds: the binder checks files against it, the emitter builds from it, and
/// the JSON Schema (generator/schema) is tested against it, so the three cannot drift.
/// </summary>
internal static class LayerKinds
{
    private static readonly ArgInfo Name = new("name", ArgKind.Text, "State-dict name of the layer (default: the kind, numbered if repeated).");
    private static readonly ArgInfo InitStd = new("init_std", ArgKind.Float, "Initialize weights N(0, init_std²) and biases to zero instead of PyTorch's default.");
    private static readonly ArgInfo Bias = new("bias", ArgKind.Bool, "Learn a bias.", Default: "true");

    public static IReadOnlyList<LayerKindInfo> All { get; } =
    [
        new("token_embedding", "Looks up a learned vector per token id: long[B, T] → float[B, T, dim].", "Embedding", null,
        [
            new("vocab", ArgKind.Int, "Number of token ids.", Required: true),
            new("dim", ArgKind.Int, "Width of each vector.", Required: true),
            InitStd, Name,
        ]),
        new("position_embedding", "Adds a learned vector per position (GPT-2's wpe) to [B, T, C].", "LearnedPositionEmbedding", "max",
        [
            new("max", ArgKind.Int, "Number of positions (the context).", Required: true),
            InitStd, Name,
        ]),
        new("dropout", "Zeroes elements with probability p while training.", "Dropout", "p",
        [
            new("p", ArgKind.Float, "Drop probability in [0, 1).", Required: true),
            Name,
        ]),
        new("layer_norm", "LayerNorm over the last dimension.", "LayerNorm", null,
        [
            new("eps", ArgKind.Float, "Added to the variance.", Default: "1e-5"),
            Bias, Name,
        ]),
        new("rms_norm", "RMSNorm over the last dimension (Llama).", "RmsNorm", null,
        [
            new("eps", ArgKind.Float, "Added to the mean square.", Default: "1e-6"),
            Name,
        ]),
        new("linear", "Affine map of the last dimension: [B, T, C] → [B, T, out].", "Linear", "out",
        [
            new("out", ArgKind.Int, "Output width.", Required: true),
            Bias, InitStd, Name,
        ]),
        new("activation", "A pointwise nonlinearity.", "Activation", "fn",
        [
            new("fn", ArgKind.Enum, "Which function.", Required: true, Values: ["gelu", "gelu_tanh", "silu", "relu", "tanh"]),
            Name,
        ]),
        new("mlp", "Position-wise feed-forward block, plain (fc → act → proj) or gated (proj(act(gate)·up)).", "Mlp", null,
        [
            new("hidden", ArgKind.Int, "Hidden width.", Required: true),
            new("activation", ArgKind.Enum, "Hidden nonlinearity.", Default: "gelu", Values: ["gelu", "gelu_tanh", "relu", "silu", "swiglu", "geglu"]),
            Bias,
            new("dropout", ArgKind.Float, "Dropout on the output.", Default: "0"),
            InitStd,
            new("proj_init_std", ArgKind.Float, "Init std of the output projection (defaults to init_std)."),
            Name,
        ]),
        new("attention", "Causal self-attention: multi-head or grouped-query, optional sliding window and rotary positions, KV cache.", "Attention", null,
        [
            new("heads", ArgKind.Int, "Query heads (must divide the width).", Required: true),
            new("kv_heads", ArgKind.Int, "Key/value heads for grouped-query attention (must divide heads).", Nullable: true),
            new("causal", ArgKind.Bool, "Query i sees keys ≤ i.", Default: "true"),
            new("window", ArgKind.Int, "Sliding window: query i sees keys i−W+1 … i.", Nullable: true),
            new("rope", ArgKind.Bool, "Rotary position embedding on queries and keys.", Default: "false"),
            new("rope_theta", ArgKind.Float, "RoPE frequency base.", Default: "10000"),
            new("rope_fraction", ArgKind.Float, "Share of each head's dimensions that rotate.", Default: "1"),
            Bias,
            new("dropout", ArgKind.Float, "Dropout on attention weights and output.", Default: "0"),
            InitStd,
            new("proj_init_std", ArgKind.Float, "Init std of the output projection (defaults to init_std)."),
            Name,
        ]),
        new("conv1d", "1-D convolution along the sequence of a [B, T, C] stream (optionally causal).", "Conv1d", null,
        [
            new("out", ArgKind.Int, "Output channels.", Required: true),
            new("kernel", ArgKind.Int, "Kernel width.", Required: true),
            new("stride", ArgKind.Int, "Step between outputs.", Default: "1"),
            new("padding", ArgKind.Int, "Zeros on both sides (non-causal).", Default: "0"),
            new("dilation", ArgKind.Int, "Spacing of kernel taps.", Default: "1"),
            new("groups", ArgKind.Int, "Channel groups.", Default: "1"),
            new("causal", ArgKind.Bool, "Pad on the left only so output t sees inputs ≤ t.", Default: "false"),
            Bias, Name,
        ]),
        Recurrent("lstm", "Multi-layer LSTM over the sequence.", "Lstm"),
        Recurrent("gru", "Multi-layer GRU over the sequence.", "Gru"),
        Recurrent("rnn", "Multi-layer Elman RNN (tanh) over the sequence.", "Rnn"),
        new("lm_head", "Projects to vocabulary logits: tied to a token embedding, or a Linear of its own.", "Linear", null,
        [
            new("tied", ArgKind.Reference, "Name of the token_embedding whose weight is reused (no new parameters)."),
            new("vocab", ArgKind.Int, "Vocabulary size, for an untied head."),
            new("bias", ArgKind.Bool, "Learn a bias (untied only).", Default: "false"),
            InitStd, Name,
        ]),
        new("custom", "A layer written in C#: a Module subclass with a parameterless constructor and Tensor Forward(Tensor).", "", "class",
        [
            new("class", ArgKind.Text, "Fully qualified C# class name.", Required: true),
            Name,
        ]),
    ];

    /// <summary>Structural forms that hold other layers rather than being layers.</summary>
    public static IReadOnlyList<string> Structural { get; } = ["residual", "repeat"];

    private static readonly Dictionary<string, LayerKindInfo> s_byName = All.ToDictionary(k => k.Name);

    public static LayerKindInfo? Find(string name) => s_byName.TryGetValue(name, out var kind) ? kind : null;

    private static LayerKindInfo Recurrent(string name, string doc, string runtimeClass) => new(name, doc, runtimeClass, "hidden",
    [
        new("hidden", ArgKind.Int, "Hidden width.", Required: true),
        new("layers", ArgKind.Int, "Stacked layers.", Default: "1"),
        new("dropout", ArgKind.Float, "Dropout between stacked layers.", Default: "0"),
        new("bidirectional", ArgKind.Bool, "Also run backwards and concatenate.", Default: "false"),
        new("carry_state", ArgKind.Bool, "Carry the final state into the next call (chunked long inputs).", Default: "false"),
        Bias, Name,
    ]);
}
