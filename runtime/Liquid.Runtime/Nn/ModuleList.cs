using System.Collections;
using System.Globalization;

namespace Liquid.Runtime.Nn;

/// <summary>An indexed list of submodules named 0, 1, 2 … (<c>torch.nn.ModuleList</c>).</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> _items = new();

    /// <summary>An empty list; add with <see cref="Add"/>.</summary>
    public ModuleList() { }

    /// <summary>A list holding <paramref name="items"/> in order.</summary>
    public ModuleList(IEnumerable<T> items)
    {
        foreach (var item in items) Add(item);
    }

    /// <summary>Appends and registers <paramref name="module"/> under the next index.</summary>
    public void Add(T module) => _items.Add(RegisterModule(_items.Count.ToString(CultureInfo.InvariantCulture), module));

    /// <inheritdoc/>
    public T this[int index] => _items[index];

    /// <inheritdoc/>
    public int Count => _items.Count;

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
