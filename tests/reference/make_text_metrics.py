"""Reference values of the generation metrics (harness/Liquid.Harness/Metrics/) that
tests/Liquid.Harness.Tests/Metrics/TextMetricsReferenceTests.cs compares against.

Written to tests/reference/data/text_metrics.json from a fixed list of (hypothesis, reference)
sentence pairs, tokenized as re.findall(r"\\w+|[^\\w\\s]", text.lower()):

  bleu        nltk.translate.bleu_score.corpus_bleu (Debian's python3-nltk 3.8) with the uniform
              weights (1/n,)*n for BLEU-1 … BLEU-4 (n = 4 is NLTK's default), without smoothing
              (method0, NLTK's default) and with method1 (ε 0.1); for the whole corpus and for every
              pair as a corpus of one;
  meteor      nltk.translate.meteor_score.meteor_score per pair, with WordNet read from Debian's
              wordnet-base (/usr/share/wordnet) and, as "meteor_no_synonyms", with a WordNet that
              knows no word (the exact and stem stages alone);
  rouge       ROUGE-1, ROUGE-2 and ROUGE-L F1 per pair and their means, from the implementation in
              this file (NLTK has none): n-gram overlap Σ min(count_hyp, count_ref), LCS by memoized
              recursion, F1 = 2PR / (P + R);
  distinct    distinct-1/2 over all hypotheses, mean hypothesis length, exact-match share;
  stems       nltk.stem.porter.PorterStemmer() (NLTK_EXTENSIONS mode) of a list of words;
  synonyms    the lemma names without '_' of wordnet.synsets(word) for a few words.

NLTK's WordNet reader needs a 'lexnames' file that Debian does not ship; the script builds a
temporary directory with links to /usr/share/wordnet's files and a lexnames written from the table
in Debian's lexnames(5WN) man page (the names matter only to Synset.lexname(), which METEOR does
not use).

    /usr/bin/python3 tests/reference/make_text_metrics.py
"""

import functools
import gzip
import json
import os
import re
import sys
import tempfile
import warnings
from collections import Counter

from nltk.corpus.reader.wordnet import WordNetCorpusReader
from nltk.stem.porter import PorterStemmer
from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu
from nltk.translate.meteor_score import meteor_score

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "text_metrics.json")
WORDNET = "/usr/share/wordnet"
LEXNAMES_MAN = "/usr/share/man/man5/lexnames.5WN.gz"

# (hypothesis, reference): stems, synonyms, reordering, repeats, punctuation, case, Spanish text,
# no overlap, a one-word and an empty hypothesis.
PAIRS = [
    ("It is a guide to action which ensures that the military always obeys the commands of the party.",
     "It is a guide to action that ensures that the military will forever heed Party commands."),
    ("The quick brown fox jumps over the lazy dog.", "A fast brown fox leaped over a lazy dog."),
    ("The cats were running quickly through the gardens", "the cat runs quick through a garden"),
    ("He bought a big house near the sea", "She purchased a large home by the ocean"),
    ("the the the the", "the cat is on the mat"),
    ("on the mat the cat is", "the cat is on the mat"),
    ("Dogs are barking loudly at night.", "The dog barked loud at nightfall."),
    ("¿Qué hora es? Son las tres de la tarde.", "¿Qué hora es? Son las tres y media de la tarde."),
    ("El perro come carne en la cocina", "el gato come pescado en la cocina"),
    ("completely unrelated words here", "nothing matches at all"),
    ("hello", "hello world"),
    ("", "an empty hypothesis"),
    ("Happiness and generosity are virtues; happy generous people agree.", "Generous people are happy, and happiness is a virtue."),
    ("The children played with their toys in the flowering meadows", "Kids were playing with toys in a meadow full of flowers"),
]

STEM_WORDS = [
    "caresses", "ponies", "ties", "caress", "cats", "feed", "agreed", "plastered", "bled", "motoring", "sing",
    "conflated", "troubled", "sized", "hopping", "tanned", "falling", "hissing", "fizzed", "failing", "filing",
    "happy", "sky", "skies", "dying", "lying", "tying", "news", "innings", "outing", "proceed", "exceed", "succeed",
    "relational", "conditional", "rational", "valenci", "hesitanci", "digitizer", "conformabli", "radicalli",
    "differentli", "vileli", "analogousli", "vietnamization", "predication", "operator", "feudalism",
    "decisiveness", "hopefulness", "callousness", "formaliti", "sensitiviti", "sensibiliti", "triplicate",
    "formative", "formalize", "electriciti", "electrical", "hopeful", "goodness", "revival", "allowance",
    "inference", "airliner", "gyroscopic", "adjustable", "defensible", "irritant", "replacement", "adjustment",
    "dependent", "adoption", "homologou", "communism", "activate", "angulariti", "homologous", "effective",
    "bowdlerize", "probate", "rate", "cease", "controll", "roll", "flies", "dies", "spied", "died", "enjoy",
    "spy", "try", "generously", "geology", "theology", "archaeology", "fully", "beautifully", "is", "as", "a",
    "by", "aed", "eed", "ied", "ying", "generalizations", "oscillators", "running", "quickly", "nightfall",
]

SYNONYM_WORDS = ["big", "bought", "running", "dogs", "children", "purchased", "happier", "meadows", "best", "quickly", "zzzz"]


def tokens(text):
    return re.findall(r"\w+|[^\w\s]", text.lower())


# ---- ROUGE, written here from Lin (2004) -----------------------------------------------------


