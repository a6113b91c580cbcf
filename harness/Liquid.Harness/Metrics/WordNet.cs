using System.Text;

namespace Liquid.Harness.Metrics;

/// <summary>
/// The English WordNet 3.0 database files (Debian's <c>wordnet-base</c> installs them in
/// <c>/usr/share/wordnet</c>), read for METEOR's synonym stage: the words that share a synset with a
/// word, after WordNet's morphological base-form rules ("morphy"), as <c>nltk.corpus.wordnet</c>
/// finds them.
/// </summary>
/// <remarks>
/// <para>Files (format in wndb(5WN)): <c>index.{noun,verb,adj,adv}</c> map a lemma to the byte offsets
/// of its synsets in <c>data.{pos}</c>; a data line lists the synset's words (w_cnt in hex, each word
/// followed by a lex_id; an adjective's syntactic marker such as "(a)" or "(ip)" is dropped);
/// <c>{pos}.exc</c> lists irregular inflections and their base forms. The index files are read when the
/// database is opened (about 150,000 lemmas); synset lines are read on demand by their offset and
/// cached.</para>
/// <para>Base forms follow morphy(7WN) as NLTK implements it: if the word is in the part of speech's
/// exception list, the candidates are the word and its listed base forms; otherwise the word and the
/// forms one detachment rule gives (nouns -s, -ses → -s, -ves → -f, -xes → -x, -zes → -z, -ches → -ch,
/// -shes → -sh, -men → -man, -ies → -y; verbs -s, -ies → -y, -es → -e, -es, -ed → -e, -ed, -ing → -e,
/// -ing; adjectives -er, -est, -er → -e, -est → -e; adverbs none), and, when none of those is a lemma
/// of that part of speech, the rules applied again and again to the derived forms until some are.
/// Candidates that are lemmas of the part of speech are kept, in order, each once.</para>
/// </remarks>
public sealed class WordNet
{
    /// <summary>Where Debian's <c>wordnet-base</c> installs the database.</summary>
    public const string DebianPath = "/usr/share/wordnet";

    // NLTK's order of parts of speech, and the file suffix of each.
    private static readonly (char Pos, string File)[] Parts = [('n', "noun"), ('v', "verb"), ('a', "adj"), ('r', "adv")];

