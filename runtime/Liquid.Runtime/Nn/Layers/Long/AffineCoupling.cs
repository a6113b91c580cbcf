namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="AffineCoupling"/>.</summary>
/// <param name="Dim">Features D of the input's last dimension (at least 2: both parts non-empty).</param>
/// <param name="Hidden">Width of the scale and shift networks' hidden layer.</param>
/// <param name="Parity">0: the first ⌊D/2⌋ features condition the rest; 1: the rest condition the first.</param>
public sealed record AffineCouplingOptions(long Dim, long Hidden, int Parity = 0);

/// <summary>The outputs of <see cref="AffineCoupling.Forward"/>: y […, D] and log|det ∂y/∂x| […].</summary>
public readonly record struct AffineCouplingOutput(Tensor Output, Tensor LogDet);

/// <summary>Linear → ReLU → Linear: a coupling's scale or shift network (keys <c>fc1</c>, <c>fc2</c>).</summary>
public sealed class CouplingNet : Module
{
    private readonly Linear _fc1;
    private readonly Linear _fc2;

    /// <summary>A network from <paramref name="inputs"/> to <paramref name="outputs"/> features.</summary>
    public CouplingNet(long inputs, long hidden, long outputs)
    {
        _fc1 = RegisterModule("fc1", new Linear(new LinearOptions(inputs, hidden)));
        _fc2 = RegisterModule("fc2", new Linear(new LinearOptions(hidden, outputs)));
    }

    /// <summary>Input features.</summary>
    public long Inputs => _fc1.Options.InFeatures;

    /// <summary>Output features.</summary>
    public long Outputs => _fc2.Options.OutFeatures;

    /// <summary>[…, inputs] → […, outputs].</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = TensorScope.Enter();
        return scope.Keep(_fc2.Forward(_fc1.Forward(x).Relu()));
    }

    /// <inheritdoc/>
    public override long FlopsPerPosition(long context) => _fc1.FlopsPerPosition(context) + _fc2.FlopsPerPosition(context);
}

/// <summary>
/// A RealNVP affine coupling layer (Dinh et al. 2017; Long/README.md): one part of the features
/// passes unchanged and conditions an elementwise affine map of the other, y₂ = x₂·exp(s(x₁)) + t(x₁)
/// with s bounded by tanh, so the Jacobian is triangular and log|det| = Σ s. Exactly invertible.
/// </summary>
public sealed class AffineCoupling : Module
{
    private readonly CouplingNet _scale;
    private readonly CouplingNet _shift;

    /// <summary>A coupling with scale and shift networks of its own (keys <c>scale.*</c>, <c>shift.*</c>).</summary>
    public AffineCoupling(AffineCouplingOptions options) : this(options, null, null) { }

    /// <summary>
    /// A coupling that uses <paramref name="scale"/> and <paramref name="shift"/> owned elsewhere (a
    /// flow's shared networks), or networks of its own when they are null.
    /// </summary>
    public AffineCoupling(AffineCouplingOptions options, CouplingNet? scale, CouplingNet? shift)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Dim < 2) throw new ArgumentException($"affine_coupling: dim must be at least 2 (two non-empty parts), not {options.Dim}", nameof(options));
        if (options.Hidden < 1) throw new ArgumentException($"affine_coupling: hidden must be at least 1, not {options.Hidden}", nameof(options));
        if (options.Parity is not (0 or 1)) throw new ArgumentException($"affine_coupling: parity must be 0 or 1, not {options.Parity}", nameof(options));
        Options = options;
        var half = options.Dim / 2;
        ConditionSize = options.Parity == 0 ? half : options.Dim - half;
        var transformed = options.Dim - ConditionSize;
        if ((scale is null) != (shift is null)) throw new ArgumentException("affine_coupling: give both shared networks or neither", nameof(shift));
        if (scale is null)
        {
            _scale = RegisterModule("scale", new CouplingNet(ConditionSize, options.Hidden, transformed));
            _shift = RegisterModule("shift", new CouplingNet(ConditionSize, options.Hidden, transformed));
        }
        else
        {
            foreach (var net in new[] { scale, shift! })
                if (net.Inputs != ConditionSize || net.Outputs != transformed)
                    throw new ArgumentException($"affine_coupling: a shared network maps {net.Inputs} → {net.Outputs} features, but parity {options.Parity} of dim {options.Dim} needs {ConditionSize} → {transformed}", nameof(scale));
            _scale = scale;
            _shift = shift!;
        }
    }

    /// <summary>The options this layer was built with.</summary>
    public AffineCouplingOptions Options { get; }

    /// <summary>Features of the conditioning part.</summary>
    public long ConditionSize { get; }

    /// <summary>y = coupling(x) and log|det ∂y/∂x| over x […, D].</summary>
    public AffineCouplingOutput Forward(Tensor x)
    {
        ExpectShape(x.Rank >= 1 && x.Size(-1) == Options.Dim, $"[…, {Options.Dim}]", x);
        using var scope = TensorScope.Enter();
        var (condition, transformed) = Split(x);
        var s = _scale.Forward(condition).Tanh();
        var y2 = transformed * s.Exp() + _shift.Forward(condition);
        return new AffineCouplingOutput(scope.Keep(Join(condition, y2)), scope.Keep(s.Sum(-1)));
    }

    /// <summary>x = coupling⁻¹(y): the conditioning part is y's own, so s and t are recomputed from it.</summary>
    public Tensor Inverse(Tensor y)
    {
        ExpectShape(y.Rank >= 1 && y.Size(-1) == Options.Dim, $"[…, {Options.Dim}]", y);
        using var scope = TensorScope.Enter();
        var (condition, transformed) = Split(y);
        var s = _scale.Forward(condition).Tanh();
        var x2 = (transformed - _shift.Forward(condition)) * (-s).Exp();
        return scope.Keep(Join(condition, x2));
    }

    private (Tensor Condition, Tensor Transformed) Split(Tensor x)
    {
        var half = Options.Dim / 2;
        var first = x.Narrow(-1, 0, half);
        var second = x.Narrow(-1, half, Options.Dim - half);
        return Options.Parity == 0 ? (first, second) : (second, first);
    }

    private Tensor Join(Tensor condition, Tensor transformed) =>
        Options.Parity == 0 ? Tensor.Cat([condition, transformed], -1) : Tensor.Cat([transformed, condition], -1);

    /// <inheritdoc/>
    public override long FlopsPerPosition(long context) => _scale.FlopsPerPosition(context) + _shift.FlopsPerPosition(context);
}
