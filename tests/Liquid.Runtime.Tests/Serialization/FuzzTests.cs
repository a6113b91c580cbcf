using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Liquid.Runtime.Serialization;
using Xunit.Abstractions;

namespace Liquid.Runtime.Tests.Serialization;

/// <summary>
/// Thousands of seeded corruptions of one valid file: each must load or throw <see cref="SafetensorsException"/>;
/// anything else (an index error, a JSON error, an out-of-memory) escaping the reader fails the test.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Variants = 3_000;

    private enum Mutation
    {
        Truncate,
        FlipHeaderBytes,
        FlipDataBytes,
        HugeHeaderLength,
        ShiftedHeaderLength,
        OverlappingOffsets,
        JsonEdit,
        OverwriteRun,
    }

    private static readonly Mutation[] AllMutations = Enum.GetValues<Mutation>();

    // Characters that matter to JSON and to the header's structure, plus a multi-byte one.
    private const string JsonNoise = "{}[]\",:-.0123456789eE \\u_aFIBOL\u00e9";

    [Fact]
    public void CorruptedFilesLoadOrThrowSafetensorsException()
    {
        byte[] valid = ValidFile();
        var random = new Random(20240601);
        var outcomes = AllMutations.ToDictionary(mutation => mutation, _ => (Loaded: 0, Rejected: 0));

        for (int i = 0; i < Variants; i++)
        {
            Mutation mutation = AllMutations[i % AllMutations.Length];
            byte[] corrupted = Mutate(valid, mutation, random);
            string source = $"fuzz-{i}-{mutation}.safetensors";

            IReadOnlyList<SafetensorsEntry> entries;
            try
            {
                entries = Safetensors.Read(corrupted, source, out _);
            }
            catch (SafetensorsException error)
            {
                Assert.StartsWith(source + ": ", error.Message);
                outcomes[mutation] = (outcomes[mutation].Loaded, outcomes[mutation].Rejected + 1);
                continue;
            }
            catch (Exception unexpected)
            {
                Assert.Fail($"variant {i} ({mutation}) threw {unexpected.GetType().Name}: {unexpected}\n" +
                    $"bytes: {Convert.ToBase64String(corrupted)}");
                throw;
            }

            AssertConsistent(entries, corrupted);
            outcomes[mutation] = (outcomes[mutation].Loaded + 1, outcomes[mutation].Rejected);
        }

        string summary = string.Join(", ", outcomes.Select(pair => $"{pair.Key}: {pair.Value.Loaded} loaded / {pair.Value.Rejected} rejected"));
        output.WriteLine(summary);

        // Mutations that always break the format must always be caught ...
        foreach (Mutation mutation in new[] { Mutation.Truncate, Mutation.HugeHeaderLength, Mutation.OverlappingOffsets })
        {
            Assert.True(outcomes[mutation].Loaded == 0, $"{mutation} variants loaded: {summary}");
        }

        // ... the data buffer is not validated, so flipping its bytes must never be rejected ...
        Assert.True(outcomes[Mutation.FlipDataBytes].Rejected == 0, $"data flips were rejected: {summary}");

        // ... and overall most variants are rejected, or the mutations are not reaching the validation.
        int rejected = outcomes.Values.Sum(outcome => outcome.Rejected);
        Assert.True(rejected >= Variants * 6 / 10, $"only {rejected} of {Variants} variants rejected: {summary}");
    }

    /// <summary>Whatever loaded must obey the format: sizes match shapes and the data lies inside the file.</summary>
    private static void AssertConsistent(IReadOnlyList<SafetensorsEntry> entries, byte[] file)
    {
        long total = 0;
        foreach (SafetensorsEntry entry in entries)
        {
            Assert.True(Safetensors.TryGetElementSize(entry.DType, out int size), entry.DType);
            Assert.All(entry.Shape, dim => Assert.True(dim >= 0));
            Assert.Equal(entry.Shape.Aggregate((long)size, (product, dim) => product * dim), entry.Data.Length);
            total += entry.Data.Length;
        }

        Assert.Equal(file.Length - 8 - (long)RawFile.HeaderLength(file), total);
    }

    private static byte[] ValidFile()
    {
        using var temp = new TempDirectory();
        string path = temp.File("valid.safetensors");
        Safetensors.Write(path, SampleEntries.Create(), SampleEntries.Metadata);
        return File.ReadAllBytes(path);
    }

    private static byte[] Mutate(byte[] valid, Mutation mutation, Random random)
    {
        int headerLength = (int)RawFile.HeaderLength(valid);
        int dataStart = 8 + headerLength;
        byte[] bytes = (byte[])valid.Clone();
        switch (mutation)
        {
            case Mutation.Truncate:
                return bytes[..random.Next(bytes.Length)];

            case Mutation.FlipHeaderBytes:
                FlipBytes(bytes, 8, dataStart, random);
                return bytes;

            case Mutation.FlipDataBytes:
                FlipBytes(bytes, dataStart, bytes.Length, random);
                return bytes;

            case Mutation.HugeHeaderLength:
                ulong huge = random.Next(3) switch
                {
                    0 => (ulong)random.NextInt64(Safetensors.MaxHeaderLength + 1L, long.MaxValue) | (random.Next(2) == 0 ? 0 : 1UL << 63),
                    1 => (ulong)(bytes.Length - 8 + random.Next(1, 1_000)),
                    _ => (ulong)random.NextInt64(bytes.Length - 8 + 1L, Safetensors.MaxHeaderLength + 1L),
                };
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, huge);
                return bytes;

            case Mutation.ShiftedHeaderLength:
                int shift = random.Next(1, 17) * (random.Next(2) == 0 ? -1 : 1);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(headerLength + shift));
                return bytes;

            case Mutation.OverlappingOffsets:
                return Reframe(valid, OverlapOffsets(RawFile.HeaderText(valid), random));

            case Mutation.JsonEdit:
                return Reframe(valid, EditText(RawFile.HeaderText(valid).TrimEnd(' '), random));

            case Mutation.OverwriteRun:
                int start = random.Next(bytes.Length);
                int length = Math.Min(random.Next(1, 9), bytes.Length - start);
                random.NextBytes(bytes.AsSpan(start, length));
                return bytes;

            default:
                throw new ArgumentOutOfRangeException(nameof(mutation));
        }
    }

    private static void FlipBytes(byte[] bytes, int from, int to, Random random)
    {
        int flips = random.Next(1, 4);
        for (int i = 0; i < flips; i++)
        {
            bytes[random.Next(from, to)] ^= (byte)random.Next(1, 256);
        }
    }

    /// <summary>Moves a non-empty tensor (not the first in the buffer) to start inside its predecessor.</summary>
    private static string OverlapOffsets(string header, Random random)
    {
        JsonObject root = JsonNode.Parse(header)!.AsObject();
        var movable = root
            .Where(pair => pair.Key != "__metadata__")
            .Select(pair => pair.Value!["data_offsets"]!.AsArray())
            .Where(offsets => offsets[0]!.GetValue<long>() > 0 && offsets[1]!.GetValue<long>() > offsets[0]!.GetValue<long>())
            .ToList();
        JsonArray target = movable[random.Next(movable.Count)];
        long begin = target[0]!.GetValue<long>();
        long end = target[1]!.GetValue<long>();
        long back = random.NextInt64(1, begin + 1);
        target[0] = begin - back;
        target[1] = end - back;
        return root.ToJsonString();
    }

    private static string EditText(string text, Random random)
    {
        var builder = new StringBuilder(text);
        int edits = random.Next(1, 4);
        for (int i = 0; i < edits && builder.Length > 0; i++)
        {
            int at = random.Next(builder.Length);
            char noise = JsonNoise[random.Next(JsonNoise.Length)];
            switch (random.Next(5))
            {
                case 0:
                    builder.Remove(at, 1);
                    break;
                case 1:
                    builder.Insert(at, noise);
                    break;
                case 2:
                    builder[at] = noise;
                    break;
                case 3:
                    int length = random.Next(1, Math.Min(40, builder.Length - at) + 1);
                    builder.Insert(at, builder.ToString(at, length));
                    break;
                default:
                    if (at + 1 < builder.Length)
                    {
                        (builder[at], builder[at + 1]) = (builder[at + 1], builder[at]);
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Puts a new header in front of the original data, with a truthful length prefix.</summary>
    private static byte[] Reframe(byte[] valid, string header) =>
        RawFile.Build(Encoding.UTF8.GetBytes(header), RawFile.Data(valid));
}
