#!/usr/bin/python3
"""Share of the words in a text that are English words, by Debian's wamerican list.

    liquid generate RUN/latest --prompt "The " --max-tokens 120 --temperature 0.8 --top-k 40 --seed 1 \
      | scripts/real-words.py

A word is a run of letters (with an inner apostrophe: "don't"). It counts as real when the list has
it as written, or with its first letter lower-cased (a capital at a sentence start); a single letter
counts only as "a", "A" or "I" (the list holds every letter, which would make noise look like
words). Prints "real R of N words (S %)" and the words that are not real. Needs wamerican
(apt-get install wamerican); uses no third-party module.
"""
import re
import sys

WORD_LIST = "/usr/share/dict/american-english"


def main() -> int:
    try:
        with open(WORD_LIST, encoding="utf-8", errors="replace") as f:
            words = {line.strip() for line in f}
    except FileNotFoundError:
        print(f"real-words: {WORD_LIST} not found (apt-get install wamerican)", file=sys.stderr)
        return 1
    # liquid generate ends with a line of its own, "[120 tokens, stopped by max_tokens]": not text.
    text = re.sub(r"^\[\d+ tokens, stopped by [a-z_ ]+\]\s*$", "", sys.stdin.read(), flags=re.MULTILINE)
    tokens = re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", text)

    def real(token: str) -> bool:
        if len(token) == 1:
            return token in ("a", "A", "I")
        return token in words or token[0].lower() + token[1:] in words

    unknown = [t for t in tokens if not real(t)]
    found = len(tokens) - len(unknown)
    share = 100.0 * found / len(tokens) if tokens else 0.0
    print(f"real {found} of {len(tokens)} words ({share:.0f} %)")
    if unknown:
        print("not in the list: " + " ".join(unknown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
