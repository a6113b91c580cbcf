using Liquid.Runtime.Nn;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>
/// Attention properties that a single reference pass cannot show: incremental decoding with a KV
/// cache equals the full pass, the sliding-window convention (query i sees keys i−W+1 … i), and
/// grouped-query heads (query head h uses key/value head h / (Heads/KvHeads)). All in float64.
/// </summary>
public class AttentionTests
{
    // Decoding reorders no reduction that matters in float64; 1e-10 relative is far inside the 1e-6 bar.
    private const double Rtol = 1e-10, Atol = 1e-12;

    private static Attention Create(AttentionOptions options, ulong seed)
    {
        Torch.ManualSeed(seed);
        var attention = new Attention(options);
        attention.To(DType.Float64);
        // Sharper attention than the default init, so every key's weight matters.
        using (Torch.NoGrad())
            attention.NamedParameters().Single(p => p.Name == "qkv.weight").Parameter.Mul_(3.0);
        attention.Eval();
        return attention;
    }

    private static Attention Create(AttentionOptions options) => Create(options, seed: 7);

    private static Tensor Input(long batch, long steps, long dim, ulong seed = 11)
    {
        Torch.ManualSeed(seed);
        return Tensor.Randn([batch, steps, dim], DType.Float64);
    }

    public static TheoryData<long?, int> DecodingCases => new()
    {
        { null, 1 }, { null, 3 }, { null, 4 },
        { 20, 1 }, { 20, 3 },  // window longer than the sequence: plain causal
        { 3, 1 }, { 3, 3 }, { 3, 5 },  // window shorter than the sequence
        { 1, 3 },
    };

    [Theory]
    [MemberData(nameof(DecodingCases))]
    public void CachedDecodingEqualsFullPass(long? window, int chunk)
    {
        var options = new AttentionOptions(Dim: 16, Heads: 4, KvHeads: 2, Window: window, Rope: new RopeOptions(Theta: 100), Bias: true);
        using var attention = Create(options);
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        const long steps = 10;
        var x = Input(2, steps, 16);
        var full = attention.Forward(x);

        // Capacity 2 makes the cache grow (by doubling) while decoding.
        using var cache = new KvCache(capacity: 2);
        var pieces = new List<Tensor>();
        for (long start = 0; start < steps; start += chunk)
        {
            var length = Math.Min(chunk, steps - start);
            pieces.Add(attention.Forward(x.Narrow(1, start, length), cache));
            Assert.Equal(start + length, cache.Length);
        }
        var decoded = Tensor.Cat(pieces.ToArray(), 1);
        TensorAssert.Close(full, decoded, Rtol, Atol);
    }

    [Fact]
    public void ClearedCacheStartsOver()
    {
        using var attention = Create(new AttentionOptions(Dim: 8, Heads: 2, Rope: new RopeOptions()));
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        var x = Input(1, 4, 8);
        using var cache = new KvCache();
        var first = attention.Forward(x, cache);
        cache.Clear();
        Assert.Equal(0, cache.Length);
        var second = attention.Forward(x, cache);
        Assert.True(first.Equal(second));
    }

    public static TheoryData<long?> WindowCases => new() { null, 1, 3, 5 };

    /// <summary>
    /// Perturbing input position j changes output i exactly when query i may see key j: j ≤ i and,
    /// with window W, j ≥ i − W + 1 (a position's own query changes only its own row).
    /// </summary>
    [Theory]
    [MemberData(nameof(WindowCases))]
    public void OutputDependsOnExactlyTheKeysInTheWindow(long? window)
    {
        const long steps = 8;
        using var attention = Create(new AttentionOptions(Dim: 8, Heads: 2, KvHeads: 1, Window: window, Rope: new RopeOptions()));
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        var x = Input(2, steps, 8);
        var baseline = attention.Forward(x);
        for (long j = 0; j < steps; j++)
        {
            var perturbed = x.Clone();
            using (var position = perturbed.Narrow(1, j, 1)) position.Add_(1.0);
            var output = attention.Forward(perturbed);
            for (long i = 0; i < steps; i++)
            {
                var visible = j <= i && (window is not { } w || j > i - w);
                var change = output.Narrow(1, i, 1).Sub(baseline.Narrow(1, i, 1)).Abs().Max().Item();
                if (visible)
                    Assert.True(change > 1e-6, $"window {window}: output {i} ignores key {j} (change {change:G3})");
                else
                    Assert.True(change == 0, $"window {window}: output {i} changed by {change:G3} when key {j}, outside its window, changed");
            }
        }
    }

