using System.Runtime.InteropServices;

namespace Liquid.Runtime.Interop;

internal static unsafe partial class Native
{
    // ode.cpp
    [LibraryImport(Library)]
    public static partial int lq_ode_solve(
        delegate* unmanaged<nint, nint, nint, nint> field,
        delegate* unmanaged<nint, void> release,
        delegate* unmanaged<nint, long, long, long, void> onBackward,
        nint context, TensorHandle y0, ReadOnlySpan<double> t, long nt, in NativeOdeOptions options,
        ReadOnlySpan<nint> parameters, long nparameters, out nint solution, Span<long> counts, nint* steps);
}

/// <summary>The C ABI's <c>lq_ode_options</c> (field order and types must match ode.cpp); NaN marks an unset option.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeOdeOptions
{
    public double Rtol, Atol, FirstStep, MinStep, MaxStep, Safety, IFactor, DFactor, StepSize;
    public double AdjointRtol, AdjointAtol, AdjointStepSize;
    public long MaxNumSteps;
    public int Method, AdjointMethod, Adjoint, Seminorm, RecordSteps, TimeDType;
}
