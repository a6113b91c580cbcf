using System.Text;

namespace Liquid.Harness.Text;

/// <summary>
/// One token per byte (vocabulary 256). Lossless on bytes: <see cref="EncodeBytes"/> of a file's
/// bytes and <see cref="DecodeBytes"/> give back those bytes exactly, invalid UTF-8 included (the
/// harness feeds files to this tokenizer as bytes). <see cref="Encode"/> takes text as its UTF-8
/// bytes; <see cref="Decode"/> shows bytes as text, where a sequence that is not UTF-8 can only
/// appear as U+FFFD (use <see cref="DecodeBytes"/> to keep it).
/// </summary>
public sealed class ByteTokenizer : ITokenizer
{
    public string Kind => "byte";

    public int VocabSize => 256;

    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeBytes(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>The ids of raw bytes: id = byte value.</summary>
    public int[] EncodeBytes(ReadOnlySpan<byte> bytes)
    {
        var ids = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            ids[i] = bytes[i];
        }

        return ids;
    }

    public string Decode(ReadOnlySpan<int> ids) => Encoding.UTF8.GetString(DecodeBytes(ids));

    /// <summary>The bytes the ids stand for, exactly.</summary>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            bytes[i] = Check(ids[i]);
        }

        return bytes;
    }

    public byte[] TokenBytes(int id) => [Check(id)];

    public void Save(string directory) => TokenizerFile.Write(directory, Kind, _ => { });

    private static byte Check(int id) => (uint)id < 256
        ? (byte)id
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is not in the vocabulary (size 256)");
}
