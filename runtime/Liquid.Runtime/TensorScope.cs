namespace Liquid.Runtime;

/// <summary>
/// Frees the intermediates of a computation deterministically. Every tensor created on this thread
/// while the scope is the innermost one is disposed when the scope ends, except the ones handed
/// out with <see cref="Keep(Tensor)"/>, which move to the enclosing scope (or to no scope).
/// </summary>
/// <example>
/// <code>
/// Tensor Attention(Tensor q, Tensor k, Tensor v)
/// {
///     using var scope = TensorScope.Enter();
///     var weights = q.MatMul(k.Transpose(-2, -1)).Mul(scale).Softmax(-1);
///     return scope.Keep(weights.MatMul(v));   // everything else is freed here
/// }
/// </code>
/// </example>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? s_current;

    private readonly TensorScope? _parent;
    private readonly List<Tensor> _tracked = new();
    private bool _disposed;

    private TensorScope(TensorScope? parent) => _parent = parent;

    /// <summary>Starts a scope nested in the current one, on this thread.</summary>
    public static TensorScope Enter() => s_current = new TensorScope(s_current);

    /// <summary>The innermost open scope on this thread, if any.</summary>
    public static TensorScope? Current => s_current;

    /// <summary>Number of tensors this scope will dispose.</summary>
    public int Count => _tracked.Count(t => t.Scope == this);

    internal static void Track(Tensor tensor)
    {
        var scope = s_current;
        if (scope is null) return;
        tensor.Scope = scope;
        scope._tracked.Add(tensor);
    }

    /// <summary>Lets <paramref name="tensor"/> outlive this scope: the enclosing scope (if any) owns it now.</summary>
    public Tensor Keep(Tensor tensor)
    {
        if (tensor.Scope == this)
        {
            tensor.Scope = _parent;
            _parent?._tracked.Add(tensor);
        }
        return tensor;
    }

    /// <summary>Keeps several tensors (see <see cref="Keep(Tensor)"/>).</summary>
    public void Keep(params ReadOnlySpan<Tensor> tensors)
    {
        foreach (var tensor in tensors) Keep(tensor);
    }

    /// <summary>Keeps every tensor of <paramref name="state"/> (see <see cref="Keep(Tensor)"/>); null passes through.</summary>
    public T? KeepState<T>(T? state) where T : class, ITensorState
    {
        if (state is null) return null;
        foreach (var tensor in state.Tensors) Keep(tensor);
        return state;
    }

    /// <summary>Stops tracking <paramref name="tensor"/> altogether: the caller now disposes it.</summary>
    public Tensor Detach(Tensor tensor)
    {
        if (tensor.Scope == this) tensor.Scope = null;
        return tensor;
    }

    /// <summary>Disposes every tensor still owned by this scope and makes the parent current again.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var tensor in _tracked)
            if (tensor.Scope == this) tensor.Dispose();
        _tracked.Clear();
        // Scopes are expected to nest; if an inner one was leaked, closing the outer still restores order.
        if (s_current == this || IsAncestorOfCurrent()) s_current = _parent;
    }

    private bool IsAncestorOfCurrent()
    {
        for (var scope = s_current; scope is not null; scope = scope._parent)
            if (scope == this) return true;
        return false;
    }
}

/// <summary>A state object made of tensors (a recurrent layer's carried state), so scopes can keep it whole.</summary>
public interface ITensorState : IDisposable
{
    /// <summary>The tensors the state holds.</summary>
    IEnumerable<Tensor> Tensors { get; }
}
