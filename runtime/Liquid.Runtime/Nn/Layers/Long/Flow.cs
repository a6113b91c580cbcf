namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="Flow"/>.</summary>
/// <param name="Dim">Features D of the input.</param>
/// <param name="Hidden">Width of the couplings' scale and shift networks.</param>
/// <param name="NumFlows">Couplings K; coupling i has parity i mod 2.</param>
/// <param name="Latent">Features kept of the flow's output (the first ones); null keeps all D.</param>
/// <param name="Shared">One scale and one shift network for every coupling (needs an even D).</param>
public sealed record FlowOptions(long Dim, long Hidden, long NumFlows = 4, long? Latent = null, bool Shared = false);

/// <summary>
/// The outputs of <see cref="Flow.Forward"/>: the kept features <paramref name="Output"/> […, latent],
/// the summed log-determinant <paramref name="LogDet"/> […], the negative log-likelihood per dimension
/// under a standard normal base <paramref name="Nll"/> (a scalar loss), and the full output <paramref name="Z"/> […, D].
/// </summary>
public readonly record struct FlowOutput(Tensor Output, Tensor LogDet, Tensor Nll, Tensor Z);

/// <summary>
/// A normalizing flow of alternating affine couplings, keeping the first <c>latent</c> features of
/// its output (SEED-MODELS §4's dimensionality reduction; Long/README.md). Alternating parities make
/// every feature transformed, which the seed's original, always conditioning on the same half, did not.
/// </summary>
public sealed class Flow : Module
{
    private readonly AffineCoupling[] _couplings;

    /// <summary>Builds the couplings (and the shared networks).</summary>
    public Flow(FlowOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.NumFlows < 1) throw new ArgumentException($"flow: num_flows must be at least 1, not {options.NumFlows}", nameof(options));
        if (options.Latent is { } latent && (latent < 1 || latent > options.Dim))
            throw new ArgumentException($"flow: latent must be in [1, dim = {options.Dim}], not {latent}", nameof(options));
        if (options.Shared && options.Dim % 2 != 0)
            throw new ArgumentException($"flow: shared networks need an even dim (both parts the same size), not {options.Dim}", nameof(options));
        Options = options;
        var indices = Enumerable.Range(0, checked((int)options.NumFlows));
        if (options.Shared)
        {
            var scale = RegisterModule("scale", new CouplingNet(options.Dim / 2, options.Hidden, options.Dim / 2));
            var shift = RegisterModule("shift", new CouplingNet(options.Dim / 2, options.Hidden, options.Dim / 2));
            _couplings = indices.Select(i => new AffineCoupling(new AffineCouplingOptions(options.Dim, options.Hidden, i % 2), scale, shift)).ToArray();
        }
        else
        {
            var list = RegisterModule("couplings", new ModuleList<AffineCoupling>(
                indices.Select(i => new AffineCoupling(new AffineCouplingOptions(options.Dim, options.Hidden, i % 2)))));
            _couplings = list.ToArray();
        }
    }

    /// <summary>The options this layer was built with.</summary>
    public FlowOptions Options { get; }

    /// <summary>The couplings, first to last.</summary>
    public IReadOnlyList<AffineCoupling> Couplings => _couplings;

    /// <summary>Runs every coupling over x […, D].</summary>
    public FlowOutput Forward(Tensor x)
    {
        ExpectShape(x.Rank >= 1 && x.Size(-1) == Options.Dim, $"[…, {Options.Dim}]", x);
        using var scope = TensorScope.Enter();
        var z = x;
        Tensor? logDet = null;
        foreach (var coupling in _couplings)
        {
            var step = coupling.Forward(z);
            z = step.Output;
            logDet = logDet is null ? step.LogDet : logDet + step.LogDet;
        }
        // −log N(z; 0, I) − log|det|, per dimension, averaged over positions.
        var dim = (double)Options.Dim;
        var nll = ((z.Square().Sum(-1) * 0.5 + 0.5 * dim * Math.Log(2 * Math.PI) - logDet!) / dim).Mean();
        var kept = Options.Latent is { } latent && latent < Options.Dim ? z.Narrow(-1, 0, latent) : z;
        return new FlowOutput(scope.Keep(kept), scope.Keep(logDet!), scope.Keep(nll), scope.Keep(z));
    }

    /// <summary>x = flow⁻¹(z) from the full output z […, D].</summary>
    public Tensor Inverse(Tensor z)
    {
        ExpectShape(z.Rank >= 1 && z.Size(-1) == Options.Dim, $"[…, {Options.Dim}]", z);
        using var scope = TensorScope.Enter();
        var x = z;
        for (var i = _couplings.Length - 1; i >= 0; i--) x = _couplings[i].Inverse(x);
        return scope.Keep(x);
    }

    /// <inheritdoc/>
    public override long FlopsPerPosition(long context) => _couplings.Sum(c => c.FlopsPerPosition(context));
}
