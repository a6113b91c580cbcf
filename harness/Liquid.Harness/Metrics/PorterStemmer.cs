namespace Liquid.Harness.Metrics;

/// <summary>
/// The Porter stemmer (Porter 1980, "An algorithm for suffix stripping") with the deviations NLTK's
/// <c>PorterStemmer</c> makes in its default <c>NLTK_EXTENSIONS</c> mode, so METEOR's stem stage
/// matches <c>nltk.translate.meteor_score</c>.
/// </summary>
/// <remarks>
/// The deviations from the paper, as NLTK documents them: a small table of irregular forms
/// (sky/skies → sky, dying → die, lying → lie, tying → tie, news, innings/inning → inning,
/// outings/outing → outing, cannings/canning → canning, howe, proceed, exceed, succeed); words of one or
/// two letters are returned lower-cased without stemming; step 1a maps a four-letter "-ies" to "-ie";
/// step 1b maps "-ied" to "-ie" (four letters) or "-i"; *o also holds for a two-letter vowel–consonant
/// stem; step 1c turns y into i only after a consonant that is not the whole stem; step 2 uses
/// "bli → ble" (Porter's own correction of "abli → able"), applies "alli → al" first and then step 2
/// again, and adds "fulli → ful" and "logi → log" (the l counted with the stem). Within a step the
/// first rule whose suffix matches decides: if its condition fails, the word is left as it is.
/// </remarks>
public static class PorterStemmer
{
    private static readonly Dictionary<string, string> Irregular = new(StringComparer.Ordinal)
    {
        ["sky"] = "sky", ["skies"] = "sky", ["dying"] = "die", ["lying"] = "lie", ["tying"] = "tie", ["news"] = "news",
        ["innings"] = "inning", ["inning"] = "inning", ["outings"] = "outing", ["outing"] = "outing",
        ["cannings"] = "canning", ["canning"] = "canning", ["howe"] = "howe", ["proceed"] = "proceed",
        ["exceed"] = "exceed", ["succeed"] = "succeed",
    };

