namespace Liquid.Runtime.Nn;

/// <summary>Zeroes each element with probability P while training and rescales the rest (<c>torch.nn.Dropout</c>).</summary>
public sealed class Dropout : Module
{
    /// <summary>Creates the layer; P must be in [0, 1).</summary>
    public Dropout(double p)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <summary>Identity in eval mode or when P = 0 (returns a new handle either way).</summary>
    public Tensor Forward(Tensor input) => Training && P > 0 ? Functional.Dropout(input, P, training: true) : input.Alias();
}
