namespace Liquid.Runtime.Nn;

/// <summary>Parameter initializers (<c>torch.nn.init</c>), in place under no-grad.</summary>
public static class Init
{
    /// <summary>U(−bound, bound) with bound = 1/√fan_in: PyTorch's default for Linear, Conv and RNN weights and biases.</summary>
    public static Tensor UniformFanIn(Tensor tensor, long fanIn)
    {
        var bound = fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0;
        using (Torch.NoGrad()) tensor.Uniform_(-bound, bound);
        return tensor;
    }

    /// <summary>N(mean, std²) (<c>nn.init.normal_</c>).</summary>
    public static Tensor Normal(Tensor tensor, double mean, double std)
    {
        using (Torch.NoGrad()) tensor.Normal_(mean, std);
        return tensor;
    }

    /// <summary>A constant (<c>nn.init.constant_</c>).</summary>
    public static Tensor Constant(Tensor tensor, double value)
    {
        using (Torch.NoGrad()) tensor.Fill_(value);
        return tensor;
    }
}