    /// <summary>The stem of <paramref name="word"/>, lower-cased.</summary>
    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var lower = word.ToLowerInvariant();
        // NLTK looks the word up as given; its callers (METEOR) pass lower-cased words.
        if (Irregular.TryGetValue(word, out var irregular)) return irregular;
        if (word.Length <= 2) return lower;
        var stem = Step1A(lower);
        stem = Step1B(stem);
        stem = Step1C(stem);
        stem = Step2(stem);
        stem = Step3(stem);
        stem = Step4(stem);
        stem = Step5A(stem);
        return Step5B(stem);
    }

    // ---- the paper's definitions -------------------------------------------------------------

    /// <summary>A letter other than a, e, i, o, u, and other than a y that follows a consonant.</summary>
    private static bool IsConsonant(string word, int i) => word[i] switch
    {
        'a' or 'e' or 'i' or 'o' or 'u' => false,
        'y' => i == 0 || !IsConsonant(word, i - 1),
        _ => true,
    };

    /// <summary>m in [C](VC)^m[V]: the number of vowel-to-consonant transitions.</summary>
    private static int Measure(string stem)
    {
        var m = 0;
        for (var i = 1; i < stem.Length; i++)
            if (!IsConsonant(stem, i - 1) && IsConsonant(stem, i)) m++;
        return m;
    }

    private static bool ContainsVowel(string stem)
    {
        for (var i = 0; i < stem.Length; i++)
            if (!IsConsonant(stem, i)) return true;
        return false;
    }

    /// <summary>*d: ends with a double consonant.</summary>
    private static bool EndsDoubleConsonant(string word) =>
        word.Length >= 2 && word[^1] == word[^2] && IsConsonant(word, word.Length - 1);

    /// <summary>*o: ends consonant–vowel–consonant, the last not w, x or y; or (NLTK) is a two-letter vowel–consonant.</summary>
    private static bool EndsCvc(string word) =>
        (word.Length >= 3 && IsConsonant(word, word.Length - 3) && !IsConsonant(word, word.Length - 2) && IsConsonant(word, word.Length - 1)
            && word[^1] is not ('w' or 'x' or 'y'))
        || (word.Length == 2 && !IsConsonant(word, 0) && IsConsonant(word, 1));

    /// <summary>A rule: a word ending in Suffix whose stem (the word without it) meets Condition becomes stem + Replacement.</summary>
    private readonly record struct Rule(string Suffix, string Replacement, Func<string, bool>? Condition = null);

    private static bool PositiveMeasure(string stem) => Measure(stem) > 0;

    private static bool MeasureAboveOne(string stem) => Measure(stem) > 1;

    /// <summary>The first rule whose suffix the word ends with decides; a failed condition leaves the word unchanged.</summary>
    private static string Apply(string word, IEnumerable<Rule> rules)
    {
        foreach (var rule in rules)
        {
            if (!word.EndsWith(rule.Suffix, StringComparison.Ordinal)) continue;
            var stem = word[..^rule.Suffix.Length];
            return rule.Condition is null || rule.Condition(stem) ? stem + rule.Replacement : word;
        }
        return word;
    }

    // ---- the steps ---------------------------------------------------------------------------

    private static readonly Rule[] Step1ARules = [new("sses", "ss"), new("ies", "i"), new("ss", "ss"), new("s", "")];

    private static string Step1A(string word) =>
        word.Length == 4 && word.EndsWith("ies", StringComparison.Ordinal) ? word[..^3] + "ie" : Apply(word, Step1ARules);

    private static string Step1B(string word)
    {
        if (word.EndsWith("ied", StringComparison.Ordinal)) return word[..^3] + (word.Length == 4 ? "ie" : "i");
        if (word.EndsWith("eed", StringComparison.Ordinal)) return Measure(word[..^3]) > 0 ? word[..^1] : word;
        string? stem = null;
        foreach (var suffix in new[] { "ed", "ing" })
        {
            if (word.EndsWith(suffix, StringComparison.Ordinal) && ContainsVowel(word[..^suffix.Length]))
            {
                stem = word[..^suffix.Length];
                break;
            }
        }
        if (stem is null) return word;
        // Restore an e after -at, -bl, -iz; undouble a final double consonant (but not l, s, z); add
        // an e to a short cvc stem.
        foreach (var (ending, restored) in new[] { ("at", "ate"), ("bl", "ble"), ("iz", "ize") })
            if (stem.EndsWith(ending, StringComparison.Ordinal)) return stem[..^2] + restored;
        if (EndsDoubleConsonant(stem)) return stem[^1] is 'l' or 's' or 'z' ? stem : stem[..^1];
        return Measure(stem) == 1 && EndsCvc(stem) ? stem + "e" : stem;
    }

    private static string Step1C(string word) =>
        word.EndsWith('y') && word.Length - 1 > 1 && IsConsonant(word, word.Length - 2) ? word[..^1] + "i" : word;

    private static readonly Rule[] Step2Rules =
    [
        new("ational", "ate", PositiveMeasure), new("tional", "tion", PositiveMeasure), new("enci", "ence", PositiveMeasure),
        new("anci", "ance", PositiveMeasure), new("izer", "ize", PositiveMeasure), new("bli", "ble", PositiveMeasure),
        new("alli", "al", PositiveMeasure), new("entli", "ent", PositiveMeasure), new("eli", "e", PositiveMeasure),
        new("ousli", "ous", PositiveMeasure), new("ization", "ize", PositiveMeasure), new("ation", "ate", PositiveMeasure),
        new("ator", "ate", PositiveMeasure), new("alism", "al", PositiveMeasure), new("iveness", "ive", PositiveMeasure),
        new("fulness", "ful", PositiveMeasure), new("ousness", "ous", PositiveMeasure), new("aliti", "al", PositiveMeasure),
        new("iviti", "ive", PositiveMeasure), new("biliti", "ble", PositiveMeasure), new("fulli", "ful", PositiveMeasure),
        // The l of -logi stays with the stem for the measure, so short stems (geo-, theo-) qualify.
        new("logi", "log", stem => PositiveMeasure(stem + "l")),
    ];

    private static string Step2(string word)
    {
        if (word.EndsWith("alli", StringComparison.Ordinal) && PositiveMeasure(word[..^4])) return Step2(word[..^4] + "al");
        return Apply(word, Step2Rules);
    }

    private static readonly Rule[] Step3Rules =
    [
        new("icate", "ic", PositiveMeasure), new("ative", "", PositiveMeasure), new("alize", "al", PositiveMeasure),
        new("iciti", "ic", PositiveMeasure), new("ical", "ic", PositiveMeasure), new("ful", "", PositiveMeasure),
        new("ness", "", PositiveMeasure),
    ];

    private static string Step3(string word) => Apply(word, Step3Rules);

    private static readonly Rule[] Step4Rules =
    [
        new("al", "", MeasureAboveOne), new("ance", "", MeasureAboveOne), new("ence", "", MeasureAboveOne),
        new("er", "", MeasureAboveOne), new("ic", "", MeasureAboveOne), new("able", "", MeasureAboveOne),
        new("ible", "", MeasureAboveOne), new("ant", "", MeasureAboveOne), new("ement", "", MeasureAboveOne),
        new("ment", "", MeasureAboveOne), new("ent", "", MeasureAboveOne),
        new("ion", "", stem => MeasureAboveOne(stem) && stem.Length > 0 && stem[^1] is 's' or 't'),
        new("ou", "", MeasureAboveOne), new("ism", "", MeasureAboveOne), new("ate", "", MeasureAboveOne),
        new("iti", "", MeasureAboveOne), new("ous", "", MeasureAboveOne), new("ive", "", MeasureAboveOne),
        new("ize", "", MeasureAboveOne),
    ];

    private static string Step4(string word) => Apply(word, Step4Rules);

    /// <summary>(m &gt; 1) E →, and (m = 1 and not *o) E → (both conditions tried).</summary>
    private static string Step5A(string word)
    {
        if (!word.EndsWith('e')) return word;
        var stem = word[..^1];
        var m = Measure(stem);
        return m > 1 || (m == 1 && !EndsCvc(stem)) ? stem : word;
    }

    /// <summary>(m &gt; 1 and *d and *L) → single letter, the measure taken with one l.</summary>
    private static string Step5B(string word) =>
        word.EndsWith("ll", StringComparison.Ordinal) && Measure(word[..^1]) > 1 ? word[..^1] : word;
}
