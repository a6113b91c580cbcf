namespace Liquid.Runtime.Nn;

/// <summary>How a CfC cell forms its new state (ncps's <c>mode</c>).</summary>
public enum CfcMode
{
    /// <summary>h' = tanh(ff1) ⊙ (1 − g) + g ⊙ tanh(ff2), g = σ(time_a·Δ + time_b) (<c>"default"</c>).</summary>
    Default,
    /// <summary>h' = tanh(ff1) + g ⊙ tanh(ff2) (<c>"no_gate"</c>).</summary>
    NoGate,
    /// <summary>h' = −A ⊙ exp(−Δ·(|w_tau| + |ff1|)) ⊙ ff1 + A, the closed-form solution (<c>"pure"</c>).</summary>
    Pure,
}

/// <summary>The CfC backbone's nonlinearity (ncps's <c>backbone_activation</c>).</summary>
public enum CfcActivation
{
    /// <summary>1.7159·tanh(0.666·x) (<c>"lecun_tanh"</c>, ncps's default).</summary>
    LecunTanh,
    /// <summary>x·σ(x).</summary>
    Silu,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>Exact GELU, x·Φ(x) (<c>nn.GELU()</c>).</summary>
    Gelu,
}

/// <summary>LeCun's scaled tanh as a module, 1.7159·tanh(0.666·x) (ncps's <c>LeCun</c>).</summary>
public sealed class LecunTanh : Module
{
    /// <summary>1.7159·tanh(0.666·x).</summary>
    public Tensor Forward(Tensor input)
    {
        using var scope = TensorScope.Enter();
        return scope.Keep(input.Mul(0.666).Tanh().Mul(1.7159));
    }
}

/// <summary>
/// One closed-form continuous-time cell (<c>ncps.torch.CfCCell</c>, Hasani et al. 2022;
/// LIQUID-SEMANTICS.md §6.3). z = backbone([u, h]) (or [u, h] itself without backbone); a₁ = ff1(z),
/// and by mode: default h' = tanh(a₁)(1 − g) + g·tanh(ff2(z)) with g = σ(time_a(z)·Δ + time_b(z)),
/// no_gate h' = tanh(a₁) + g·tanh(ff2(z)), pure h' = −A·exp(−Δ(|w_tau| + |a₁|))·a₁ + A.
/// </summary>
/// <remarks>
/// Submodules and parameters in ncps's names and order: <c>sparsity_mask</c> (a buffer [N, I+N], wired
/// cells only), <c>backbone.0</c> Linear, <c>backbone.1</c> activation, <c>backbone.2</c> Linear … (a
/// Dropout after each layer but the first when p &gt; 0), <c>ff1</c>, then <c>w_tau</c> and <c>A</c> [1, N]
/// (pure) or <c>ff2</c>, <c>time_a</c>, <c>time_b</c>. Init as ncps: PyTorch's default Linear init, then
/// xavier-uniform on every 2-D parameter in <see cref="Module.Parameters"/> order — which includes pure
/// mode's w_tau and A, so they do not start at 0 and 1 (pitfall 3).
/// </remarks>
public sealed class CfcCell : Module
{
    private readonly List<Linear> _backbone = new();
    private readonly List<Dropout?> _dropouts = new();

    /// <summary>Creates the cell; <paramref name="sparsityMask"/> [I+N, N] (rows: inputs then state) makes it a wired cell.</summary>
    public CfcCell(long inputSize, long hiddenSize, CfcMode mode = CfcMode.Default, CfcActivation activation = CfcActivation.LecunTanh,
        long backboneUnits = 128, long backboneLayers = 1, double backboneDropout = 0, float[,]? sparsityMask = null)
    {
        if (inputSize < 1 || hiddenSize < 1) throw new ArgumentException($"cfc: input and hidden sizes must be positive, got {inputSize} and {hiddenSize}");
        if (backboneLayers < 0) throw new ArgumentException($"cfc: backbone layers cannot be negative, got {backboneLayers}");
        if (backboneLayers > 0 && backboneUnits < 1) throw new ArgumentException($"cfc: backbone units must be positive, got {backboneUnits}");
        if (!(backboneDropout >= 0 && backboneDropout < 1)) throw new ArgumentException($"cfc: backbone dropout must be in [0, 1), got {backboneDropout}");
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"cfc: unknown mode {mode}");
        if (!Enum.IsDefined(activation)) throw new ArgumentException($"cfc: unknown activation {activation}");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Mode = mode;
        Activation = activation;
        BackboneUnits = backboneLayers > 0 ? backboneUnits : 0;
        BackboneLayers = backboneLayers;
        BackboneDropout = backboneDropout;

