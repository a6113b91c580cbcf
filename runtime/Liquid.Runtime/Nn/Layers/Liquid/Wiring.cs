namespace Liquid.Runtime.Nn;

/// <summary>
/// Which neurons of a liquid layer (<see cref="Ltc"/>, <see cref="Cfc"/>) are connected, and with
/// which polarity (ncps's <c>ncps.wirings</c>). A wiring is a recipe; <see cref="Build"/> turns it
/// into matrices once the number of sensory inputs is known.
/// </summary>
/// <remarks>
/// Wirings are seeded and reproducible, but they do not reproduce ncps's numpy draws bit for bit
/// (ncps uses numpy's PCG64 and MT19937 streams; these use <see cref="WiringRandom"/>). The layers
/// keep the built matrices as persistent buffers, so a trained model never depends on drawing them
/// again; use <see cref="FixedWiring"/> to reuse the matrices of an ncps model.
/// </remarks>
public abstract record Wiring
{
    /// <summary>The synapses for <paramref name="inputSize"/> sensory inputs.</summary>
    public abstract WiringMatrices Build(long inputSize);

    /// <summary>Throws unless <paramref name="inputSize"/> is positive.</summary>
    protected static void CheckInputs(long inputSize)
    {
        if (inputSize < 1) throw new ArgumentException($"a wiring needs at least one sensory input, got {inputSize}", nameof(inputSize));
    }
}

/// <summary>
/// A built wiring. Matrices are indexed [source, target], entries +1 (excitatory), −1 (inhibitory)
/// or 0 (no synapse). Neuron ids follow ncps: motor neurons are 0 … <see cref="OutputSize"/>−1 (an
/// LTC's output is its first <see cref="OutputSize"/> state entries). <see cref="Layers"/> lists the
/// neuron ids of each layer in the order a wired CfC stacks them (an NCP: inter, command, motor).
/// </summary>
public sealed class WiringMatrices
{
    /// <summary>Checks the shapes and entries and keeps copies of the matrices.</summary>
    public WiringMatrices(int[,] adjacency, int[,] sensoryAdjacency, long outputSize, IReadOnlyList<long[]> layers)
    {
        ArgumentNullException.ThrowIfNull(adjacency);
        ArgumentNullException.ThrowIfNull(sensoryAdjacency);
        ArgumentNullException.ThrowIfNull(layers);
        var units = adjacency.GetLength(0);
        if (units < 1 || adjacency.GetLength(1) != units)
            throw new ArgumentException($"the adjacency matrix must be square [N, N] with N ≥ 1, got [{adjacency.GetLength(0)}, {adjacency.GetLength(1)}]", nameof(adjacency));
        if (sensoryAdjacency.GetLength(0) < 1 || sensoryAdjacency.GetLength(1) != units)
            throw new ArgumentException($"the sensory adjacency must be [S, {units}] with S ≥ 1, got [{sensoryAdjacency.GetLength(0)}, {sensoryAdjacency.GetLength(1)}]", nameof(sensoryAdjacency));
        foreach (var value in adjacency) CheckPolarity(value, nameof(adjacency));
        foreach (var value in sensoryAdjacency) CheckPolarity(value, nameof(sensoryAdjacency));
        if (outputSize < 1 || outputSize > units)
            throw new ArgumentException($"the output size must be in 1 … {units}, got {outputSize}", nameof(outputSize));
        var seen = new bool[units];
        foreach (var layer in layers)
        {
            if (layer.Length == 0) throw new ArgumentException("a wiring layer cannot be empty", nameof(layers));
            foreach (var id in layer)
            {
                if (id < 0 || id >= units) throw new ArgumentException($"neuron id {id} is outside 0 … {units - 1}", nameof(layers));
                if (seen[id]) throw new ArgumentException($"neuron {id} is in two layers", nameof(layers));
                seen[id] = true;
            }
        }
        if (seen.Any(s => !s)) throw new ArgumentException("the layers must cover every neuron", nameof(layers));
        Adjacency = (int[,])adjacency.Clone();
        SensoryAdjacency = (int[,])sensoryAdjacency.Clone();
        OutputSize = outputSize;
        Layers = layers.Select(l => (long[])l.Clone()).ToArray();
    }

