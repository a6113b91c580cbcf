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
    private readonly Dictionary<string, KvCache> _caches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor[]> _carried = new(StringComparer.Ordinal);

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

    /// <summary>The KV cache of the attention layer at <paramref name="path"/>, created on first use.</summary>
    public KvCache Cache(string path)
    {
        if (!_caches.TryGetValue(path, out var cache)) _caches[path] = cache = new KvCache();
        return cache;
    }

    /// <summary>The tensors carried for the layer at <paramref name="path"/> by the previous call, if any.</summary>
    public Tensor[]? Carried(string path) => _carried.TryGetValue(path, out var tensors) ? tensors : null;

    /// <summary>
    /// Keeps <paramref name="tensors"/> for the layer at <paramref name="path"/> until the next call. They
    /// are cut from the autograd graph (truncated backpropagation through time) and owned by this state.
    /// </summary>
    public void Carry(string path, params Tensor[] tensors)
    {
        var kept = new Tensor[tensors.Length];
        for (var k = 0; k < tensors.Length; k++)
        {
            kept[k] = tensors[k].Detach();
            TensorScope.Current?.Detach(kept[k]);
        }
        if (_carried.TryGetValue(path, out var previous))
            foreach (var tensor in previous) tensor.Dispose();
        _carried[path] = kept;
    }

    /// <summary>Frees every cache and state.</summary>
    public void Dispose()
    {
        foreach (var state in _layers.Values) state.Dispose();
        foreach (var cache in _caches.Values) cache.Dispose();
        foreach (var tensors in _carried.Values)
            foreach (var tensor in tensors) tensor.Dispose();
        _layers.Clear();
        _caches.Clear();
        _carried.Clear();
    }
}
