namespace Liquid.Runtime.Nn;

/// <summary>Training objectives (<c>torch.nn.functional</c> losses plus focal loss).</summary>
public static class Losses
{
    /// <summary>Cross-entropy over logits [N, C] and class ids [N] (<c>F.cross_entropy</c>).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, long ignoreIndex = -100, double labelSmoothing = 0, Reduction reduction = Reduction.Mean) =>
        Functional.CrossEntropy(logits, target, reduction, ignoreIndex, labelSmoothing);

    /// <summary>
    /// Focal loss (Lin et al. 2017), α·(1 − p_t)^γ·CE per token with p_t the probability of the target
    /// class; averaged over the tokens that are not <paramref name="ignoreIndex"/>. γ = 0, α = 1 is cross-entropy.
    /// </summary>
    public static Tensor Focal(Tensor logits, Tensor target, double alpha = 1, double gamma = 2, long ignoreIndex = -100)
    {
        using var scope = TensorScope.Enter();
        var perToken = Functional.CrossEntropy(logits, target, Reduction.None, ignoreIndex);
        var pTarget = perToken.Neg().Exp();
        var weighted = pTarget.RSub(1.0).Pow(gamma).Mul(perToken).Mul(alpha);
        var counted = target.Ne(ignoreIndex).Sum().To(weighted.DType).Clamp(min: 1);
        return scope.Keep(weighted.Sum().Div(counted));
    }

    /// <summary>Mean squared error (<c>F.mse_loss</c>).</summary>
    public static Tensor Mse(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) => Functional.MseLoss(input, target, reduction);

    /// <summary>Mean absolute error (<c>F.l1_loss</c>).</summary>
    public static Tensor L1(Tensor input, Tensor target)
    {
        using var scope = TensorScope.Enter();
        return scope.Keep(input.Sub(target).Abs().Mean());
    }

    /// <summary>
    /// Binary cross-entropy of logits against targets in [0, 1] (<c>F.binary_cross_entropy_with_logits</c>):
    /// mean of max(x, 0) − x·y + log(1 + e^−|x|), the form that never overflows.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target)
    {
        using var scope = TensorScope.Enter();
        var loss = input.Relu().Sub(input.Mul(target)).Add(input.Abs().Neg().Exp().Log1p());
        return scope.Keep(loss.Mean());
    }

    /// <summary>−mean(log p): the negative log-likelihood of a log-probability value (a flow's, say).</summary>
    public static Tensor NegativeLogLikelihood(Tensor logProbability)
    {
        using var scope = TensorScope.Enter();
        return scope.Keep(logProbability.Mean().Neg());
    }

    /// <summary>Smooth L1 / Huber with transition at <paramref name="beta"/> (<c>F.smooth_l1_loss</c>).</summary>
    public static Tensor SmoothL1(Tensor input, Tensor target, double beta = 1, Reduction reduction = Reduction.Mean) =>
        Functional.SmoothL1Loss(input, target, reduction, beta);

    /// <summary>
    /// 1 − cos(a, b) where target = 1, max(0, cos(a, b) − margin) where target = −1
    /// (<c>F.cosine_embedding_loss</c>); a and b are [N, D], target [N].
    /// </summary>
    public static Tensor CosineEmbedding(Tensor a, Tensor b, Tensor target, double margin = 0, Reduction reduction = Reduction.Mean) =>
        Tensor.Wrap(Interop.Native.lq_cosine_embedding_loss(a.H(), b.H(), target.H(), margin, (long)reduction));
}
