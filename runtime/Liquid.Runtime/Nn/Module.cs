namespace Liquid.Runtime.Nn;

/// <summary>
/// Base of every layer and model (<c>torch.nn.Module</c>). Submodules, parameters and buffers are
/// registered explicitly, in declaration order, under the names that form state-dict keys
/// (<c>h.0.attn.qkv.weight</c>); nothing is discovered by reflection.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = new();
    private readonly List<(string Name, Tensor Tensor, bool Persistent)> _buffers = new();
    private readonly List<(string Name, Module Module)> _children = new();
    private Module? _parent;
    private string _name = "";
    private bool _disposed;

    /// <summary>True in training mode (dropout active), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Dotted path from the root module (empty for the root), used in state-dict keys and messages.</summary>
    public string Path => _parent is null ? "" : _parent.Path.Length == 0 ? _name : _parent.Path + "." + _name;

    /// <summary>Short kind name used in error messages, e.g. <c>Linear</c> (a generic type without its arity: <c>ModuleList</c>).</summary>
    public virtual string Kind => GetType().Name is var name && name.IndexOf('`') is var tick and > 0 ? name[..tick] : name;

    /// <summary>Registers a learnable tensor under <paramref name="name"/>; it is made to require gradients.</summary>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        CheckName(name);
        // The module owns its parameters now; a scope open around construction must not free them.
        parameter.Scope?.Detach(parameter);
        parameter.RequiresGrad = true;
        _parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>
    /// Registers a non-learnable tensor (running statistics, masks, RoPE tables). Persistent buffers
    /// are part of the state dict; others are recomputed by the module.
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer, bool persistent = true)
    {
        CheckName(name);
        buffer.Scope?.Detach(buffer);
        _buffers.Add((name, buffer, persistent));
        return buffer;
    }

    /// <summary>Registers a submodule under <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        if (module._parent is not null)
            throw new InvalidOperationException($"module '{module.Path}' is already registered; a module has one parent");
        module._parent = this;
        module._name = name;
        _children.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid name: names are non-empty and have no dots", nameof(name));
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"{Describe()}: the name '{name}' is already registered", nameof(name));
    }

    /// <summary>Direct submodules in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    /// <summary>This module and every descendant with its dotted path, depth first in registration order.</summary>
    public IEnumerable<(string Path, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in _children)
            foreach (var entry in child.NamedModules(Join(prefix, name)))
                yield return entry;
    }

    /// <summary>
    /// Every parameter with its dotted name, in registration order (<c>named_parameters</c>). A tensor
    /// registered twice (tied weights) is listed once, under its first name.
    /// </summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (path, module) in NamedModules())
            foreach (var (name, parameter) in module._parameters)
                if (seen.Add(parameter))
                    yield return (Join(path, name), parameter);
    }

    /// <summary>Every parameter, once each (<c>parameters()</c>).</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer with its dotted name and whether it is saved in the state dict.</summary>
    public IEnumerable<(string Name, Tensor Buffer, bool Persistent)> NamedBuffers()
    {
        foreach (var (path, module) in NamedModules())
            foreach (var (name, buffer, persistent) in module._buffers)
                yield return (Join(path, name), buffer, persistent);
    }

    /// <summary>Number of learnable scalars (tied weights counted once).</summary>
    public long ParameterCount => Parameters().Sum(p => p.NumElements);

    /// <summary>
    /// Floating-point operations this module performs itself, per position (token or time step) of a
    /// sequence of length <paramref name="context"/>, in one forward pass; work done by registered
    /// submodules is theirs, not counted here. <c>liquid inspect</c> sums it over the model.
    /// </summary>
    public virtual long FlopsPerPosition(long context) => 0;

    /// <summary>Sets training mode on this module and every descendant (<c>train()</c>).</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, module) in NamedModules()) module.Training = training;
        return this;
    }

    /// <summary>Sets evaluation mode (<c>eval()</c>).</summary>
    public Module Eval() => Train(false);

    /// <summary>Drops every parameter's gradient (<c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in Parameters()) parameter.ZeroGrad();
    }

    /// <summary>
    /// Moves every parameter and buffer to <paramref name="device"/> and, if given, converts floating
    /// ones to <paramref name="dtype"/> (<c>module.to(device, dtype)</c>). Tensors keep their identity,
    /// so fields and optimizers that hold them stay valid.
    /// </summary>
    public Module To(Device device, DType? dtype = null)
    {
        var all = Parameters().Concat(NamedBuffers().Select(b => b.Buffer)).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>();
        foreach (var tensor in all)
        {
            var target = dtype is { } d && tensor.DType.IsFloatingPoint() ? d : tensor.DType;
            using var detached = tensor.Detach();
            using var moved = detached.To(device, target);
            tensor.SetData(moved);
        }
        return this;
    }

    /// <summary>Converts floating parameters and buffers to <paramref name="dtype"/> on their current device.</summary>
    public Module To(DType dtype) => To(Parameters().FirstOrDefault()?.Device ?? Device.Cpu, dtype);

    /// <summary>
    /// Parameters and persistent buffers by dotted name (<c>state_dict()</c>). The values are detached
    /// handles sharing storage with the module: dispose them (or use a scope) when done.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (path, module) in NamedModules())
        {
            foreach (var (name, parameter) in module._parameters) state.TryAdd(Join(path, name), parameter.Detach());
            foreach (var (name, buffer, persistent) in module._buffers)
                if (persistent) state.TryAdd(Join(path, name), buffer.Detach());
        }
        return state;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into this module's tensors (<c>load_state_dict</c>).
    /// Reports missing, unexpected and shape-mismatched keys; when <paramref name="strict"/>, any of
    /// them throws a <see cref="StateDictException"/> listing all, before anything is copied.
    /// </summary>
    public StateDictReport LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var targets = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (path, module) in NamedModules())
        {
            foreach (var (name, parameter) in module._parameters) targets.TryAdd(Join(path, name), parameter);
            foreach (var (name, buffer, persistent) in module._buffers)
                if (persistent) targets.TryAdd(Join(path, name), buffer);
        }
        var missing = targets.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !targets.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = new List<string>();
        foreach (var (key, target) in targets)
            if (state.TryGetValue(key, out var value) && !target.Shape.AsSpan().SequenceEqual(value.Shape))
                mismatched.Add($"{key}: expected [{string.Join(", ", target.Shape)}], got [{string.Join(", ", value.Shape)}]");
        var report = new StateDictReport(missing, unexpected, mismatched);
        if (strict && !report.IsClean) throw new StateDictException(Describe(), report);

        using (Torch.NoGrad())
            foreach (var (key, target) in targets)
                if (state.TryGetValue(key, out var value) && target.Shape.AsSpan().SequenceEqual(value.Shape))
                    target.Copy_(value);
        return report;
    }

    /// <summary>"path (Kind)" or just the kind for a root module, for error messages.</summary>
    protected string Describe() => Path.Length == 0 ? Kind : $"{Path} ({Kind})";

    /// <summary>Throws a <see cref="ShapeException"/> naming this layer unless <paramref name="condition"/> holds.</summary>
    protected void ExpectShape(bool condition, string expected, Tensor actual)
    {
        if (!condition) throw new ShapeException(Describe(), expected, actual.Shape);
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>Disposes every parameter, buffer and submodule.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, child) in _children) child.Dispose();
        foreach (var (_, parameter) in _parameters) parameter.Dispose();
        foreach (var (_, buffer, _) in _buffers) buffer.Dispose();
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases anything a subclass holds besides registered tensors (caches, for example).</summary>
    protected virtual void DisposeCore() { }
}