    private static void CheckPolarity(int value, string name)
    {
        if (value is < -1 or > 1) throw new ArgumentException($"synapse entries must be -1, 0 or +1, got {value}", name);
    }

    /// <summary>Signed synapses between neurons, [N, N] indexed [source, target].</summary>
    public int[,] Adjacency { get; }

    /// <summary>Signed synapses from sensory inputs to neurons, [S, N].</summary>
    public int[,] SensoryAdjacency { get; }

    /// <summary>Number of neurons N (the state size).</summary>
    public long Units => Adjacency.GetLength(0);

    /// <summary>Number of sensory inputs S.</summary>
    public long InputSize => SensoryAdjacency.GetLength(0);

    /// <summary>Number of motor (output) neurons M, ids 0 … M−1.</summary>
    public long OutputSize { get; }

    /// <summary>Neuron ids of each layer, in a wired CfC's order; a single layer of every neuron for unlayered wirings.</summary>
    public IReadOnlyList<long[]> Layers { get; }

    /// <summary>Number of synapses between neurons.</summary>
    public long SynapseCount => Adjacency.Cast<int>().Count(v => v != 0);

    /// <summary>Number of synapses from sensory inputs.</summary>
    public long SensorySynapseCount => SensoryAdjacency.Cast<int>().Count(v => v != 0);
}

/// <summary>
/// Every neuron connected to every neuron and every input (<c>ncps.wirings.FullyConnected</c>), each
/// synapse excitatory with probability 2/3 and inhibitory otherwise, drawn source by source, then
/// target by target: first the neurons (skipping self-synapses when <paramref name="SelfConnections"/>
/// is false), then the sensory inputs.
/// </summary>
/// <param name="Units">Number of neurons N.</param>
/// <param name="OutputDim">Motor neurons M (the first M); null means all N (ncps's <c>output_dim=None</c>).</param>
/// <param name="Seed">Seed of the polarity draws (ncps's <c>erev_init_seed</c>).</param>
/// <param name="SelfConnections">Whether a neuron synapses onto itself.</param>
public sealed record FullyConnected(long Units, long? OutputDim = null, ulong Seed = 1111, bool SelfConnections = true) : Wiring
{
    /// <inheritdoc/>
    public override WiringMatrices Build(long inputSize)
    {
        if (Units < 1) throw new ArgumentException($"FullyConnected needs at least one unit, got {Units}");
        CheckInputs(inputSize);
        var random = new WiringRandom(Seed);
        var n = checked((int)Units);
        var adjacency = new int[n, n];
        for (var source = 0; source < n; source++)
            for (var target = 0; target < n; target++)
                if (source != target || SelfConnections) adjacency[source, target] = random.Polarity(2.0 / 3.0);
        var sensory = new int[checked((int)inputSize), n];
        for (var source = 0; source < inputSize; source++)
            for (var target = 0; target < n; target++)
                sensory[source, target] = random.Polarity(2.0 / 3.0);
        return new WiringMatrices(adjacency, sensory, OutputDim ?? Units, [Enumerable.Range(0, n).Select(i => (long)i).ToArray()]);
    }
}

