using System.Collections.Generic;
using System.Linq;
using Liquid.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace Liquid.Generator.Binding;

/// <summary>
/// What a <see cref="LayerKind"/> sees while binding one layer: the types of its inputs, its
/// arguments, checks that report located diagnostics (and add Validate() checks for overridden
/// configs), and where the kind puts its output types, parameter count and construction.
/// </summary>
internal sealed class LayerBinding
{
    private readonly Binder _binder;
    private readonly ValueScope _scope;
    private readonly IReadOnlyList<BoundValue?> _inputs;
    private readonly Dictionary<string, BoundArg> _args;
    private readonly Dictionary<string, YamlNode> _bodies;
    private readonly IReadOnlyCollection<string> _boundOutputs;
    private readonly int _index;
    private readonly Dictionary<string, ValueType> _outputs = new(System.StringComparer.Ordinal);
    private Code[] _constructor = [];

    internal LayerBinding(Binder binder, LayerKind kind, YamlScalar key, string stateName, ValueScope scope,
        IReadOnlyList<BoundValue?> inputs, Dictionary<string, BoundArg> args, Dictionary<string, YamlNode> bodies, IReadOnlyCollection<string> boundOutputs, int index)
    {
        _bodies = bodies;
        _binder = binder;
        Kind = kind;
        Key = key;
        StateName = stateName;
        _scope = scope;
        _inputs = inputs;
        _args = args;
        _boundOutputs = boundOutputs;
        _index = index;
    }

    public LayerKind Kind { get; }

    /// <summary>The kind's key in the file: where layer-wide problems are reported.</summary>
    public YamlScalar Key { get; }

    /// <summary>The layer's state-dict name.</summary>
    public string StateName { get; }

    internal Expr ParameterCount { get; private set; } = Ex.Int(0);

    internal Dictionary<string, Dim> Remembered { get; } = new(System.StringComparer.Ordinal);

    internal string? Custom { get; private set; }

    // ---- inputs -------------------------------------------------------------------------------

    /// <summary>The type of input <paramref name="port"/>, or null when an optional input is absent.</summary>
    public ValueType? Input(int port) => _inputs[port]?.Type;

    /// <summary>Input <paramref name="port"/> as a tensor (floating, if asked); null after reporting.</summary>
    public TensorType? Tensor(int port = 0, bool floating = false)
    {
        if (Input(port) is TensorType { } tensor && (!floating || tensor.IsFloating)) return tensor;
        Receives(port, floating ? "a floating-point tensor" : "a tensor");
        return null;
    }

    /// <summary>Input <paramref name="port"/> as features: floating, at least [N, C], C a known size.</summary>
    public TensorType? Features(int port = 0)
    {
        if (Input(port) is TensorType { IsFloating: true, Rank: >= 2 } tensor && !tensor.Last.IsSymbol) return tensor;
        Receives(port, "features float[..., C]");
        return null;
    }

    /// <summary>Input <paramref name="port"/> as a sequence of features float[B, T, C], C a known size.</summary>
    public TensorType? Sequence(int port = 0)
    {
        if (Input(port) is TensorType { IsFloating: true, Rank: 3 } tensor && !tensor.Last.IsSymbol) return tensor;
        Receives(port, "features float[B, T, C]");
        return null;
    }

    /// <summary>Input <paramref name="port"/> as integer ids.</summary>
    public TensorType? Ids(int port = 0)
    {
        if (Input(port) is TensorType { IsIntegral: true } tensor) return tensor;
        Receives(port, "token ids long[B, T]");
        return null;
    }

    private void Receives(int port, string expected)
    {
        var actual = Input(port);
        var display = actual is TensorType t ? Binder.ConcreteType(t) : actual?.Display ?? "nothing";
        var hint = actual is TensorType { IsIntegral: true } && expected.StartsWith("features", System.StringComparison.Ordinal) ? "; start with a token_embedding" : "";
        var which = Kind.Inputs.Count > 1 ? $" as '{Kind.Inputs[port].Name}'" : "";
        _binder.ReportAt(Diagnostics.ShapeMismatch, Key, $"'{Kind.Name}' takes {expected}{which} but receives {display}{hint}");
    }

    // ---- arguments ----------------------------------------------------------------------------

    public BoundArg? Arg(string name) => _args.TryGetValue(name, out var arg) ? arg : null;

    /// <summary>Whether the file states the argument.</summary>
    public bool Has(string name) => _args.ContainsKey(name);

    /// <summary>Where an argument is written, or the layer's key when the file does not state it.</summary>
    public YamlNode NodeOf(string name) => Arg(name)?.Node ?? Key;

    /// <summary>An integer argument's value with the default config.</summary>
    public long Value(string name, long fallback) => Arg(name) is { IsNull: false } arg ? arg.Value.Int : fallback;

    /// <summary>A number argument's value with the default config.</summary>
    public double Number(string name, double fallback) => Arg(name) is { IsNull: false } arg ? arg.Value.AsDouble : fallback;

    /// <summary>A bool argument's value with the default config (the kind's default when absent).</summary>
    public bool Flag(string name) => Arg(name) is { } arg ? arg.Value.Bool : Kind.Arg(name)?.Default == "true";