    /// <summary>Explicit KvHeads == Heads is plain multi-head attention.</summary>
    [Fact]
    public void KvHeadsEqualToHeadsIsMultiHead()
    {
        using var gqa = Create(new AttentionOptions(Dim: 12, Heads: 3, KvHeads: 3, Rope: new RopeOptions(Fraction: 0.5)));
        using var mha = new Attention(new AttentionOptions(Dim: 12, Heads: 3, Rope: new RopeOptions(Fraction: 0.5)));
        mha.To(DType.Float64).Eval();
        Assert.Equal(gqa.NamedParameters().Select(p => (p.Name, string.Join("x", p.Parameter.Shape))),
            mha.NamedParameters().Select(p => (p.Name, string.Join("x", p.Parameter.Shape))));
        using (var scope = TensorScope.Enter()) mha.LoadStateDict(gqa.StateDict());
        using var outer = TensorScope.Enter();
        var x = Input(2, 6, 12);
        TensorAssert.Close(gqa.Forward(x), mha.Forward(x), Rtol, Atol);
    }

    /// <summary>
    /// Grouped-query attention equals multi-head attention whose key/value projections repeat each
    /// kv head for its group: query head h reads kv head h / (Heads/KvHeads) (repeat_interleave, not tile).
    /// </summary>
    [Theory]
    [InlineData(4L, 2L)]
    [InlineData(6L, 3L)]
    [InlineData(4L, 1L)]
    public void GroupedQueryEqualsMultiHeadWithRepeatedKeyValueHeads(long heads, long kvHeads)
    {
        const long headDim = 4;
        var dim = heads * headDim;
        var rope = new RopeOptions(Theta: 50);
        using var gqa = Create(new AttentionOptions(dim, heads, kvHeads, Window: 4, Rope: rope));
        using var mha = new Attention(new AttentionOptions(dim, heads, Window: 4, Rope: rope));
        mha.To(DType.Float64).Eval();

        using (var scope = TensorScope.Enter())
        {
            var state = gqa.StateDict();
            var group = heads / kvHeads;
            // qkv rows: [q: heads·D | k: kvHeads·D | v: kvHeads·D]; repeat each k and v head `group` times.
            Tensor Expand(Tensor t) // t: [rows, ...] → repeat the k/v blocks
            {
                var parts = t.Split([heads * headDim, kvHeads * headDim, kvHeads * headDim], 0);
                Tensor Repeat(Tensor block)
                {
                    var perHead = block.Reshape([kvHeads, headDim, .. block.Shape[1..]]);
                    var repeated = perHead.RepeatInterleave(group, 0);
                    return repeated.Reshape([heads * headDim, .. block.Shape[1..]]);
                }
                return Tensor.Cat([parts[0], Repeat(parts[1]), Repeat(parts[2])], 0);
            }
            var expanded = new Dictionary<string, Tensor>(StringComparer.Ordinal)
            {
                ["qkv.weight"] = Expand(state["qkv.weight"]),
                ["qkv.bias"] = Expand(state["qkv.bias"]),
                ["proj.weight"] = state["proj.weight"],
                ["proj.bias"] = state["proj.bias"],
            };
            mha.LoadStateDict(expanded);
        }

        using var outer = TensorScope.Enter();
        var x = Input(2, 7, dim);
        TensorAssert.Close(mha.Forward(x), gqa.Forward(x), Rtol, Atol);
    }

    /// <summary>The same as a negative control: tiling kv heads (h % KvHeads) instead of grouping must differ.</summary>
    [Fact]
    public void GroupedQueryIsNotTiledHeads()
    {
        const long heads = 4, kvHeads = 2, headDim = 4, dim = heads * headDim;
        using var gqa = Create(new AttentionOptions(dim, heads, kvHeads, Bias: false));
        using var mha = new Attention(new AttentionOptions(dim, heads, Bias: false));
        mha.To(DType.Float64).Eval();
        using (var scope = TensorScope.Enter())
        {
            var state = gqa.StateDict();
            var parts = state["qkv.weight"].Split([heads * headDim, kvHeads * headDim, kvHeads * headDim], 0);
            var tiledK = Tensor.Cat([parts[1], parts[1]], 0); // head h → kv head h % 2
            var tiledV = Tensor.Cat([parts[2], parts[2]], 0);
            mha.LoadStateDict(new Dictionary<string, Tensor>
            {
                ["qkv.weight"] = Tensor.Cat([parts[0], tiledK, tiledV], 0),
                ["proj.weight"] = state["proj.weight"],
            });
        }
        using var outer = TensorScope.Enter();
        var x = Input(2, 5, dim);
        Assert.False(mha.Forward(x).AllClose(gqa.Forward(x), 1e-6, 1e-8));
    }

    [Fact]
    public void InconsistentOptionsAreRejected()
    {
        Assert.Contains("kv_heads 3 does not divide heads 4", Assert.Throws<ArgumentException>(() => new Attention(new AttentionOptions(16, 4, KvHeads: 3))).Message);
        Assert.Contains("not divisible by heads", Assert.Throws<ArgumentException>(() => new Attention(new AttentionOptions(10, 4))).Message);
        Assert.Contains("needs causal", Assert.Throws<ArgumentException>(() => new Attention(new AttentionOptions(16, 4, Causal: false, Window: 2))).Message);
        Assert.Contains("rotary fraction", Assert.Throws<ArgumentException>(() => new RotaryEmbedding(2, new RopeOptions(Fraction: 0.5))).Message);
    }
}