/// <summary>
/// A neural circuit policy (<c>ncps.wirings.NCP</c>): sensory inputs → inter neurons → command neurons
/// (with recurrent command synapses) → motor neurons, every synapse ±1 with equal probability.
/// Neuron ids: motor 0 … M−1, command M … M+C−1, inter M+C … N−1.
/// </summary>
/// <remarks>
/// Synapses are drawn in ncps's order: each sensory input to <paramref name="SensoryFanout"/>
/// distinct inter neurons, then every inter neuron nothing reached gets inputs from
/// max(1, ⌊S·fanout/I⌋) distinct sensory inputs; each inter neuron to <paramref name="InterFanout"/>
/// command neurons, with the same fix-up (max(1, ⌊I·fanout/C⌋) inter neurons, capped at I);
/// <paramref name="RecurrentCommandSynapses"/> random command→command pairs (repeats allowed);
/// each motor neuron from <paramref name="MotorFanin"/> command neurons, then every command neuron
/// that reaches no motor neuron gets max(1, ⌊M·fanin/C⌋) motor targets (capped at M).
/// </remarks>
/// <param name="InterNeurons">Inter neurons I (layer 0).</param>
/// <param name="CommandNeurons">Command neurons C (layer 1).</param>
/// <param name="MotorNeurons">Motor neurons M (layer 2, the outputs).</param>
/// <param name="SensoryFanout">Inter neurons each sensory input reaches (≤ I).</param>
/// <param name="InterFanout">Command neurons each inter neuron reaches (≤ C).</param>
/// <param name="RecurrentCommandSynapses">Random command→command synapses.</param>
/// <param name="MotorFanin">Command neurons each motor neuron listens to (≤ C).</param>
/// <param name="Seed">Seed of the draws.</param>
public sealed record Ncp(long InterNeurons, long CommandNeurons, long MotorNeurons, long SensoryFanout, long InterFanout,
    long RecurrentCommandSynapses, long MotorFanin, ulong Seed = 22222) : Wiring
{
    /// <summary>Number of neurons N = I + C + M.</summary>
    public long Units => InterNeurons + CommandNeurons + MotorNeurons;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first inconsistent size.</summary>
    public void Validate()
    {
        if (InterNeurons < 1 || CommandNeurons < 1 || MotorNeurons < 1)
            throw new ArgumentException($"an NCP needs at least one inter, command and motor neuron, got {InterNeurons}, {CommandNeurons}, {MotorNeurons}");
        if (SensoryFanout < 1 || SensoryFanout > InterNeurons)
            throw new ArgumentException($"sensory fan-out must be in 1 … {InterNeurons} (the inter neurons), got {SensoryFanout}");
        if (InterFanout < 1 || InterFanout > CommandNeurons)
            throw new ArgumentException($"inter fan-out must be in 1 … {CommandNeurons} (the command neurons), got {InterFanout}");
        if (MotorFanin < 1 || MotorFanin > CommandNeurons)
            throw new ArgumentException($"motor fan-in must be in 1 … {CommandNeurons} (the command neurons), got {MotorFanin}");
        if (RecurrentCommandSynapses < 0)
            throw new ArgumentException($"recurrent command synapses cannot be negative, got {RecurrentCommandSynapses}");
    }

    /// <inheritdoc/>
    public override WiringMatrices Build(long inputSize)
    {
        Validate();
        CheckInputs(inputSize);
        var random = new WiringRandom(Seed);
        int m = checked((int)MotorNeurons), c = checked((int)CommandNeurons), i = checked((int)InterNeurons), s = checked((int)inputSize);
        var n = m + c + i;
        var motor = Enumerable.Range(0, m).ToArray();
        var command = Enumerable.Range(m, c).ToArray();
        var inter = Enumerable.Range(m + c, i).ToArray();
        var sensoryIds = Enumerable.Range(0, s).ToArray();
        var adjacency = new int[n, n];
        var sensory = new int[s, n];

        // 1. sensory → inter, then every unreached inter neuron.
        var unreached = new HashSet<int>(inter);
        foreach (var source in sensoryIds)
            foreach (var target in random.Choose(inter, (int)SensoryFanout))
            {
                unreached.Remove(target);
                sensory[source, target] = random.Polarity(0.5);
            }
        var fanin = Math.Clamp(s * (int)SensoryFanout / i, 1, s);
        foreach (var target in inter.Where(unreached.Contains))
            foreach (var source in random.Choose(sensoryIds, fanin))
                sensory[source, target] = random.Polarity(0.5);

        // 2. inter → command, then every unreached command neuron.
        unreached = new HashSet<int>(command);
        foreach (var source in inter)
            foreach (var target in random.Choose(command, (int)InterFanout))
            {
                unreached.Remove(target);
                adjacency[source, target] = random.Polarity(0.5);
            }
        fanin = Math.Clamp(i * (int)InterFanout / c, 1, i);
        foreach (var target in command.Where(unreached.Contains))
            foreach (var source in random.Choose(inter, fanin))
                adjacency[source, target] = random.Polarity(0.5);

        // 3. recurrent command synapses (pairs may repeat; a later draw overwrites the polarity).
        for (var k = 0; k < RecurrentCommandSynapses; k++)
        {
            var source = command[random.Next(c)];
            var target = command[random.Next(c)];
            adjacency[source, target] = random.Polarity(0.5);
        }

        // 4. command → motor, then every command neuron that reaches no motor neuron.
        var silent = new HashSet<int>(command);
        foreach (var target in motor)
            foreach (var source in random.Choose(command, (int)MotorFanin))
            {
                silent.Remove(source);
                adjacency[source, target] = random.Polarity(0.5);
            }
        var fanout = Math.Clamp(m * (int)MotorFanin / c, 1, m);
        foreach (var source in command.Where(silent.Contains))
            foreach (var target in random.Choose(motor, fanout))
                adjacency[source, target] = random.Polarity(0.5);

        long[] Ids(int[] ids) => ids.Select(id => (long)id).ToArray();
        return new WiringMatrices(adjacency, sensory, m, [Ids(inter), Ids(command), Ids(motor)]);
    }
}