    /// <summary>A bool argument as a condition: a literal, or the bool config it names.</summary>
    public Expr FlagExpr(string name) => Arg(name)?.Expr ?? new BoolLiteral(Flag(name));

    /// <summary>An enum argument's word.</summary>
    public string? Word(string name) => Arg(name)?.Value.Text ?? Kind.Arg(name)?.Default;

    /// <summary>An integer argument as an expression, <paramref name="fallback"/> when absent.</summary>
    public Expr IntExpr(string name, long fallback) => Arg(name) is { IsNull: false, Expr: { } expr } ? expr : Ex.Int(fallback);

    /// <summary>An integer argument as a dimension (a size with its default value).</summary>
    public Dim Size(string name)
    {
        var arg = Arg(name)!;
        return Dim.Of(arg.Expr!, arg.Value.Int);
    }

    /// <summary>The value of an expression the kind built, with the default config.</summary>
    public long Evaluate(Expr expr) => _binder.TryEvaluate(expr, _index, out var value) ? value : 0;

    // ---- construction -------------------------------------------------------------------------

    /// <summary>What construction passes for a stated argument.</summary>
    public Code Code(string name) => Arg(name)!.Code;

    /// <summary>The stated argument's code, else <paramref name="fallback"/>.</summary>
    public Code CodeOr(string name, Code fallback) => Arg(name)?.Code ?? fallback;

    /// <summary>An enum argument as a member of the runtime enum <paramref name="type"/> (<c>gelu_tanh</c> → <c>GeluTanh</c>).</summary>
    public Code EnumCode(string name, string type) => new EnumCode(type, Names.Pascal(Word(name)!));

    /// <summary>
    /// Named arguments of an options record for the arguments the file states (the runtime's records
    /// carry the same defaults, and code that repeated every default would bury what the author chose).
    /// </summary>
    public EquatableArray<NamedCode> Named(params (string Arg, string Option)[] map) =>
        map.Where(m => Has(m.Arg)).Select(m => new NamedCode(m.Option, Code(m.Arg))).ToEquatableArray();

    /// <summary>The runtime class's constructor arguments (usually one options record).</summary>
    public void Construct(params Code[] arguments) => _constructor = arguments;

    /// <summary>A custom layer: the user's class, built with its parameterless constructor.</summary>
    public void CustomClass(string fullName)
    {
        Custom = fullName;
        _constructor = [];
    }

    internal Code Construction() =>
        new NewCode(Custom is { } custom ? "global::" + custom : Kind.RuntimeClass, _constructor.ToEquatableArray(), EquatableArray<NamedCode>.Empty);

    /// <summary>
    /// Binds the body argument <paramref name="name"/> as a vector field over <paramref name="state"/>
    /// and returns what constructs it (<c>new ModelOdeField(config)</c>) and its parameter count, or
    /// null after reporting.
    /// </summary>
    public (Code Construct, Expr Parameters)? VectorField(string name, TensorType state)
    {
        if (!_bodies.TryGetValue(name, out var node)) return null;
        var className = _binder.BindVectorField(Kind, Key, StateName, node, state);
        if (className is null) return null;
        var parameters = _binder.FieldParameters(className);
        return (new NewCode(className, [ConfigCode.Instance], []), new FieldCountExpr(className, parameters));
    }

    // ---- checks -------------------------------------------------------------------------------

    /// <summary>Reports and returns false, so a kind can write <c>return layer.Fail(…)</c>.</summary>
    public bool Fail(DiagnosticDescriptor descriptor, YamlNode at, params string[] arguments)
    {
        _binder.ReportAt(descriptor, at, arguments);
        return false;
    }

    /// <summary>An integer argument of at least 1 (absent ones pass).</summary>
    public bool Positive(string name)
    {
        if (Arg(name) is not { IsNull: false } arg) return true;
        if (arg.Value.Kind == ValueKind.Int && arg.Value.Int >= 1)
        {
            if (arg.IsConfigDependent && !arg.UsesIndex)
                _binder.AddValidateCheck(Ex.Less(arg.Expr!, Ex.Int(1)), Describe(name, arg), MessagePart.Of(" must be at least 1, not "), MessagePart.Of(arg.Expr!));
            return true;
        }
        return Fail(Diagnostics.OutOfRange, arg.Node, $"{name} must be at least 1, not {arg.Value}");
    }

    /// <summary>A probability in [0, 1) (absent ones pass).</summary>
    public bool Probability(string name)
    {
        if (Arg(name) is not { IsNull: false } arg) return true;
        var p = arg.Value.AsDouble;
        if (p is >= 0 and < 1)
        {
            if (arg.IsConfigDependent && !arg.UsesIndex)
                _binder.AddValidateCheck(Ex.Or(Ex.Less(arg.Expr!, Ex.Int(0)), new CompareExpr(">=", arg.Expr!, Ex.Int(1))),
                    Describe(name, arg), MessagePart.Of(" must be in [0, 1), not "), MessagePart.Of(arg.Expr!));
            return true;
        }
        return Fail(Diagnostics.OutOfRange, arg.Node, $"{name} must be a probability in [0, 1), not {arg.Value}");
    }

