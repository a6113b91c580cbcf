using System.Globalization;
using Liquid.Runtime;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Nn.OdeSolvers;

namespace Liquid.Benchmarks;

/// <summary>
/// Our side of benchmarks/ode.sh: dopri5 forward+backward on an MLP vector field (state 64, 64
/// hidden units, batch 256, rtol 1e-5, atol 1e-7, t ∈ [0, 1]), by backpropagation through the
/// steps or by the adjoint. Same seeds, draws and loss as benchmarks/pytorch/ode.py, so both sides
/// take the same steps (their NFE is printed to check it); one JSON line per call of the mode.
/// Mode <c>floor</c> times only the vector field: as many evaluations as the direct solve makes,
/// chained by Euler updates, forward and backward, which no solver can undercut.
/// </summary>
internal static class OdeBenchmark
{
    private const long Batch = 256, Dim = 64, Hidden = 64;

    public static int Run(string[] args)
    {
        if (args.Length is < 1 or > 2 || args[0] is not ("direct" or "adjoint" or "floor"))
        {
            Console.Error.WriteLine("usage: Liquid.Benchmarks ode direct|adjoint|floor [SECONDS]");
            return 2;
        }
        var adjoint = args[0] == "adjoint";
        if (args[0] == "floor") adjoint = false;
        var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 1.0;
        Torch.SetThreads(1);

        Torch.ManualSeed(0);
        using var field = new MlpField();
        using var y0 = Tensor.Randn([Batch, Dim]);
        using var t = Tensor.From(new[] { 0f, 1f });
        var options = new OdeOptions { Rtol = 1e-5, Atol = 1e-7, Adjoint = adjoint };
        OdeStats forward = default, backward = default;

        void Step()
        {
            using var scope = TensorScope.Enter();
            var solution = Ode.Solve(field, y0, t, options);
            solution.Final().Pow(2).Mean().Backward();
            field.ZeroGrad();
            (forward, backward) = (solution.Stats, solution.BackwardStats);
        }

        void Floor()
        {
            using var scope = TensorScope.Enter();
            using var time = Tensor.Scalar(0f);
            var y = y0;
            for (var k = 0; k < forward.Nfe; k++) y = y.Add(field.Evaluate(time, y).Mul(0.01));
            y.Pow(2).Mean().Backward();
            field.ZeroGrad();
        }

        if (args[0] == "floor") Step(); // the direct solve's NFE
        var (ms, cpu, calls) = Compare.Time(args[0] == "floor" ? Floor : Step, warm: 0.3, measure: seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"case\": \"dopri5-{args[0]}\", \"ms\": {ms:F3}, \"cpu_ms\": {cpu:F3}, \"calls\": {calls}, \"nfe_forward\": {forward.Nfe}, \"nfe_backward\": {backward.Nfe}, \"steps\": {forward.Accepted + forward.Rejected}}}"));
        return 0;
    }

    /// <summary>f(t, y) = W2 tanh(W1 y + b1) + b2, drawn in the Python side's order.</summary>
    private sealed class MlpField : Module, IOdeFunction
    {
        private readonly Tensor _w1, _b1, _w2, _b2;

        public MlpField()
        {
            using var scope = TensorScope.Enter();
            _w1 = RegisterParameter("w1", Tensor.Randn([Hidden, Dim]).Div(Math.Sqrt(Dim)));
            _b1 = RegisterParameter("b1", Tensor.Randn([Hidden]).Mul(0.1));
            _w2 = RegisterParameter("w2", Tensor.Randn([Dim, Hidden]).Div(Math.Sqrt(Hidden)));
            _b2 = RegisterParameter("b2", Tensor.Randn([Dim]).Mul(0.1));
        }

        public Tensor Evaluate(Tensor t, Tensor y) => Functional.Linear(Functional.Linear(y, _w1, _b1).Tanh(), _w2, _b2);
    }
}