/// <summary>
/// An <see cref="Ncp"/> sized from a neuron budget (<c>ncps.wirings.AutoNCP</c>). With density
/// d = 1 − sparsity: command C = max(⌊0.4·(units − outputs)⌋, 1), inter I = units − outputs − C,
/// sensory fan-out max(⌊I·d⌋, 1), inter fan-out max(⌊C·d⌋, 1), recurrent command synapses
/// max(⌊2·C·d⌋, 1), motor fan-in max(⌊C·d⌋, 1).
/// </summary>
/// <param name="Units">Total neurons (more than <paramref name="OutputSize"/> + 2).</param>
/// <param name="OutputSize">Motor neurons.</param>
/// <param name="SparsityLevel">Share of absent synapses, in [0.1, 1].</param>
/// <param name="Seed">Seed of the draws.</param>
public sealed record AutoNcp(long Units, long OutputSize, double SparsityLevel = 0.5, ulong Seed = 22222) : Wiring
{
    /// <summary>The NCP these sizes stand for.</summary>
    public Ncp ToNcp()
    {
        if (OutputSize < 1 || OutputSize >= Units - 2)
            throw new ArgumentException($"AutoNcp needs 1 ≤ output size < units − 2, got output size {OutputSize} for {Units} units");
        if (!(SparsityLevel >= 0.1 && SparsityLevel <= 1.0))
            throw new ArgumentException($"AutoNcp's sparsity level must be in [0.1, 1], got {SparsityLevel}");
        var density = 1.0 - SparsityLevel;
        var inner = Units - OutputSize;
        var command = Math.Max((long)Math.Floor(0.4 * inner), 1);
        var inter = inner - command;
        long AtLeastOne(double value) => Math.Max((long)Math.Floor(value), 1);
        return new Ncp(inter, command, OutputSize,
            SensoryFanout: AtLeastOne(inter * density),
            InterFanout: AtLeastOne(command * density),
            RecurrentCommandSynapses: AtLeastOne(2 * command * density),
            MotorFanin: AtLeastOne(command * density),
            Seed);
    }

