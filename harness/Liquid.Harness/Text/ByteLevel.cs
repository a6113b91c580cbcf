namespace Liquid.Harness.Text;

/// <summary>
/// GPT-2's reversible byte ↔ unicode table (<c>bytes_to_unicode</c> in OpenAI's encoder.py): printable
/// Latin-1 bytes map to themselves, the other 68 bytes to U+0100.. in byte order, so every byte
/// string is spelled by printable characters (space is 'Ġ', newline is 'Ċ').
/// </summary>
internal static class ByteLevel
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte = BuildReverse();

    public static char ToChar(byte b) => ByteToChar[b];

    /// <summary>The bytes a byte-level token string spells, or null if it has a character outside the table.</summary>
    public static byte[]? TryUnspell(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out var b))
            {
                return null;
            }

            bytes[i] = b;
        }

        return bytes;
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        var assigned = new bool[256];
        for (var b = 0; b < 256; b++)
        {
            if (b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ')
            {
                table[b] = (char)b;
                assigned[b] = true;
            }
        }

        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            if (!assigned[b])
            {
                table[b] = (char)(256 + n);
                n++;
            }
        }

        return table;
    }

    private static Dictionary<char, byte> BuildReverse()
    {
        var reverse = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++)
        {
            reverse.Add(ByteToChar[b], (byte)b);
        }

        return reverse;
    }
}