    /// <summary>
    /// <paramref name="divisor"/> divides <paramref name="dividend"/> (heads into the width): checked with
    /// the default config now and by Validate() for overrides.
    /// </summary>
    public bool MustDivide(BoundArg divisor, Expr dividend, string divisorWord, string dividendWord)
    {
        var d = divisor.Value.Int;
        var n = Evaluate(dividend);
        if (d < 1 || n % d != 0)
        {
            var spelled = Render.Expression(dividend);
            return Fail(Diagnostics.NotDivisible, divisor.Node, $"{divisorWord} ({d}) must divide {dividendWord}{(spelled == dividendWord ? "" : " " + spelled)} ({n})");
        }
        if (!divisor.UsesIndex && !ExpressionEvaluator.Names(dividend).Any(x => x.Name == "index") && (divisor.IsConfigDependent || !Ex.IsConstant(dividend)))
            _binder.AddValidateCheck(Ex.And(Ex.NotEqual(divisor.Expr!, Ex.Int(0)), Ex.NotEqual(Ex.Remainder(dividend, divisor.Expr!), Ex.Int(0))),
                MessagePart.Of(Render.Expression(divisor.Expr!) + " ("), MessagePart.Of(divisor.Expr!), MessagePart.Of(") must divide " + Render.Expression(dividend) + " ("), MessagePart.Of(dividend), MessagePart.Of(")"));
        return true;
    }

    /// <summary>Two sizes agree with the default config (and, when spelled differently, for overrides).</summary>
    public bool SameSize(Dim a, Dim b, YamlNode at, string message)
    {
        if (!a.Matches(b)) return Fail(Diagnostics.ShapeMismatch, at, message);
        if (a.Size is { } x && b.Size is { } y && !x.Equals(y))
            _binder.AddValidateCheck(Ex.NotEqual(x, y), MessagePart.Of(Render.Expression(x) + " ("), MessagePart.Of(x), MessagePart.Of(") must equal " + Render.Expression(y) + " ("), MessagePart.Of(y), MessagePart.Of(")"));
        return true;
    }

    /// <summary>
    /// A condition the kind checked with the default config, repeated by Validate() for overridden
    /// configs when it reads config names: <paramref name="failure"/> holding is the error
    /// <paramref name="message"/> (literal parts and interpolated values).
    /// </summary>
    public void AlsoValidate(Expr failure, params MessagePart[] message)
    {
        var names = ExpressionEvaluator.Names(failure).ToList();
        if (names.Count > 0 && !names.Any(n => n.Name == "index")) _binder.AddValidateCheck(failure, message);
    }

    // "d_model" for a bare config name; "hidden = 4 * d_model" for an expression.
    private static MessagePart Describe(string name, BoundArg arg) =>
        MessagePart.Of(arg.Expr is NameRef named ? named.Name : $"{name} = {Render.Expression(arg.Expr!)}");

    // ---- results ------------------------------------------------------------------------------

    /// <summary>Sets the type of the primary output.</summary>
    public void Output(ValueType type) => _outputs[Kind.Outputs[0].Name] = type;

    /// <summary>Sets the type of output <paramref name="port"/>.</summary>
    public void Output(string port, ValueType type) => _outputs[port] = type;

    internal ValueType? OutputType(string port) => _outputs.TryGetValue(port, out var type) ? type : null;

    /// <summary>Whether the file binds output <paramref name="port"/> with <c>as:</c> (costly outputs are computed only then).</summary>
    public bool IsBound(string port) => _boundOutputs.Contains(port);

    /// <summary>The layer's parameter count as an expression of config names (and the block index).</summary>
    public void Parameters(Expr count) => ParameterCount = count;

    // ---- other layers -------------------------------------------------------------------------

    /// <summary>Keeps a size for later layers (a token embedding's vocabulary and width, for a tied head).</summary>
    public void Remember(string key, Dim value) => Remembered[key] = value;

    /// <summary>A size an earlier layer remembered.</summary>
    public Dim? Recall(string layer, string key) => _scope.FindLayer(layer) is { } found && found.Remembered.TryGetValue(key, out var dim) ? dim : null;

    /// <summary>The kind of the earlier layer called <paramref name="layer"/>, or null.</summary>
    public string? KindOf(string layer) => _scope.FindLayer(layer)?.Kind;

    /// <summary>The names of earlier layers of one kind (for suggestions).</summary>
    public IEnumerable<string> LayersOfKind(string kind) => _scope.Layers.Where(l => l.Value.Kind == kind).Select(l => l.Key);

    /// <summary>The config value an argument names, when it names one: the model's context or vocabulary for the harness.</summary>
    public void LimitsContext(string arg)
    {
        if (Arg(arg)?.Expr is NameRef name) _binder.SetContextConfig(name.Name);
    }

    /// <summary>Records that the config value <paramref name="arg"/> names is the vocabulary size (the harness sets it from the tokenizer).</summary>
    public void SetsVocabulary(string arg)
    {
        if (Arg(arg)?.Expr is NameRef name) _binder.SetVocabularyConfig(name.Name);
    }
}