    /// <inheritdoc/>
    public override WiringMatrices Build(long inputSize) => ToNcp().Build(inputSize);
}

/// <summary>
/// Given matrices, for example an ncps model's <c>wiring.adjacency_matrix</c> and
/// <c>wiring.sensory_adjacency_matrix</c>. <paramref name="Layers"/> defaults to one layer of every
/// neuron.
/// </summary>
/// <param name="Adjacency">Signed synapses [N, N], [source, target].</param>
/// <param name="SensoryAdjacency">Signed sensory synapses [S, N]; S must equal the layer's input size.</param>
/// <param name="OutputDim">Motor neurons (ids 0 … M−1).</param>
/// <param name="Layers">Neuron ids per layer, for a wired CfC.</param>
public sealed record FixedWiring(int[,] Adjacency, int[,] SensoryAdjacency, long OutputDim, IReadOnlyList<long[]>? Layers = null) : Wiring
{
    /// <inheritdoc/>
    public override WiringMatrices Build(long inputSize)
    {
        CheckInputs(inputSize);
        if (SensoryAdjacency.GetLength(0) != inputSize)
            throw new ArgumentException($"the fixed wiring has {SensoryAdjacency.GetLength(0)} sensory inputs, the layer {inputSize}");
        var units = Adjacency.GetLength(0);
        return new WiringMatrices(Adjacency, SensoryAdjacency, OutputDim, Layers ?? [Enumerable.Range(0, units).Select(i => (long)i).ToArray()]);
    }
}

/// <summary>
/// The wirings' random source: PCG32 (O'Neill's permuted congruential generator, XSH-RR output,
/// seeded as the reference <c>pcg32_srandom_r(seed, stream)</c>), chosen because its output is fixed
/// by its definition, unlike <see cref="Random"/>'s.
/// </summary>
public sealed class WiringRandom
{
    private const ulong Multiplier = 6364136223846793005UL;
    private ulong _state;
    private readonly ulong _increment;

    /// <summary>A generator whose whole output is fixed by <paramref name="seed"/> and <paramref name="stream"/>.</summary>
    public WiringRandom(ulong seed, ulong stream = 54)
    {
        _increment = (stream << 1) | 1UL;
        _state = 0;
        NextUInt();
        _state += seed;
        NextUInt();
    }

    /// <summary>The next 32 random bits.</summary>
    public uint NextUInt()
    {
        var old = _state;
        _state = unchecked(old * Multiplier + _increment);
        var xorShifted = (uint)(((old >> 18) ^ old) >> 27);
        var rotation = (int)(old >> 59);
        return (xorShifted >> rotation) | (xorShifted << ((-rotation) & 31));
    }

    /// <summary>Uniform in 0 … <paramref name="bound"/>−1, without modulo bias.</summary>
    public int Next(int bound)
    {
        if (bound < 1) throw new ArgumentOutOfRangeException(nameof(bound), bound, "bound must be positive");
        var b = (uint)bound;
        var threshold = (uint)(-(int)b) % b;  // 2³² mod b: values below it are rejected
        while (true)
        {
            var r = NextUInt();
            if (r >= threshold) return (int)(r % b);
        }
    }

    /// <summary>+1 with probability <paramref name="positive"/>, else −1.</summary>
    public int Polarity(double positive) => NextUInt() < positive * 4294967296.0 ? 1 : -1;

    /// <summary><paramref name="count"/> distinct elements of <paramref name="items"/> in random order (partial Fisher–Yates).</summary>
    public int[] Choose(int[] items, int count)
    {
        if (count > items.Length) throw new ArgumentOutOfRangeException(nameof(count), count, $"cannot choose {count} of {items.Length}");
        var pool = (int[])items.Clone();
        for (var k = 0; k < count; k++)
        {
            var pick = k + Next(pool.Length - k);
            (pool[k], pool[pick]) = (pool[pick], pool[k]);
        }
        return pool[..count];
    }
}
