using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Liquid.Runtime.Interop;

namespace Liquid.Runtime.Nn.OdeSolvers;

/// <summary>
/// ODE solvers with torchdiffeq 0.2.5's semantics (<c>odeint</c> and <c>odeint_adjoint</c>; see
/// ../shared/design/LIQUID-SEMANTICS.md §6.4). The solver runs in native code (runtime/native/src/
/// ode*.cpp): stage combinations, error norm, step control and dense output cost no managed call;
/// the only managed work per stage is the vector field, which native code calls back.
/// </summary>
public static class Ode
{
    /// <summary>
    /// Solves dy/dt = f(t, y) from <paramref name="y0"/> at t[0] and returns y at every t
    /// (<c>odeint(func, y0, t, …)</c>; <c>odeint_adjoint</c> when <see cref="OdeOptions.Adjoint"/>).
    /// </summary>
    /// <param name="field">The vector field.</param>
    /// <param name="y0">The initial state, float32 or float64, any shape.</param>
    /// <param name="t">
    /// Output times, one-dimensional and strictly monotone (a decreasing t integrates backwards),
    /// float32 or float64; fixed-grid time arithmetic happens in t's dtype. t gets no gradient.
    /// </param>
    /// <param name="options">Method, tolerances and the rest; null takes <see cref="OdeOptions.Default"/>.</param>
    /// <param name="adjointParameters">
    /// For the adjoint: the tensors to differentiate besides y0; null takes
    /// <see cref="IOdeFunction.AdjointParameters"/>.
    /// </param>
    /// <exception cref="ArgumentException">Bad options, state or times.</exception>
    /// <exception cref="OdeSolverException">The solver gave up (max steps, step size underflow, non-finite state).</exception>
    /// <remarks>
    /// An exception thrown by <paramref name="field"/> reaches the caller unchanged, here or, for the
    /// adjoint, from the backward pass. With gradients on and no adjoint, the solve builds the
    /// autograd graph of every step (the choice of steps is not differentiated, as in torchdiffeq).
    /// </remarks>
    public static OdeSolution Solve(IOdeFunction field, Tensor y0, Tensor t, OdeOptions? options = null,
        IEnumerable<Tensor>? adjointParameters = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(y0);
        ArgumentNullException.ThrowIfNull(t);
        options ??= OdeOptions.Default;
        options.Validate();
        if (y0.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"Ode.Solve: y0 must be float32 or float64, got {y0.DType.Name()}", nameof(y0));
        if (t.Rank != 1 || t.Size(0) < 1)
            throw new ArgumentException($"Ode.Solve: t must be one-dimensional and non-empty, got [{string.Join(", ", t.Shape)}]", nameof(t));
        if (t.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"Ode.Solve: t must be float32 or float64, got {t.DType.Name()}", nameof(t));
        var times = t.ToArray<double>();
        CheckTimes(times);

        // Tensors that need no gradient are left out: autograd refuses to differentiate them.
        var parameters = options.Adjoint ? (adjointParameters ?? field.AdjointParameters()).Where(p => p.RequiresGrad).ToArray() : [];
        var native = ToNative(options, t.DType);
        var y0Handle = y0.H(nameof(Solve));
        using var parameterHandles = new HandleArray(parameters, nameof(Solve));

        var context = new OdeCallbackContext(field);
        var contextHandle = GCHandle.Alloc(context);
        Span<long> counts = stackalloc long[3];
        nint solution, steps = 0;
        int status;
        unsafe
        {
            // From here native code owns the GCHandle and frees it through Release.
            status = Native.lq_ode_solve(&OdeCallbacks.Evaluate, &OdeCallbacks.Release, &OdeCallbacks.OnBackward,
                GCHandle.ToIntPtr(contextHandle), y0Handle, times, times.Length, in native,
                parameterHandles.Handles, parameters.Length, out solution, counts, options.RecordSteps ? &steps : null);
        }
        if (status != 0) ThrowFailure(status, context);

        var trajectory = Tensor.Wrap(solution, nameof(Solve));
        IReadOnlyList<OdeStep>? recorded = null;
        if (options.RecordSteps)
        {
            using var table = Tensor.Wrap(steps, nameof(Solve));
            var values = table.ToArray<double>();
            var list = new OdeStep[values.Length / 4];
            for (var k = 0; k < list.Length; k++)
                list[k] = new OdeStep(values[4 * k], values[4 * k + 1], values[4 * k + 2] != 0, values[4 * k + 3]);
            recorded = list;
        }
        return new OdeSolution(trajectory, new OdeStats(counts[0], counts[1], counts[2]), recorded, context);
    }

    private static void CheckTimes(double[] times)
    {
        foreach (var time in times)
            if (!double.IsFinite(time))
                throw new ArgumentException($"Ode.Solve: t holds a non-finite value ({time})", "t");
        var decreasing = times.Length > 1 && times[0] > times[1];
        for (var k = 1; k < times.Length; k++)
            if (decreasing ? times[k] >= times[k - 1] : times[k] <= times[k - 1])
                throw new ArgumentException(
                    $"Ode.Solve: t must be strictly monotone, but t[{k - 1}] = {times[k - 1]} and t[{k}] = {times[k]}", "t");
    }

