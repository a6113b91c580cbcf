namespace Liquid.Runtime.Nn;

/// <summary>Pointwise nonlinearities a layer can be configured with.</summary>
public enum ActivationKind
{
    /// <summary>Exact GELU, x·Φ(x).</summary>
    Gelu,
    /// <summary>GELU's tanh approximation (GPT-2's "gelu_new").</summary>
    GeluTanh,
    /// <summary>x·σ(x).</summary>
    Silu,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>tanh(x).</summary>
    Tanh,
}

/// <summary>A pointwise nonlinearity as a layer (the <c>activation</c> kind); <see cref="Apply"/> is the function itself.</summary>
public sealed class Activation(ActivationKind kind) : Module
{
    /// <summary>Which function.</summary>
    public ActivationKind Function { get; } = kind;

    /// <inheritdoc/>
    public override string Kind => Function.ToString();

    /// <summary>f(x).</summary>
    public Tensor Forward(Tensor input) => Apply(Function, input);

    /// <summary>f(x) for the given kind.</summary>
    public static Tensor Apply(ActivationKind kind, Tensor x) => kind switch
    {
        ActivationKind.Gelu => x.Gelu(),
        ActivationKind.GeluTanh => x.Gelu(tanhApproximation: true),
        ActivationKind.Silu => x.Silu(),
        ActivationKind.Relu => x.Relu(),
        ActivationKind.Tanh => x.Tanh(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation"),
    };
}

/// <summary>GELU as a layer (<c>torch.nn.GELU</c>, approximate "none" or "tanh").</summary>
public sealed class Gelu(bool tanhApproximation = false) : Module
{
    /// <summary>GELU(x).</summary>
    public Tensor Forward(Tensor input) => input.Gelu(tanhApproximation);
}

/// <summary>SiLU as a layer (<c>torch.nn.SiLU</c>).</summary>
public sealed class Silu : Module
{
    /// <summary>x·σ(x).</summary>
    public Tensor Forward(Tensor input) => input.Silu();
}

/// <summary>ReLU as a layer (<c>torch.nn.ReLU</c>).</summary>
public sealed class Relu : Module
{
    /// <summary>max(x, 0).</summary>
    public Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>Tanh as a layer (<c>torch.nn.Tanh</c>).</summary>
public sealed class Tanh : Module
{
    /// <summary>tanh(x).</summary>
    public Tensor Forward(Tensor input) => input.Tanh();
}
