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
    /// <summary>A list of layers the kind runs itself (a neural ODE's vector field), emitted as a class of its own.</summary>
    Body,
}

/// <summary>One argument of a layer kind.</summary>
internal sealed record ArgInfo(string Name, ArgKind Kind, string Doc, bool Required = false, string? Default = null, string[]? Values = null, bool Nullable = false);

/// <summary>What a port carries.</summary>
internal enum PortKind
{
    /// <summary>A tensor.</summary>
    Tensor,
    /// <summary>A typed runtime state (<see cref="PortInfo.StateType"/>).</summary>
    State,
    /// <summary>An auxiliary loss (a scalar the objective may weigh).</summary>
    Loss,
}

/// <summary>
/// One input or output of a layer kind. Inputs are the runtime Forward's leading parameters in this
/// order; outputs are the members of the record it returns (<see cref="Member"/>), first the primary
/// one, which flows on to the next layer.
/// </summary>
internal sealed record PortInfo(string Name, string Doc, PortKind Kind = PortKind.Tensor, bool Optional = false, string? StateType = null, string? Member = null)
{
    /// <summary>The runtime record's member for this output.</summary>
    public string MemberName => Member ?? Names.Pascal(Name);
}

/// <summary>
/// One layer kind of the language, in one file: its YAML name, documentation, runtime class,
/// arguments, ports, and its binding rule (checks, output types, parameter count, construction).
/// Every kind is registered in <see cref="LayerKinds.All"/>; the binder, the emitter, the JSON
/// Schema and the README's table all read it from there.
/// </summary>
internal abstract class LayerKind
{
    /// <summary>The one input of most layers: the previous layer's output, unless <c>in:</c> names another.</summary>
    protected static readonly IReadOnlyList<PortInfo> Stream = [new PortInfo("x", "The value the layer transforms.")];

    /// <summary>The one output of most layers.</summary>
    protected static readonly IReadOnlyList<PortInfo> Result = [new PortInfo("out", "The layer's output.")];

    protected static readonly ArgInfo InitStd = new("init_std", ArgKind.Float, "Initialize weights N(0, init_std²) and biases to zero instead of PyTorch's default.");
    protected static readonly ArgInfo Bias = new("bias", ArgKind.Bool, "Learn a bias.", Default: "true");

    /// <summary>The YAML name, e.g. <c>layer_norm</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One sentence for the README, the schema and XML docs.</summary>
    public abstract string Doc { get; }

    /// <summary>The runtime class in <c>Liquid.Runtime.Nn</c> that implements the kind.</summary>
    public abstract string RuntimeClass { get; }

    /// <summary>The argument a bare scalar sets (<c>dropout: 0.1</c> sets <c>p</c>), if any.</summary>
    public virtual string? ScalarArg => null;

    /// <summary>The kind's own arguments (the binder adds <c>name</c>, <c>in</c> and <c>as</c> to every kind).</summary>
    public abstract IReadOnlyList<ArgInfo> Args { get; }

    /// <summary>The values the layer reads, in the runtime Forward's parameter order.</summary>
    public virtual IReadOnlyList<PortInfo> Inputs => Stream;

    /// <summary>The values the layer produces; the first is the primary one.</summary>
    public virtual IReadOnlyList<PortInfo> Outputs => Result;

    /// <summary>Whether the runtime Forward takes the <c>ForwardContext</c> (training flag, carried state, loss sink).</summary>
    public virtual bool TakesContext => false;

    /// <summary>
    /// Whether a call can continue from the positions earlier calls consumed; false for a layer that
    /// mixes the whole sequence (a model with one is not decoded incrementally: <c>ModelInfo.Incremental</c>).
    /// </summary>
    public virtual bool Incremental => true;

    /// <summary>Whether the construction names a solver (<c>OdeMethod</c>), so the file needs the solvers' namespace.</summary>
    public virtual bool UsesOdeSolvers => false;

    /// <summary>The runtime method that computes the outputs that are bound (usually <c>Forward</c>).</summary>
    public virtual string Method(IReadOnlyCollection<string> boundOutputs) => "Forward";

    /// <summary>
    /// Checks the inputs and arguments, sets the output types, the parameter count and the
    /// construction through <paramref name="layer"/>; false after reporting an error.
    /// </summary>
    public abstract bool Bind(LayerBinding layer);

    public ArgInfo? Arg(string name) => Args.FirstOrDefault(a => a.Name == name);

    public PortInfo? Output(string name) => Outputs.FirstOrDefault(p => p.Name == name);
}