def ngram_counts(words, n):
    return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def f1(overlap, hypothesis_total, reference_total):
    precision = overlap / hypothesis_total if hypothesis_total else 0.0
    recall = overlap / reference_total if reference_total else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def rouge_n(hypothesis, reference, n):
    hyp, ref = ngram_counts(hypothesis, n), ngram_counts(reference, n)
    overlap = sum((hyp & ref).values())  # Counter intersection: min of the counts
    return f1(overlap, sum(hyp.values()), sum(ref.values()))


def lcs(a, b):
    @functools.lru_cache(maxsize=None)
    def length(i, j):  # LCS of a[i:] and b[j:]
        if i == len(a) or j == len(b):
            return 0
        if a[i] == b[j]:
            return 1 + length(i + 1, j + 1)
        return max(length(i + 1, j), length(i, j + 1))

    return length(0, 0)


def rouge_l(hypothesis, reference):
    return f1(lcs(tuple(hypothesis), tuple(reference)), len(hypothesis), len(reference))


# ---- WordNet from Debian's files -------------------------------------------------------------


def wordnet_directory():
    """A temporary directory with links to Debian's WordNet files and a lexnames from its man page."""
    directory = tempfile.mkdtemp(prefix="wordnet-")
    for name in os.listdir(WORDNET):
        if os.path.isfile(os.path.join(WORDNET, name)):
            os.symlink(os.path.join(WORDNET, name), os.path.join(directory, name))
    categories = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
    with gzip.open(LEXNAMES_MAN, "rt") as stream, open(os.path.join(directory, "lexnames"), "w") as out:
        for line in stream:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 2 and re.fullmatch(r"\d\d", fields[0]):
                name = fields[1].strip()
                out.write(f"{fields[0]}\t{name}\t{categories[name.split('.')[0]]}\n")
    return directory


class NoWordNet:
    """A WordNet that knows no word: METEOR with the exact and stem stages only."""

    @staticmethod
    def synsets(_word):
        return []


def main():
    warnings.simplefilter("ignore")  # NLTK warns on every zero n-gram count without smoothing
    directory = wordnet_directory()
    try:
        wordnet = WordNetCorpusReader(directory, None)
        stemmer = PorterStemmer()
        smoothing = {"none": SmoothingFunction().method0, "epsilon": SmoothingFunction().method1}
        weights = [tuple([1.0 / n] * n) for n in range(1, 5)]
        hypotheses = [tokens(h) for h, _ in PAIRS]
        references = [tokens(r) for _, r in PAIRS]

        def bleu(refs, hyps, kind):
            scores = corpus_bleu([[r] for r in refs], hyps, weights=weights, smoothing_function=smoothing[kind])
            return [float(s) for s in scores]

        pairs = []
        for (hypothesis_text, reference_text), hyp, ref in zip(PAIRS, hypotheses, references):
            pairs.append({
                "hypothesis": hypothesis_text,
                "reference": reference_text,
                "hypothesis_tokens": hyp,
                "reference_tokens": ref,
                "bleu": {kind: bleu([ref], [hyp], kind) for kind in smoothing},
                "meteor": meteor_score([ref], hyp, wordnet=wordnet),
                "meteor_no_synonyms": meteor_score([ref], hyp, wordnet=NoWordNet()),
                "rouge1": rouge_n(hyp, ref, 1),
                "rouge2": rouge_n(hyp, ref, 2),
                "rougeL": rouge_l(hyp, ref),
            })
        n_grams = [Counter(), Counter()]
        totals = [0, 0]
        for hyp in hypotheses:
            for n in (1, 2):
                counts = ngram_counts(hyp, n)
                n_grams[n - 1].update(counts)
                totals[n - 1] += sum(counts.values())
        corpus = {
            "bleu": {kind: bleu(references, hypotheses, kind) for kind in smoothing},
            "rouge1": sum(p["rouge1"] for p in pairs) / len(pairs),
            "rouge2": sum(p["rouge2"] for p in pairs) / len(pairs),
            "rougeL": sum(p["rougeL"] for p in pairs) / len(pairs),
            "meteor": sum(p["meteor"] for p in pairs) / len(pairs),
            "distinct1": len(n_grams[0]) / totals[0],
            "distinct2": len(n_grams[1]) / totals[1],
            "mean_length": sum(len(h) for h in hypotheses) / len(hypotheses),
            "exact_match": sum(h == r for h, r in zip(hypotheses, references)) / len(pairs),
        }
        stems = {word: stemmer.stem(word) for word in STEM_WORDS}
        synonyms = {
            word: sorted({lemma.name() for synset in wordnet.synsets(word) for lemma in synset.lemmas() if "_" not in lemma.name()})
            for word in SYNONYM_WORDS
        }
    finally:
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        os.rmdir(directory)

    document = {
        "format": "liquid-text-metrics-reference-v1",
        "nltk": __import__("nltk").__version__,
        "tokenizer": r"re.findall(r'\w+|[^\w\s]', text.lower())",
        "pairs": pairs,
        "corpus": corpus,
        "stems": stems,
        "synonyms": synonyms,
    }
    os.makedirs(DATA_DIR, exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8") as stream:
        json.dump(document, stream, ensure_ascii=False, indent=1, sort_keys=True)
        stream.write("\n")
    print(f"wrote {len(pairs)} pairs, {len(stems)} stems, {len(synonyms)} synonym sets to {os.path.relpath(OUTPUT)}")


if __name__ == "__main__":
    main()
