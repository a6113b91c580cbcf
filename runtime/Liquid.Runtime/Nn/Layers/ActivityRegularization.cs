namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="ActivityRegularization"/>.</summary>
/// <param name="L1">Weight of mean |x|.</param>
/// <param name="L2">Weight of mean x².</param>
public sealed record ActivityRegularizationOptions(double L1 = 0, double L2 = 0);

/// <summary>
/// Passes its input through and measures it: the auxiliary loss l1·mean|x| + l2·mean x², which
/// keeps activations small when the objective weighs it (Keras's ActivityRegularization, with means
/// instead of sums so the loss does not grow with the batch or the width).
/// </summary>
public sealed class ActivityRegularization : Module
{
    /// <summary>Creates the layer.</summary>
    public ActivityRegularization(ActivityRegularizationOptions options)
    {
        if (!(options.L1 >= 0) || !(options.L2 >= 0)) throw new ArgumentException($"activity_regularization: l1 and l2 must be at least 0, not {options.L1} and {options.L2}");
        Options = options;
    }

    /// <summary>The options this layer was built with.</summary>
    public ActivityRegularizationOptions Options { get; }

    /// <summary>x unchanged, and the penalty (a scalar).</summary>
    public ActivityRegularizationOutput Forward(Tensor x)
    {
        using var scope = TensorScope.Enter();
        var penalty = x.Abs().Mean().Mul(Options.L1) + x.Square().Mean().Mul(Options.L2);
        return new ActivityRegularizationOutput(scope.Keep(x.Alias()), scope.Keep(penalty));
    }
}

/// <summary>What <see cref="ActivityRegularization"/> returns.</summary>
/// <param name="Output">The input, unchanged.</param>
/// <param name="Loss">l1·mean|x| + l2·mean x².</param>
public readonly record struct ActivityRegularizationOutput(Tensor Output, Tensor Loss);
