using Liquid.Runtime.Nn;
using Liquid.Runtime.Nn.OdeSolvers;

namespace Liquid.Runtime.Tests.OdeSolvers;

/// <summary>f(t, y) = y Aᵀ (tests/reference/make_ode.py's "linear").</summary>
internal sealed class LinearField : Module, IOdeFunction
{
    public LinearField(Tensor a) => A = RegisterParameter("A", a);

    public Tensor A { get; }

    public Tensor Evaluate(Tensor t, Tensor y) => y.MatMul(A.Transpose(0, 1));
}

/// <summary>f(t, y) = tanh(y W1ᵀ + b1 + t c) W2ᵀ + b2 (tests/reference/make_ode.py's "mlp").</summary>
internal sealed class MlpField : Module, IOdeFunction
{
    public MlpField(Tensor w1, Tensor b1, Tensor c, Tensor w2, Tensor b2)
    {
        W1 = RegisterParameter("W1", w1);
        B1 = RegisterParameter("b1", b1);
        C = RegisterParameter("c", c);
        W2 = RegisterParameter("W2", w2);
        B2 = RegisterParameter("b2", b2);
    }

    public Tensor W1 { get; }
    public Tensor B1 { get; }
    public Tensor C { get; }
    public Tensor W2 { get; }
    public Tensor B2 { get; }

    public int Evaluations { get; private set; }

    public Tensor Evaluate(Tensor t, Tensor y)
    {
        Evaluations++;
        return y.MatMul(W1.Transpose(0, 1)).Add(B1).Add(t.Mul(C)).Tanh().MatMul(W2.Transpose(0, 1)).Add(B2);
    }

    /// <summary>A field with fixed random parameters (seeded), D inputs and H hidden units.</summary>
    public static MlpField Random(int seed, long dim, long hidden, DType dtype = DType.Float64)
    {
        Torch.ManualSeed((ulong)seed);
        using var scope = TensorScope.Enter();
        Tensor Draw(long[] shape, double scale) => scope.Keep(Tensor.Randn(shape, DType.Float64).Mul(scale).To(dtype));
        return new MlpField(Draw([hidden, dim], 1.0), Draw([hidden], 0.5), Draw([hidden], 1.0), Draw([dim, hidden], 0.6), Draw([dim], 0.3));
    }
}

/// <summary>Wraps a field and throws (or returns NaN) from the given evaluation on.</summary>
internal sealed class FaultyField(IOdeFunction inner, int failAt, bool nan = false) : Module, IOdeFunction
{
    public int Evaluations { get; private set; }

    /// <summary>Moves the failing evaluation (counted from the first evaluation ever).</summary>
    public void FailAfter(int evaluation) => failAt = evaluation;

    public Tensor Evaluate(Tensor t, Tensor y)
    {
        Evaluations++;
        if (Evaluations >= failAt)
        {
            if (nan) return y.Mul(double.NaN);
            throw new FieldFailure($"evaluation {Evaluations} failed");
        }
        return inner.Evaluate(t, y);
    }

    public IEnumerable<Tensor> AdjointParameters() => inner.AdjointParameters();
}

internal sealed class FieldFailure(string message) : Exception(message);

/// <summary>
/// The "mlp" field over tensors it does not own (for gradient checks, which rebuild the inputs):
/// f(t, y) = tanh(y W1ᵀ + b1 + t c) W2ᵀ + b2.
/// </summary>
internal sealed class MlpFunction(Tensor w1, Tensor b1, Tensor c, Tensor w2, Tensor b2) : IOdeFunction
{
    public Tensor Evaluate(Tensor t, Tensor y) =>
        y.MatMul(w1.Transpose(0, 1)).Add(b1).Add(t.Mul(c)).Tanh().MatMul(w2.Transpose(0, 1)).Add(b2);

    public IEnumerable<Tensor> AdjointParameters() => [w1, b1, c, w2, b2];
}

/// <summary>dy/dt = −k·y, whose solution is y0·e^{−k(t − t0)}.</summary>
internal sealed class DecayField(double k) : IOdeFunction
{
    public int Evaluations { get; private set; }

    public Tensor Evaluate(Tensor t, Tensor y)
    {
        Evaluations++;
        return y.Mul(-k);
    }
}
