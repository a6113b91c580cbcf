using Liquid.Runtime.Serialization;

namespace Liquid.Runtime.Tests.Serialization;

/// <summary>A small, varied set of valid entries: every dtype, a scalar, zero-size tensors, odd lengths.</summary>
internal static class SampleEntries
{
    public static readonly IReadOnlyDictionary<string, string> Metadata = new Dictionary<string, string>
    {
        ["producer"] = "liquid-tests",
        ["format"] = "pt",
        ["note"] = "quotes \" and backslashes \\ and ünïcode",
    };

    public static List<SafetensorsEntry> Create(int seed = 7)
    {
        var random = new Random(seed);

        SafetensorsEntry Entry(string name, string dtype, params long[] shape)
        {
            Safetensors.TryGetElementSize(dtype, out int size);
            var data = new byte[size * shape.Aggregate(1L, (product, dim) => product * dim)];
            random.NextBytes(data);
            if (dtype == "BOOL")
            {
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] &= 1;
                }
            }

            return new SafetensorsEntry(name, dtype, shape, data);
        }

        // Not in name order, so the tests also show that the writer keeps the caller's order.
        return
        [
            Entry("wte.weight", "F32", 5, 3),
            Entry("h.0.attn.bias", "F64", 3),
            Entry("h.0.ln_1.weight", "BF16", 7),
            Entry("h.0.ln_1.bias", "F16", 1, 3),
            Entry("tokens", "I64", 2, 2),
            Entry("empty.before", "F32", 0),
            Entry("counts", "I32", 3),
            Entry("small", "I16", 5),
            Entry("tiny", "I8", 3),
            Entry("pixels", "U8", 2, 3, 1),
            Entry("mask", "BOOL", 4),
            Entry("scale", "F32"),
            Entry("ünïcødé.𝑤", "F32", 2),
            Entry("empty.last", "I64", 3, 0, 2),
        ];
    }
}