    private static NativeOdeOptions ToNative(OdeOptions o, DType timeDType) => new()
    {
        Rtol = o.Rtol,
        Atol = o.Atol,
        FirstStep = o.FirstStep ?? double.NaN,
        MinStep = o.MinStep,
        MaxStep = o.MaxStep,
        Safety = o.Safety,
        IFactor = o.IFactor,
        DFactor = o.DFactor,
        StepSize = o.StepSize ?? double.NaN,
        AdjointRtol = o.AdjointRtol ?? o.Rtol,
        AdjointAtol = o.AdjointAtol ?? o.Atol,
        AdjointStepSize = o.AdjointStepSize ?? o.StepSize ?? double.NaN,
        MaxNumSteps = o.MaxNumSteps,
        Method = (int)o.Method,
        AdjointMethod = (int)(o.AdjointMethod ?? o.Method),
        Adjoint = o.Adjoint ? 1 : 0,
        Seminorm = o.AdjointNorm == OdeAdjointNorm.Seminorm ? 1 : 0,
        RecordSteps = o.RecordSteps ? 1 : 0,
        TimeDType = (int)timeDType,
    };

    private static void ThrowFailure(int status, OdeCallbackContext context)
    {
        if (status == -2 && context.TakeError() is { } error)
        {
            NativeCallbacks.ClearPending();
            error.Throw();
        }
        NativeCallbacks.ThrowPending();
        var message = Marshal.PtrToStringUTF8(Native.lq_last_error())?.Trim() ?? "the native solver failed";
        if (status == -3) throw new OdeSolverException(message);
        throw new TorchException(nameof(Ode) + "." + nameof(Solve), message);
    }
}

/// <summary>What native code holds (through a GCHandle) while it may call the vector field.</summary>
internal sealed class OdeCallbackContext(IOdeFunction field)
{
    private readonly object _lock = new();
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _error;
    private OdeStats _backward;

    public IOdeFunction Field { get; } = field;

    public OdeStats BackwardStats
    {
        get { lock (_lock) return _backward; }
    }

    public void AddBackward(OdeStats stats)
    {
        lock (_lock) _backward += stats;
    }

    public void SetError(Exception exception) =>
        _error ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception);

    public System.Runtime.ExceptionServices.ExceptionDispatchInfo? TakeError()
    {
        var error = _error;
        _error = null;
        return error;
    }
}

/// <summary>
/// A vector field made for one solve that holds tensors of its own (a time cell's drive): native code
/// releases it when the solve no longer needs it, which with the adjoint is after the backward pass.
/// </summary>
internal interface IReleasedWithSolve
{
    /// <summary>Frees what the field holds; called once, from the solver's release.</summary>
    void Release();
}

/// <summary>The entry points native code calls. None lets an exception escape into native frames.</summary>
internal static class OdeCallbacks
{
    /// <summary>f(t, y): adopts the two handles, returns a new handle to dy/dt, or 0 after recording an exception.</summary>
    [UnmanagedCallersOnly]
    public static nint Evaluate(nint context, nint t, nint y)
    {
        OdeCallbackContext? owner = null;
        try
        {
            using var scope = TensorScope.Enter();
            var time = Tensor.Wrap(t, nameof(Evaluate));
            var state = Tensor.Wrap(y, nameof(Evaluate));
            owner = (OdeCallbackContext)GCHandle.FromIntPtr(context).Target!;
            var derivative = owner.Field.Evaluate(time, state)
                ?? throw new InvalidOperationException("the ODE vector field returned null");
            var handle = Native.lq_tensor_alias(derivative.H(nameof(IOdeFunction.Evaluate)));
            if (handle == IntPtr.Zero) throw TorchException.FromLastError(nameof(IOdeFunction.Evaluate));
            return handle;
        }
        catch (Exception exception)
        {
            owner?.SetError(exception);
            NativeCallbacks.SetPending(exception);
            return IntPtr.Zero;
        }
    }

    /// <summary>Frees the context's GCHandle once native code no longer needs the field.</summary>
    [UnmanagedCallersOnly]
    public static void Release(nint context)
    {
        try
        {
            var handle = GCHandle.FromIntPtr(context);
            if (handle.Target is OdeCallbackContext { Field: IReleasedWithSolve owned }) owned.Release();
            handle.Free();
        }
        catch (Exception)
        {
            // Nothing may propagate into native code; a handle freed twice is a bug native code
            // rules out (it releases once, from its last owner).
        }
    }

    /// <summary>Adds one adjoint backward pass's statistics to the solution's.</summary>
    [UnmanagedCallersOnly]
    public static void OnBackward(nint context, long nfe, long accepted, long rejected)
    {
        try
        {
            ((OdeCallbackContext)GCHandle.FromIntPtr(context).Target!).AddBackward(new OdeStats(nfe, accepted, rejected));
        }
        catch (Exception)
        {
            // Statistics are best effort; nothing may propagate into native code.
        }
    }
}