    private static readonly Dictionary<char, (string Old, string New)[]> Detachments = new()
    {
        ['n'] = [("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")],
        ['v'] = [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")],
        ['a'] = [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
        ['r'] = [],
    };

    private readonly string _directory;
    private readonly Dictionary<char, Dictionary<string, long[]>> _index = new();
    private readonly Dictionary<char, Dictionary<string, string[]>> _exceptions = new();
    private readonly Dictionary<(char Pos, long Offset), string[]> _synsets = new();
    private readonly Dictionary<string, HashSet<string>> _synonyms = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    private WordNet(string directory)
    {
        _directory = directory;
        foreach (var (pos, file) in Parts)
        {
            _index[pos] = ReadIndex(Path.Combine(directory, "index." + file));
            _exceptions[pos] = ReadExceptions(Path.Combine(directory, file + ".exc"));
        }
    }

    /// <summary>Opens the database in <paramref name="directory"/>; throws <see cref="FileNotFoundException"/> naming a missing file.</summary>
    public static WordNet Open(string directory = DebianPath)
    {
        foreach (var (_, file) in Parts)
            foreach (var name in new[] { "index." + file, "data." + file, file + ".exc" })
            {
                var path = Path.Combine(directory, name);
                if (!File.Exists(path))
                    throw new FileNotFoundException($"WordNet file '{path}' not found (Debian: apt-get install wordnet-base)", path);
            }
        return new WordNet(directory);
    }

    /// <summary>The database at <see cref="DebianPath"/>, or null when it is not installed.</summary>
    public static WordNet? TryOpenDefault()
    {
        try
        {
            return Open();
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The lemma names (without multi-word lemmas, which contain '_') of every synset of every part of
    /// speech that <paramref name="word"/> (lower-cased) or one of its base forms belongs to; their case
    /// is the database's.
    /// </summary>
    public IReadOnlySet<string> Synonyms(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var lower = word.ToLowerInvariant();
        lock (_gate)
        {
            if (_synonyms.TryGetValue(lower, out var cached)) return cached;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (pos, _) in Parts)
                foreach (var form in BaseForms(lower, pos))
                    foreach (var offset in _index[pos][form])
                        foreach (var name in Synset(pos, offset))
                            if (!name.Contains('_')) names.Add(name);
            _synonyms[lower] = names;
            return names;
        }
    }

    /// <summary>The base forms of <paramref name="form"/> that are lemmas of part of speech <paramref name="pos"/> (n, v, a, r), in morphy's order.</summary>
    public IReadOnlyList<string> BaseForms(string form, char pos)
    {
        var index = _index[pos];
        List<string> Known(IEnumerable<string> forms)
        {
            var known = new List<string>();
            foreach (var candidate in forms)
                if (index.ContainsKey(candidate) && !known.Contains(candidate)) known.Add(candidate);
            return known;
        }
        List<string> Detach(IEnumerable<string> forms) =>
            forms.SelectMany(f => Detachments[pos].Where(d => f.EndsWith(d.Old, StringComparison.Ordinal)).Select(d => f[..^d.Old.Length] + d.New)).ToList();

        if (_exceptions[pos].TryGetValue(form, out var listed)) return Known(new[] { form }.Concat(listed));
        var derived = Detach([form]);
        var found = Known(new[] { form }.Concat(derived));
        while (found.Count == 0 && derived.Count > 0)
        {
            derived = Detach(derived);
            found = Known(derived);
        }
        return found;
    }

    /// <summary>The words of synset <paramref name="offset"/> of part of speech <paramref name="pos"/>.</summary>
    private string[] Synset(char pos, long offset)
    {
        if (_synsets.TryGetValue((pos, offset), out var words)) return words;
        var file = Parts.First(p => p.Pos == pos).File;
        using var stream = File.OpenRead(Path.Combine(_directory, "data." + file));
        stream.Seek(offset, SeekOrigin.Begin);
        var line = new StringBuilder();
        for (var b = stream.ReadByte(); b is not (-1 or '\n'); b = stream.ReadByte()) line.Append((char)b);
        // offset lex_filenum ss_type w_cnt (hex) { word lex_id (hex) } …
        var fields = line.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4 || long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture) != offset)
            throw new InvalidDataException($"WordNet data.{file}: no synset at byte offset {offset}");
        var count = Convert.ToInt32(fields[3], 16);
        words = new string[count];
        for (var i = 0; i < count; i++)
        {
            var name = fields[4 + 2 * i];
            var marker = name.IndexOf('(');
            words[i] = marker > 0 && name.EndsWith(')') ? name[..marker] : name;
        }
        _synsets[(pos, offset)] = words;
        return words;
    }

    /// <summary>lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt synset_offset…; lines starting with a space are the licence.</summary>
    private static Dictionary<string, long[]> ReadIndex(string path)
    {
        var index = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path, Encoding.Latin1))
        {
            if (line.Length == 0 || line[0] == ' ') continue;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var synsets = int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture);
            var pointers = int.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture);
            var first = 4 + pointers + 2;
            var offsets = new long[synsets];
            for (var i = 0; i < synsets; i++) offsets[i] = long.Parse(fields[first + i], System.Globalization.CultureInfo.InvariantCulture);
            index[fields[0]] = offsets;
        }
        return index;
    }

    /// <summary>inflected base…, one per line.</summary>
    private static Dictionary<string, string[]> ReadExceptions(string path)
    {
        var exceptions = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path, Encoding.Latin1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0) exceptions[fields[0]] = fields[1..];
        }
        return exceptions;
    }
}
