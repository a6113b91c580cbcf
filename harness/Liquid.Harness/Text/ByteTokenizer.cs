using System.Text;

namespace Liquid.Harness.Text;

/// <summary>One token per UTF-8 byte (vocabulary 256).</summary>
public sealed class ByteTokenizer : ITokenizer
{
    public string Kind => "byte";

    public int VocabSize => 256;

    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            ids[i] = bytes[i];
        }

        return ids;
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            bytes[i] = Check(ids[i]);
        }

        return Encoding.UTF8.GetString(bytes);
    }

    public byte[] TokenBytes(int id) => [Check(id)];

    public void Save(string directory) => TokenizerFile.Write(directory, Kind, _ => { });

    private static byte Check(int id) => (uint)id < 256
        ? (byte)id
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is not in the vocabulary (size 256)");
}
