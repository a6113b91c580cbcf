namespace Liquid.Runtime.Nn;

/// <summary>
/// State carried across calls: KV caches of attention layers and recurrent states, keyed by the
/// layer's state-dict path, plus the number of positions already consumed. Pass the same instance
/// to successive calls for incremental decoding or chunked long inputs.
/// </summary>
public sealed class ModelState : IDisposable
{
    private readonly Dictionary<string, KvCache> _caches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor[]> _carried = new(StringComparer.Ordinal);

    /// <summary>Positions consumed so far (the offset of the next input's first position).</summary>
    public long Position { get; set; }

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
        foreach (var cache in _caches.Values) cache.Dispose();
        foreach (var tensors in _carried.Values)
            foreach (var tensor in tensors) tensor.Dispose();
        _caches.Clear();
        _carried.Clear();
    }
}