        if (sparsityMask is not null)
        {
            if (sparsityMask.GetLength(0) != inputSize + hiddenSize || sparsityMask.GetLength(1) != hiddenSize)
                throw new ArgumentException($"cfc: the sparsity mask must be [{inputSize + hiddenSize}, {hiddenSize}], got [{sparsityMask.GetLength(0)}, {sparsityMask.GetLength(1)}]");
            // Stored transposed and absolute, like ff1's weight [N, I+N].
            var transposed = new float[hiddenSize * (inputSize + hiddenSize)];
            for (var row = 0; row < inputSize + hiddenSize; row++)
                for (var column = 0; column < hiddenSize; column++)
                    transposed[column * (inputSize + hiddenSize) + row] = Math.Abs(sparsityMask[row, column]);
            SparsityMask = RegisterBuffer("sparsity_mask", Tensor.From(transposed, [hiddenSize, inputSize + hiddenSize]));
        }
        if (backboneLayers > 0)
        {
            var backbone = RegisterModule("backbone", new ModuleList<Module>());
            for (var layer = 0; layer < backboneLayers; layer++)
            {
                var linear = new Linear(new LinearOptions(layer == 0 ? inputSize + hiddenSize : backboneUnits, backboneUnits));
                backbone.Add(linear);
                backbone.Add(ActivationModule(activation));
                _backbone.Add(linear);
                Dropout? dropout = null;
                if (layer > 0 && backboneDropout > 0) backbone.Add(dropout = new Dropout(backboneDropout));
                _dropouts.Add(dropout);
            }
        }
        var width = HeadWidth;
        Ff1 = RegisterModule("ff1", new Linear(new LinearOptions(width, hiddenSize)));
        if (mode == CfcMode.Pure)
        {
            WTau = RegisterParameter("w_tau", Tensor.Zeros([1, hiddenSize]));
            A = RegisterParameter("A", Tensor.Ones([1, hiddenSize]));
        }
        else
        {
            Ff2 = RegisterModule("ff2", new Linear(new LinearOptions(width, hiddenSize)));
            TimeA = RegisterModule("time_a", new Linear(new LinearOptions(width, hiddenSize)));
            TimeB = RegisterModule("time_b", new Linear(new LinearOptions(width, hiddenSize)));
        }
        // ncps's init_weights(): every trainable 2-D parameter, in parameters() order.
        foreach (var parameter in Parameters())
            if (parameter.Rank == 2) LiquidInit.XavierUniform(parameter);
    }

    private static Module ActivationModule(CfcActivation activation) => activation switch
    {
        CfcActivation.LecunTanh => new LecunTanh(),
        CfcActivation.Silu => new Silu(),
        CfcActivation.Relu => new Relu(),
        CfcActivation.Tanh => new Tanh(),
        CfcActivation.Gelu => new Gelu(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation"),
    };

    /// <summary>Input features I (the previous layer's size in a wired CfC).</summary>
    public long InputSize { get; }
    /// <summary>Units N of this cell.</summary>
    public long HiddenSize { get; }
    /// <summary>The mode.</summary>
    public CfcMode Mode { get; }
    /// <summary>The backbone's nonlinearity.</summary>
    public CfcActivation Activation { get; }
    /// <summary>Backbone width (0 without backbone).</summary>
    public long BackboneUnits { get; }
    /// <summary>Backbone layers (0: the heads read [u, h] directly).</summary>
    public long BackboneLayers { get; }
    /// <summary>Dropout after every backbone layer but the first.</summary>
    public double BackboneDropout { get; }
    /// <summary>Width the heads read: the backbone's units, or I + N without backbone.</summary>
    public long HeadWidth => BackboneLayers > 0 ? BackboneUnits : InputSize + HiddenSize;

    /// <summary>|mask| [N, I+N] applied to ff1 and ff2 (wired cells), or null.</summary>
    public Tensor? SparsityMask { get; }
    /// <summary>The backbone's Linears, in order.</summary>
    public IReadOnlyList<Linear> Backbone => _backbone;
    /// <summary>First head.</summary>
    public Linear Ff1 { get; }
    /// <summary>Second head (not in pure mode).</summary>
    public Linear? Ff2 { get; }
    /// <summary>Time gain head (not in pure mode).</summary>
    public Linear? TimeA { get; }
    /// <summary>Time bias head (not in pure mode).</summary>
    public Linear? TimeB { get; }
    /// <summary>Pure mode's time-constant offset [1, N].</summary>
    public Tensor? WTau { get; }
    /// <summary>Pure mode's amplitude [1, N].</summary>
    public Tensor? A { get; }

    /// <summary>Whether dropout would change this cell's output now (training with p &gt; 0 after a second layer).</summary>
    public bool DropsOut => Training && BackboneDropout > 0 && BackboneLayers > 1;

    /// <summary>
    /// One step op by op, as ncps computes it: <paramref name="input"/> [B, I], <paramref name="state"/>
    /// [B, N], elapsed time <paramref name="elapsed"/> [B, 1] (null: 1). Returns h' [B, N].
    /// </summary>
    public Tensor Forward(Tensor input, Tensor state, Tensor? elapsed)
    {
        using var scope = TensorScope.Enter();
        var z = Tensor.Cat([input, state], 1);
        for (var layer = 0; layer < _backbone.Count; layer++)
        {
            z = Activate(Activation, _backbone[layer].Forward(z));
            if (_dropouts[layer] is { } dropout) z = dropout.Forward(z);
        }
        var a1 = Head(Ff1, z, masked: true);
        Tensor next;
        if (Mode == CfcMode.Pure)
        {
            var decay = WTau!.Abs().Add(a1.Abs());
            decay = elapsed is null ? decay.Neg() : elapsed.Neg().Mul(decay);
            next = A!.Neg().Mul(decay.Exp()).Mul(a1).Add(A!);
        }
        else
        {
            var f1 = a1.Tanh();
            var f2 = Head(Ff2!, z, masked: true).Tanh();
            var timeA = TimeA!.Forward(z);
            if (elapsed is not null) timeA = timeA.Mul(elapsed);
            var gate = timeA.Add(TimeB!.Forward(z)).Sigmoid();
            next = Mode == CfcMode.NoGate ? f1.Add(gate.Mul(f2)) : f1.Mul(gate.RSub(1.0)).Add(gate.Mul(f2));
        }
        return scope.Keep(next);
    }

    private Tensor Head(Linear head, Tensor z, bool masked)
    {
        if (!masked || SparsityMask is null) return head.Forward(z);
        using var scope = TensorScope.Enter();
        return scope.Keep(Functional.Linear(z, head.Weight.Mul(SparsityMask), head.Bias));
    }

    /// <summary>The backbone nonlinearity <paramref name="kind"/> applied to <paramref name="x"/>.</summary>
    public static Tensor Activate(CfcActivation kind, Tensor x)
    {
        if (kind != CfcActivation.LecunTanh) return Nn.Activation.Apply(kind switch
        {
            CfcActivation.Silu => ActivationKind.Silu,
            CfcActivation.Relu => ActivationKind.Relu,
            CfcActivation.Tanh => ActivationKind.Tanh,
            CfcActivation.Gelu => ActivationKind.Gelu,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation"),
        }, x);
        using var scope = TensorScope.Enter();
        return scope.Keep(x.Mul(0.666).Tanh().Mul(1.7159));
    }

    /// <summary>The cell in the fused kernel's form: its description and weights (heads concatenated, masks applied).</summary>
    internal (long[] Spec, Tensor[] Weights) KernelArguments()
    {
        using var scope = TensorScope.Enter();
        var weights = new List<Tensor>();
        foreach (var linear in _backbone)
        {
            weights.Add(linear.Weight.Alias());
            weights.Add(linear.Bias!.Alias());
        }
        var w1 = SparsityMask is null ? Ff1.Weight.Alias() : Ff1.Weight.Mul(SparsityMask);
        if (Mode == CfcMode.Pure)
        {
            weights.Add(w1);
            weights.Add(Ff1.Bias!.Alias());
            weights.Add(A!.Alias());
            weights.Add(WTau!.Alias());
        }
        else
        {
            var w2 = SparsityMask is null ? Ff2!.Weight.Alias() : Ff2!.Weight.Mul(SparsityMask);
            weights.Add(Tensor.Cat([w1, w2, TimeA!.Weight, TimeB!.Weight], 0));
            weights.Add(Tensor.Cat([Ff1.Bias!, Ff2.Bias!, TimeA.Bias!, TimeB.Bias!], 0));
        }
        foreach (var tensor in weights) scope.Keep(tensor);
        return ([InputSize, HiddenSize, BackboneLayers, BackboneUnits, (long)Activation, (long)Mode], weights.ToArray());
    }

    /// <summary>The cell's own elementwise work per step (the Linears count theirs): activations and the mode's update.</summary>
    public override long FlopsPerPosition(long context) =>
        5 * BackboneUnits * BackboneLayers + (Mode == CfcMode.Pure ? 10 : 16) * HiddenSize;
}

