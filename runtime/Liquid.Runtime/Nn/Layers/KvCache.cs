namespace Liquid.Runtime.Nn;

/// <summary>
/// Keys and values of one attention layer kept across decoding steps, [B, kvHeads, length, headDim]
/// each. Storage grows by doubling, so appending a token costs one copy of that token.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly long _initialCapacity;
    private Tensor? _keys;
    private Tensor? _values;

    /// <summary>An empty cache; <paramref name="capacity"/> positions are reserved on first use.</summary>
    public KvCache(long capacity = 256) => _initialCapacity = Math.Max(1, capacity);

    /// <summary>Number of positions cached.</summary>
    public long Length { get; private set; }

    /// <summary>Appends k and v [B, kvHeads, T, headDim]; returns views of everything cached so far.</summary>
    public (Tensor Keys, Tensor Values) Append(Tensor keys, Tensor values)
    {
        var steps = keys.Size(2);
        Reserve(keys, Length + steps);
        using (var window = _keys!.Narrow(2, Length, steps)) window.Copy_(keys);
        using (var window = _values!.Narrow(2, Length, steps)) window.Copy_(values);
        Length += steps;
        return (_keys.Narrow(2, 0, Length), _values.Narrow(2, 0, Length));
    }

    /// <summary>Forgets every position (keeps the storage).</summary>
    public void Clear() => Length = 0;

    private void Reserve(Tensor like, long needed)
    {
        if (_keys is not null && _keys.Size(2) >= needed) return;
        var capacity = Math.Max(needed, _keys is null ? _initialCapacity : 2 * _keys.Size(2));
        var shape = like.Shape;
        shape[2] = capacity;
        var keys = Tensor.Zeros(shape, like.DType, like.Device);
        var values = Tensor.Zeros(shape, like.DType, like.Device);
        TensorScope.Current?.Detach(keys);
        TensorScope.Current?.Detach(values);
        if (_keys is not null && Length > 0)
        {
            using (var old = _keys.Narrow(2, 0, Length))
            using (var target = keys.Narrow(2, 0, Length)) target.Copy_(old);
            using (var old = _values!.Narrow(2, 0, Length))
            using (var target = values.Narrow(2, 0, Length)) target.Copy_(old);
        }
        _keys?.Dispose();
        _values?.Dispose();
        (_keys, _values) = (keys, values);
    }

    /// <summary>Frees the storage.</summary>
    public void Dispose()
    {
        _keys?.Dispose();
        _values?.Dispose();
    }
}