/// <summary>What <see cref="Module.LoadStateDict"/> found.</summary>
public sealed record StateDictReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> Mismatched)
{
    /// <summary>No missing, unexpected or mismatched key.</summary>
    public bool IsClean => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    /// <inheritdoc/>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Missing.Count > 0) parts.Add($"missing keys: {string.Join(", ", Missing)}");
        if (Unexpected.Count > 0) parts.Add($"unexpected keys: {string.Join(", ", Unexpected)}");
        if (Mismatched.Count > 0) parts.Add($"shape mismatches: {string.Join("; ", Mismatched)}");
        return parts.Count == 0 ? "state dict matches" : string.Join("; ", parts);
    }
}

/// <summary>A strict <see cref="Module.LoadStateDict"/> found keys that do not fit the module.</summary>
public sealed class StateDictException(string module, StateDictReport report)
    : Exception($"{module}: state dict does not fit: {report}")
{
    /// <summary>Everything that did not fit.</summary>
    public StateDictReport Report { get; } = report;
}

/// <summary>A layer received an input of the wrong shape.</summary>
public sealed class ShapeException(string layer, string expected, long[] actual)
    : ArgumentException($"{layer}: expected input {expected}, got [{string.Join(", ", actual)}]")
{
    /// <summary>The layer, as "path (Kind)".</summary>
    public string Layer { get; } = layer;
}