/// <summary>
/// A wired CfC cell (<c>ncps.torch.WiredCfCCell</c>): one <see cref="CfcCell"/> per wiring layer
/// (<c>layer_0</c>, <c>layer_1</c> …), without backbone, each reading the previous layer's new state within
/// the same step. The state is [layer 0 | layer 1 | …] — for an NCP [inter | command | motor], unlike
/// the LTC's neuron-id order (pitfall 5). ff1 and ff2 are masked by the layer's input synapses with a
/// dense recurrent block; time_a and time_b stay dense; polarities are dropped (pitfall 4).
/// </summary>
public sealed class WiredCfcCell : Module
{
    private readonly List<CfcCell> _layers = new();

    /// <summary>Builds one cell per layer of <paramref name="wiring"/>.</summary>
    public WiredCfcCell(WiringMatrices wiring, CfcMode mode = CfcMode.Default)
    {
        ArgumentNullException.ThrowIfNull(wiring);
        var inputs = wiring.InputSize;
        for (var index = 0; index < wiring.Layers.Count; index++)
        {
            var neurons = wiring.Layers[index];
            var sources = index == 0 ? null : wiring.Layers[index - 1];
            var mask = new float[inputs + neurons.Length, neurons.Length];
            for (var row = 0; row < inputs; row++)
                for (var column = 0; column < neurons.Length; column++)
                    mask[row, column] = sources is null
                        ? wiring.SensoryAdjacency[row, neurons[column]]
                        : wiring.Adjacency[sources[row], neurons[column]];
            for (var row = 0; row < neurons.Length; row++)
                for (var column = 0; column < neurons.Length; column++)
                    mask[inputs + row, column] = 1;
            var name = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"layer_{index}");
            _layers.Add(RegisterModule(name, new CfcCell(inputs, neurons.Length, mode, CfcActivation.LecunTanh, 0, 0, 0, mask)));
            inputs = neurons.Length;
        }
        Sizes = _layers.Select(l => l.HiddenSize).ToArray();
    }

    /// <summary>The layers' cells, in order.</summary>
    public IReadOnlyList<CfcCell> Layers => _layers;

    /// <summary>The layers' sizes, in state order.</summary>
    public long[] Sizes { get; }

    /// <summary>One step op by op: returns the last layer's new state and the whole new state.</summary>
    public (Tensor Output, Tensor State) Forward(Tensor input, Tensor state, Tensor? elapsed)
    {
        using var scope = TensorScope.Enter();
        var parts = state.Split(Sizes, 1);
        var next = new Tensor[parts.Length];
        var x = input;
        for (var index = 0; index < _layers.Count; index++) x = next[index] = _layers[index].Forward(x, parts[index], elapsed);
        return (scope.Keep(x), scope.Keep(Tensor.Cat(next, 1)));
    }
}
