namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="AsyncLiquidCell"/>.</summary>
/// <param name="InputSize">Features C of the stream.</param>
/// <param name="Chunk">Positions N per chunk: the state is updated once per complete chunk.</param>
/// <param name="Cell">The time cell that the chunk's context drives; its input and units are both H.</param>
public sealed record AsyncLiquidCellOptions(long InputSize, long Chunk, LiquidTimeCellOptions Cell);

/// <summary>
/// What an <see cref="AsyncLiquidCell"/> carries between calls: the state <see cref="H"/> [B, H] and a
/// buffer [B, N, C] whose first (position mod N) rows are the time-coded inputs x' of the chunk read
/// so far. The buffer is written in place, so a one-token call costs the same wherever it falls in a chunk.
/// </summary>
public sealed class AsyncLiquidState : IDisposable
{
    /// <summary>A state of its own (the tensors are owned from now on).</summary>
    public AsyncLiquidState(Tensor h, Tensor? pending)
    {
        H = h;
        Pending = pending;
    }

    /// <summary>The state after the last complete chunk [B, H].</summary>
    public Tensor H { get; private set; }

    /// <summary>The incomplete chunk's rows [B, N, C] (null until a call ends inside a chunk).</summary>
    public Tensor? Pending { get; private set; }

    internal void Replace(Tensor h, Tensor? pending)
    {
        if (!ReferenceEquals(h, H)) H.Dispose();
        if (Pending is not null && !ReferenceEquals(pending, Pending)) Pending.Dispose();
        H = h;
        Pending = pending;
    }

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        H.Dispose();
        Pending?.Dispose();
    }
}

/// <summary>
/// The outputs of <see cref="AsyncLiquidCell.Forward(Tensor, Tensor?, Tensor?, ForwardContext?)"/>: the stream
/// <paramref name="Output"/> [B, T, C], the state <paramref name="H"/> [B, H] after the last complete chunk, and
/// <paramref name="Attention"/> [B, T], each position's weight in its chunk's attention (0 until the chunk completes).
/// </summary>
public readonly record struct AsyncLiquidOutput(Tensor Output, Tensor H, Tensor Attention);

/// <summary>
/// The asynchronous liquid cell (SEED-MODELS §4; Long/README.md): event times are coded into the
/// stream, x' = x + Linear(τ); once a chunk of N positions is complete, one query from the state attends
/// over it, softmax(K q / √H), and the context drives a liquid time cell that moves the state. Every
/// position reads the state made from the chunks before its own, x'_p + readout(h), so the cell is
/// causal, and chunk boundaries are absolute positions: a sequence fed in calls of any lengths with
/// the state carried gives the outputs of one call.
/// </summary>
public sealed class AsyncLiquidCell : Module
{
    private readonly Linear _time;
    private readonly Linear _key;
    private readonly Linear _query;
    private readonly Linear _value;
    private readonly Linear _readout;

