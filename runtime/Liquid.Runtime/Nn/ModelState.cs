namespace Liquid.Runtime.Nn;

/// <summary>
/// State carried across calls of one model: each stateful layer keeps a typed object of its own
/// (an attention layer its <see cref="KvCache"/>, a recurrent layer its final state), found by the
/// layer instance, plus the number of positions already consumed. Pass the same instance to
/// successive calls for incremental decoding or chunked long inputs; dispose it when done.
/// </summary>
public sealed class ModelState : IDisposable
{
    private readonly Dictionary<Module, IDisposable> _layers = new(ReferenceEqualityComparer.Instance);

    /// <summary>Positions consumed so far (the offset of the next input's first position).</summary>
    public long Position { get; set; }

    /// <summary>The state <paramref name="layer"/> left in an earlier call, or null.</summary>
    /// <exception cref="InvalidOperationException">The layer's state has another type (a bug in the layer).</exception>
    public T? Get<T>(Module layer) where T : class, IDisposable =>
        !_layers.TryGetValue(layer, out var found) ? null
        : found as T ?? throw new InvalidOperationException($"{layer.Path}: the carried state is a {found.GetType().Name}, not a {typeof(T).Name}");

    /// <summary>The state of <paramref name="layer"/>, made by <paramref name="create"/> on first use.</summary>
    public T GetOrAdd<T>(Module layer, Func<T> create) where T : class, IDisposable
    {
        if (Get<T>(layer) is { } existing) return existing;
        var created = create();
        _layers[layer] = created;
        return created;
    }

    /// <summary>
    /// Keeps <paramref name="value"/> as the state of <paramref name="layer"/> for the next call, freeing
    /// the previous one. The state owns its tensors from now on: make them with
    /// <see cref="Tensor.Detach"/> outside any scope, or detach them from theirs.
    /// </summary>
    public void Set<T>(Module layer, T value) where T : class, IDisposable
    {
        if (_layers.TryGetValue(layer, out var previous) && !ReferenceEquals(previous, value)) previous.Dispose();
        _layers[layer] = value;
    }

    /// <summary>Frees every cache and state.</summary>
    public void Dispose()
    {
        foreach (var state in _layers.Values) state.Dispose();
        _layers.Clear();
    }
}
