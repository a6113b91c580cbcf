using System.Text;
using System.Text.Json;

namespace Liquid.Harness.Text;

/// <summary>
/// GPT-2's byte-level BPE tokenizer (50,257 ids). Reads OpenAI's <c>encoder.json</c> + <c>vocab.bpe</c>
/// or the same content as Hugging Face's <c>vocab.json</c> + <c>merges.txt</c>.
/// </summary>
public sealed class Gpt2Tokenizer : ITokenizer
{
    public const string EndOfText = "<|endoftext|>";

    private static readonly object DefaultGate = new();
    private static Gpt2Tokenizer? defaultInstance;

    private readonly string?[] tokens;
    private readonly BytePairModel model;

    private Gpt2Tokenizer(string?[] tokens, BytePairModel model, int? endOfTextId)
    {
        this.tokens = tokens;
        this.model = model;
        EndOfTextId = endOfTextId;
    }

    /// <summary>Where <see cref="Default"/> looks for <c>encoder.json</c> and <c>vocab.bpe</c>.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "data", "gpt2");

    /// <summary>GPT-2's tokenizer from the files that ship with the harness (loaded once, thread-safe).</summary>
    public static Gpt2Tokenizer Default
    {
        get
        {
            lock (DefaultGate)
            {
                if (defaultInstance is null)
                {
                    var directory = DefaultDirectory;
                    var encoder = Path.Combine(directory, "encoder.json");
                    var merges = Path.Combine(directory, "vocab.bpe");
                    if (!File.Exists(encoder) || !File.Exists(merges))
                    {
                        throw new FileNotFoundException(
                            $"GPT-2 tokenizer files are missing: expected '{encoder}' and '{merges}'. They ship with the " +
                            "harness (data/gpt2 in the repository, copied to the output folder by Liquid.Harness.csproj).",
                            File.Exists(encoder) ? merges : encoder);
                    }

                    defaultInstance = FromFiles(encoder, merges);
                }

                return defaultInstance;
            }
        }
    }

    public string Kind => "gpt2";

    public int VocabSize => tokens.Length;

    /// <summary>The id of <c>&lt;|endoftext|&gt;</c> (50256 for GPT-2), if the vocabulary has it. Encode never produces it.</summary>
    public int? EndOfTextId { get; }

    /// <summary>
    /// Loads a vocabulary (<c>encoder.json</c> / <c>vocab.json</c>: token → id) and its merges
    /// (<c>vocab.bpe</c> / <c>merges.txt</c>: one "left right" pair a line, by rank; a first line starting
    /// with <c>#version</c> is skipped). Throws <see cref="FileNotFoundException"/> or
    /// <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static Gpt2Tokenizer FromFiles(string vocabJsonPath, string mergesPath)
    {
        var vocab = ReadVocab(vocabJsonPath);
        var mergeLines = ReadMergeLines(mergesPath);
        return Build(vocab, mergeLines, vocabJsonPath, mergesPath);
    }

    /// <summary>The vocabulary spelling of a token (GPT-2's byte-to-unicode alphabet, e.g. "Ġworld").</summary>
    public string TokenText(int id)
    {
        if ((uint)id >= (uint)tokens.Length || tokens[id] is not { } token)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is not in the vocabulary (size {tokens.Length})");
        }

        return token;
    }

    public int[] Encode(string text) => model.Encode(text);

    public string Decode(ReadOnlySpan<int> ids) => model.Decode(ids);

    public byte[] TokenBytes(int id) => model.TokenBytes(id);

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        WriteVocab(Path.Combine(directory, "vocab.json"));
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right, _) in model.Merges)
        {
            merges.Append(tokens[left]).Append(' ').Append(tokens[right]).Append('\n');
        }

        File.WriteAllText(Path.Combine(directory, "merges.txt"), merges.ToString(), new UTF8Encoding(false));
        TokenizerFile.Write(directory, "gpt2", writer =>
        {
            writer.WriteString("vocab", "vocab.json");
            writer.WriteString("merges", "merges.txt");
        });
    }

    private void WriteVocab(string path)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        for (var id = 0; id < tokens.Length; id++)
        {
            if (tokens[id] is { } token)
            {
                writer.WriteNumber(token, id);
            }
        }

        writer.WriteEndObject();
    }

    private static Dictionary<string, int> ReadVocab(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"tokenizer vocabulary file not found: '{path}'", path);
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
                ?? throw new InvalidDataException($"tokenizer vocabulary '{path}' is not a JSON object of token → id");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"tokenizer vocabulary '{path}' is not a JSON object of token → id: {e.Message}", e);
        }
    }

    private static List<(string Line, int Number)> ReadMergeLines(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"tokenizer merges file not found: '{path}'", path);
        }

        var lines = new List<(string, int)>();
        var number = 0;
        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (number == 1 && line.StartsWith("#version", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.Length == 0)
            {
                continue;
            }

            lines.Add((line, number));
        }

        return lines;
    }

    private static Gpt2Tokenizer Build(Dictionary<string, int> vocab, List<(string Line, int Number)> mergeLines, string vocabPath, string mergesPath)
    {
        if (vocab.Count == 0)
        {
            throw new InvalidDataException($"tokenizer vocabulary '{vocabPath}' is empty");
        }

        var size = 0;
        foreach (var (token, id) in vocab)
        {
            if (id < 0 || id >= 10_000_000)
            {
                throw new InvalidDataException($"tokenizer vocabulary '{vocabPath}': token '{token}' has id {id}, outside [0, 10000000)");
            }

            size = Math.Max(size, id + 1);
        }

        var tokens = new string?[size];
        var bytes = new byte[]?[size];
        foreach (var (token, id) in vocab)
        {
            if (tokens[id] is { } other)
            {
                throw new InvalidDataException($"tokenizer vocabulary '{vocabPath}': tokens '{other}' and '{token}' share id {id}");
            }

            tokens[id] = token;
            // Every GPT-2 token is spelled in the byte-to-unicode alphabet; anything else (an added token of
            // another vocabulary) stands for its own UTF-8.
            bytes[id] = ByteLevel.TryUnspell(token) ?? Encoding.UTF8.GetBytes(token);
        }

        var byteToId = new int[256];
        for (var b = 0; b < 256; b++)
        {
            var spelled = ByteLevel.ToChar((byte)b).ToString();
            if (!vocab.TryGetValue(spelled, out byteToId[b]))
            {
                throw new InvalidDataException(
                    $"tokenizer vocabulary '{vocabPath}' is not byte-level: it has no token for byte 0x{b:X2} ('{spelled}')");
            }
        }

        var merges = new (int, int, int)[mergeLines.Count];
        for (var rank = 0; rank < mergeLines.Count; rank++)
        {
            var (line, number) = mergeLines[rank];
            var space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                throw new InvalidDataException($"tokenizer merges '{mergesPath}' line {number}: expected two tokens separated by one space, got '{line}'");
            }

            var left = line[..space];
            var right = line[(space + 1)..];
            if (!vocab.TryGetValue(left, out var leftId) || !vocab.TryGetValue(right, out var rightId) || !vocab.TryGetValue(left + right, out var mergedId))
            {
                throw new InvalidDataException(
                    $"tokenizer merges '{mergesPath}' line {number}: '{line}' uses or makes a token that is not in the vocabulary '{vocabPath}'");
            }

            merges[rank] = (leftId, rightId, mergedId);
        }

        int? endOfText = vocab.TryGetValue(EndOfText, out var eot) ? eot : null;
        return new Gpt2Tokenizer(tokens, new BytePairModel(bytes, byteToId, merges), endOfText);
    }
}
