using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Liquid.Harness.Text;

/// <summary>
/// GPT-2's pre-tokenization: splits text into the "words" that byte-pair merges never cross, exactly
/// as OpenAI's encoder.py does with the Python <c>regex</c> module and the pattern <see cref="Pattern"/>.
/// </summary>
/// <remarks>
/// This is a hand-written scanner rather than <see cref="Regex"/> because .NET regular expressions
/// classify UTF-16 code units, not code points: a letter outside the Basic Multilingual Plane
/// (𝐇, 𠀀 …) is two surrogates of category Cs to .NET, so <c>\p{L}</c> would not match it, while
/// Python's <c>regex</c> (and GPT-2) sees one letter. On text without surrogate pairs the scanner
/// produces the same pieces as <see cref="Regex"/> with <see cref="Pattern"/> (tests check this).
/// Classes follow Python's <c>regex</c>: <c>\s</c> is Unicode White_Space (includes U+0085 and
/// U+00A0, not U+FEFF), <c>\p{L}</c> letters, <c>\p{N}</c> numbers (Nd, Nl, No).
/// </remarks>
internal static class Gpt2PreTokenizer
{
    /// <summary>GPT-2's pre-tokenization pattern (encoder.py), for reference and tests.</summary>
    public const string Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private const byte Space = 0;
    private const byte Letter = 1;
    private const byte Number = 2;
    private const byte Other = 3;

    private static readonly byte[] AsciiClass = BuildAsciiClasses();

    /// <summary>The pieces of <paramref name="text"/> as strings (convenient for tests; not the fast path).</summary>
    public static List<string> SplitToStrings(string text)
    {
        var pieces = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var end = NextEnd(text, i);
            pieces.Add(text[i..end]);
            i = end;
        }

        return pieces;
    }

    /// <summary>End (exclusive, UTF-16 index) of the piece that starts at <paramref name="i"/>.</summary>
    public static int NextEnd(ReadOnlySpan<char> s, int i)
    {
        var n = s.Length;
        var c = s[i];

        // 's|'t|'re|'ve|'m|'ll|'d  (lower case only, as in GPT-2)
        if (c == '\'' && i + 1 < n)
        {
            var d = s[i + 1];
            if (d is 's' or 't' or 'm' or 'd')
            {
                return i + 2;
            }

            if (i + 2 < n)
            {
                var e = s[i + 2];
                if ((d == 'r' && e == 'e') || (d == 'v' && e == 'e') || (d == 'l' && e == 'l'))
                {
                    return i + 3;
                }
            }
        }

        //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+
        int j;
        byte cls;
        if (c == ' ' && i + 1 < n && (cls = Classify(s, i + 1, out _)) != Space)
        {
            j = i + 1;
        }
        else
        {
            j = i;
            cls = Classify(s, i, out _);
        }

        if (cls != Space)
        {
            while (j < n && Classify(s, j, out var width) == cls)
            {
                j += width;
            }

            return j;
        }

        // \s+(?!\S) | \s+   (every White_Space character is one UTF-16 unit)
        j = i;
        while (j < n && Classify(s, j, out _) == Space)
        {
            j++;
        }

        if (j == n)
        {
            return n;
        }

        // The run is followed by a non-space: \s+(?!\S) backs off one character so the last space can
        // start the next piece (" word"); a single space character falls through to plain \s+.
        return j - i > 1 ? j - 1 : j;
    }

    private static byte Classify(ReadOnlySpan<char> s, int i, out int width)
    {
        var c = s[i];
        if (c < 128)
        {
            width = 1;
            return AsciiClass[c];
        }

        if (!char.IsSurrogate(c))
        {
            width = 1;
            return ClassOf(CharUnicodeInfo.GetUnicodeCategory(c), char.IsWhiteSpace(c));
        }

        // A surrogate pair is one code point; a lone surrogate is treated as U+FFFD (what UTF-8 encoding makes of it).
        if (Rune.DecodeFromUtf16(s[i..], out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
        {
            width = 1;
            return Other;
        }

        width = consumed;
        return ClassOf(Rune.GetUnicodeCategory(rune), Rune.IsWhiteSpace(rune));
    }

    private static byte ClassOf(UnicodeCategory category, bool whiteSpace)
    {
        if (whiteSpace)
        {
            return Space;
        }

        return category switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            _ => Other,
        };
    }

    private static byte[] BuildAsciiClasses()
    {
        var table = new byte[128];
        for (var c = 0; c < 128; c++)
        {
            table[c] = ClassOf(CharUnicodeInfo.GetUnicodeCategory((char)c), char.IsWhiteSpace((char)c));
        }

        return table;
    }
}
