using Liquid.Runtime;
using Liquid.Runtime.Nn;

namespace Fixtures;

/// <summary>The custom layer the recurrent-tagger fixture names: a learned per-channel scale, to show custom layers compile and run.</summary>
public sealed class TokenMixer : Module
{
    private readonly Tensor _scale;

    public TokenMixer() => _scale = RegisterParameter("scale", Tensor.Ones([1]));

    public Tensor Forward(Tensor x) => x.Mul(_scale);
}
