using System.Globalization;
using Liquid.Runtime.Interop;

namespace Liquid.Runtime.Nn;

/// <summary>
/// Parameters that share hyper-parameters (<c>param_groups</c> in torch.optim). The learning rate
/// is mutable so schedules can drive it; weight decay is per group so biases and norms can be
/// excluded (see <see cref="ParameterGroups.DecayAndNoDecay"/>).
/// </summary>
public sealed class ParameterGroup(IReadOnlyList<Tensor> parameters, double learningRate, double weightDecay)
{
    /// <summary>The tensors this group updates.</summary>
    public IReadOnlyList<Tensor> Parameters { get; } = parameters;

    /// <summary>Current learning rate.</summary>
    public double LearningRate { get; set; } = learningRate;

    /// <summary>Weight decay (L2 for SGD and Adam, decoupled for AdamW).</summary>
    public double WeightDecay { get; set; } = weightDecay;
}

/// <summary>Ways to split a module's parameters into groups.</summary>
public static class ParameterGroups
{
    /// <summary>
    /// Matrices and embeddings (rank ≥ 2) decay, vectors (biases, norm gains) do not: nanoGPT's and
    /// most LLM recipes' rule.
    /// </summary>
    public static IReadOnlyList<ParameterGroup> DecayAndNoDecay(Module module, double learningRate, double weightDecay)
    {
        var parameters = module.Parameters().ToList();
        return
        [
            new ParameterGroup(parameters.Where(p => p.Rank >= 2).ToList(), learningRate, weightDecay),
            new ParameterGroup(parameters.Where(p => p.Rank < 2).ToList(), learningRate, 0),
        ];
    }
}

/// <summary>
/// Base of the optimizers (<c>torch.optim.Optimizer</c>). Updates run natively, one call per
/// parameter, with the arithmetic of torch.optim's single-tensor code.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly Dictionary<Tensor, Dictionary<string, Tensor>> _state = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the optimizer over <paramref name="groups"/>.</summary>
    protected Optimizer(IReadOnlyList<ParameterGroup> groups)
    {
        if (groups.Count == 0) throw new ArgumentException("an optimizer needs at least one parameter group", nameof(groups));
        Groups = groups;
    }

    /// <summary>The parameter groups, in order.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Sets every group's learning rate (what a schedule does each step).</summary>
    public void SetLearningRate(double learningRate)
    {
        foreach (var group in Groups) group.LearningRate = learningRate;
    }

    /// <summary>Updates every parameter that has a gradient (<c>optimizer.step()</c>).</summary>
    public void Step()
    {
        StepCount++;
        foreach (var group in Groups)
            foreach (var parameter in group.Parameters)
            {
                using var gradient = parameter.Grad;
                if (gradient is null) continue;
                Update(parameter, gradient, group, StateOf(parameter));
            }
    }

    /// <summary>Drops every parameter's gradient (<c>optimizer.zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var group in Groups)
            foreach (var parameter in group.Parameters) parameter.ZeroGrad();
    }

    /// <summary>Applies one update to <paramref name="parameter"/>; <paramref name="state"/> is its per-parameter state.</summary>
    protected abstract void Update(Tensor parameter, Tensor gradient, ParameterGroup group, Dictionary<string, Tensor> state);

    /// <summary>A zero tensor shaped like <paramref name="parameter"/>, owned by the optimizer's state.</summary>
    protected static Tensor StateTensor(Tensor parameter) => Owned(parameter.ZerosLike());

    /// <summary>Takes <paramref name="tensor"/> out of any scope: optimizer state lives as long as the optimizer.</summary>
    protected static Tensor Owned(Tensor tensor) => TensorScope.Current?.Detach(tensor) ?? tensor;

    private Dictionary<string, Tensor> StateOf(Tensor parameter)
    {
        if (!_state.TryGetValue(parameter, out var state)) _state[parameter] = state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        return state;
    }

    /// <summary>
    /// The optimizer's state as named tensors, <c>{group}.{index}.{name}</c> (e.g. <c>0.3.exp_avg</c>),
    /// plus <c>step</c>; handles share storage with the optimizer. Saved next to the weights so
    /// training resumes exactly.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["step"] = Tensor.Scalar(StepCount),
        };
        for (var g = 0; g < Groups.Count; g++)
            for (var p = 0; p < Groups[g].Parameters.Count; p++)
                if (_state.TryGetValue(Groups[g].Parameters[p], out var state))
                    foreach (var (name, tensor) in state)
                        result[string.Create(CultureInfo.InvariantCulture, $"{g}.{p}.{name}")] = tensor.Alias();
        return result;
    }

    /// <summary>Restores state written by <see cref="StateDict"/> for the same parameter layout.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var step)) throw new ArgumentException("optimizer state has no 'step' entry");
        foreach (var (key, value) in state)
        {
            if (key == "step") continue;
            var parts = key.Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var g) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var p)
                || g < 0 || g >= Groups.Count || p < 0 || p >= Groups[g].Parameters.Count)
                throw new ArgumentException($"optimizer state key '{key}' does not match this optimizer's parameter groups");
            var parameter = Groups[g].Parameters[p];
            // Buffers match their parameter's shape and dtype; counters are scalars.
            if (value.Rank > 0 && !parameter.Shape.AsSpan().SequenceEqual(value.Shape))
                throw new ArgumentException($"optimizer state '{key}' has shape [{string.Join(", ", value.Shape)}] but its parameter has [{string.Join(", ", parameter.Shape)}]");
            if (value.Rank > 0 && value.DType != parameter.DType)
                throw new ArgumentException($"optimizer state '{key}' is {value.DType.Name()} but its parameter is {parameter.DType.Name()}");
            var slots = StateOf(parameter);
            if (slots.Remove(parts[2], out var previous)) previous.Dispose();
            using (Torch.NoGrad()) slots[parts[2]] = Owned(value.Clone());
        }
        StepCount = step.ItemInt64();
    }

    /// <summary>Frees the optimizer's state tensors (not the parameters).</summary>
    public void Dispose()
    {
        foreach (var state in _state.Values)
            foreach (var tensor in state.Values) tensor.Dispose();
        _state.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Scales all gradients of <paramref name="parameters"/> so their global p-norm is at most
    /// <paramref name="maxNorm"/>; returns the norm before clipping (<c>clip_grad_norm_</c>).
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2)
    {
        var list = parameters.ToArray();
        using var handles = new HandleArray(list, nameof(ClipGradNorm));
        Tensor.Check(Native.lq_clip_grad_norm(handles.Handles, list.Length, maxNorm, normType, out var total));
        return total;
    }
}