    /// <summary>Creates the cell with PyTorch's default Linear initialization.</summary>
    public AsyncLiquidCell(AsyncLiquidCellOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.InputSize < 1) throw new ArgumentException($"async_liquid_cell: input size must be at least 1, not {options.InputSize}", nameof(options));
        if (options.Chunk < 1) throw new ArgumentException($"async_liquid_cell: chunk must be at least 1, not {options.Chunk}", nameof(options));
        var units = options.Cell.Neuron.Units;
        if (options.Cell.Neuron.InputSize != units)
            throw new ArgumentException($"async_liquid_cell: the cell reads the context of width {units}, but its input size is {options.Cell.Neuron.InputSize}", nameof(options));
        Options = options;
        _time = RegisterModule("time", new Linear(new LinearOptions(1, options.InputSize)));
        _key = RegisterModule("key", new Linear(new LinearOptions(options.InputSize, units)));
        _query = RegisterModule("query", new Linear(new LinearOptions(units, units)));
        _value = RegisterModule("value", new Linear(new LinearOptions(options.InputSize, units)));
        _readout = RegisterModule("readout", new Linear(new LinearOptions(units, options.InputSize)));
        Cell = RegisterModule("cell", new LiquidTimeCell(options.Cell));
    }

    /// <summary>The options this layer was built with.</summary>
    public AsyncLiquidCellOptions Options { get; }

    /// <summary>The time cell (<c>cell</c>).</summary>
    public LiquidTimeCell Cell { get; }

    /// <summary>State width H.</summary>
    public long Units => Cell.Units;

    /// <summary>
    /// Runs x [B, T, C] with event times <paramref name="timestamps"/> [B, T] (null: each position's regular
    /// place in its chunk) from <paramref name="initial"/> (null: the state the context carries, else zeros).
    /// With a <see cref="ModelState"/> in the context the state and an incomplete chunk are kept for the next call.
    /// </summary>
    public AsyncLiquidOutput Forward(Tensor x, Tensor? timestamps = null, Tensor? initial = null, ForwardContext? context = null)
    {
        ExpectShape(x.Rank == 3 && x.Size(-1) == Options.InputSize, $"[B, T, {Options.InputSize}]", x);
        long batch = x.Size(0), steps = x.Size(1), chunk = Options.Chunk;
        if (timestamps is not null && (timestamps.Rank != 2 || timestamps.Size(0) != batch || timestamps.Size(1) != steps))
            throw new ShapeException(Describe(), $"timestamps [{batch}, {steps}] (one per position of x)", timestamps.Shape);
        var carried = context?.State?.Get<AsyncLiquidState>(this);
        var position = context?.Position ?? 0;
        var buffer = carried?.Pending;
        if (position % chunk != 0 && (buffer is null || buffer.Size(0) != batch || buffer.Size(1) != chunk))
            throw new InvalidOperationException($"{Describe()}: the call starts at position {position}, inside a chunk of {chunk}, but the carried state holds no incomplete chunk of batch {batch} (was the model state made for another input?)");

        using var scope = TensorScope.Enter();
        var h = LiquidCells.Start(this, initial ?? carried?.H, x, Units);
        var times = timestamps?.To(x.DType) ?? RegularTimes(position, batch, steps, x);
        var coded = x + _time.Forward(times.Unsqueeze(-1));

        LiquidTimeCell.CallTerms? terms = null; // made when a chunk completes: most one-token calls complete none
        var outputs = new List<Tensor>();
        var attention = new List<Tensor>();
        for (long start = 0; start < steps;)
        {
            var offset = (position + start) % chunk;
            var length = Math.Min(chunk - offset, steps - start);
            var segment = coded.Narrow(1, start, length);
            outputs.Add(segment + _readout.Forward(h).Unsqueeze(1));
            if (offset + length == chunk)
            {
                // The rows read by earlier calls are constants: the state between calls is detached.
                var read = offset == 0 ? segment : Tensor.Cat([buffer!.Narrow(1, 0, offset), segment], 1);
                var weights = ((_key.Forward(read).MatMul(_query.Forward(h).Unsqueeze(-1))).Squeeze(-1) / Math.Sqrt(Units)).Softmax(-1);
                var context2 = weights.Unsqueeze(1).MatMul(_value.Forward(read)).Squeeze(1);
                terms ??= Cell.Terms(x);
                h = Cell.Step(h, Cell.Neuron.Drive(context2), terms);
                attention.Add(weights.Narrow(1, offset, length));
            }
            else
            {
                // The call ends inside this chunk: its rows wait for the call that completes it.
                attention.Add(Tensor.Zeros([batch, length], x.DType, x.Device));
                if (context?.State is not null)
                {
                    if (buffer is null)
                    {
                        buffer = Tensor.Zeros([batch, chunk, Options.InputSize], x.DType, x.Device);
                        buffer.Scope?.Detach(buffer);
                    }
                    using var detached = segment.Detach();
                    buffer.Narrow(1, offset, length).Copy_(detached);
                }
            }
            start += length;
        }
        var output = new AsyncLiquidOutput(
            scope.Keep(outputs.Count == 0 ? coded : Tensor.Cat(outputs.ToArray(), 1)),
            scope.Keep(h),
            scope.Keep(attention.Count == 0 ? Tensor.Zeros([batch, 0], x.DType, x.Device) : Tensor.Cat(attention.ToArray(), 1)));
        if (context?.State is { } state)
        {
            var keptH = output.H.Detach();
            keptH.Scope?.Detach(keptH);
            if (carried is null) state.Set(this, new AsyncLiquidState(keptH, buffer));
            else carried.Replace(keptH, buffer);
        }
        return output;
    }

    /// <summary>A compiled model's call: timestamps (or null) and the starting state from <paramref name="context"/>.</summary>
    public AsyncLiquidOutput Forward(Tensor x, Tensor? timestamps, ForwardContext? context) => Forward(x, timestamps, null, context);

    /// <summary>(p mod N) / (N − 1) for the absolute positions p of this call (0 for N = 1), as [B, T].</summary>
    private Tensor RegularTimes(long position, long batch, long steps, Tensor like)
    {
        var chunk = Options.Chunk;
        var values = new double[steps];
        for (long i = 0; i < steps; i++) values[i] = chunk == 1 ? 0 : (double)((position + i) % chunk) / (chunk - 1);
        return Tensor.From(values).To(like.DType).Unsqueeze(0).Expand(batch, steps);
    }

    /// <summary>The time code, keys, values and readout per position, and the attention and one cell step per chunk, amortized.</summary>
    public override long FlopsPerPosition(long context)
    {
        long c = Options.InputSize, h = Units;
        return 2 * c + 4 * c * h + 2 * h * c + 4 * h + (2 * h * h + Cell.FlopsPerPosition(context)) / Options.Chunk;
    }
}
