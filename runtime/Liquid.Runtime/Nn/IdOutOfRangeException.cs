namespace Liquid.Runtime.Nn;

/// <summary>An index (token id, class id) given to a lookup layer is outside its table.</summary>
/// <param name="layer">The layer, as "path (Kind)".</param>
/// <param name="id">The offending id.</param>
/// <param name="count">Rows of the table: valid ids are 0 … count − 1.</param>
public sealed class IdOutOfRangeException(string layer, long id, long count)
    : ArgumentException($"{layer}: id {id} is out of range for a vocabulary of {count} (valid ids are 0 to {count - 1})")
{
    /// <summary>The layer, as "path (Kind)".</summary>
    public string Layer { get; } = layer;

    /// <summary>The offending id.</summary>
    public long Id { get; } = id;

    /// <summary>Rows of the table.</summary>
    public long Count { get; } = count;
}
