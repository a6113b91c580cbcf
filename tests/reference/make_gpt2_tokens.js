// make_gpt2_tokens.js — writes tests/Liquid.Harness.Tests/Data/gpt2_reference.json, GPT-2 token ids
// computed by an independent encoder (the npm package gpt-3-encoder@1.1.4, a JavaScript port of OpenAI's
// encoder.py) for real English and Spanish text from Debian's fortune databases. The C# test
// Gpt2TokenizerTests.MatchesIndependentEncoder compares Liquid's Gpt2Tokenizer against it token for
// token. Tests do not run this script; the JSON it wrote is committed.
//
// How to run it (Debian/Ubuntu; needs node and npm):
//
//   sudo apt-get install fortunes fortunes-es          # /usr/share/games/fortunes/*, .../es/*.fortunes
//   tmp=$(mktemp -d) && (cd "$tmp" && npm pack gpt-3-encoder@1.1.4 && tar xzf gpt-3-encoder-1.1.4.tgz)
//   node tests/reference/make_gpt2_tokens.js "$tmp/package" > tests/Liquid.Harness.Tests/Data/gpt2_reference.json
//
// The selection is deterministic (fixed files, first fortunes that meet each criterion), so rerunning it
// on the same Debian packages gives the same file.
//
// Where gpt-3-encoder departs from GPT-2's definition (OpenAI's encoder.py with Python's `regex`):
// JavaScript's \s is not Unicode White_Space: it includes U+FEFF and excludes U+0085, so for example
// "Hello \ufeffworld" and " \u0085x" are split differently (checked against encoder.py; Liquid follows
// encoder.py). Texts with those characters, or with control characters other than tab and newline, are
// therefore not selected. Its merge-rank table is keyed by the string "left,right", so 11 non-merge pairs
// alias a merge (e.g. ("',", "'") vs ("'", ",'")); an exhaustive check of all 960,792 strings of length
// 2-7 over , ' " ] . space } found no text where this changes the result. Version 1.1.4's regex has the
// u flag, so characters outside the Basic Multilingual Plane are matched as code points, as in Python.

'use strict';
const fs = require('fs');
const path = require('path');

const packageDir = process.argv[2];
if (!packageDir) {
  console.error('usage: node make_gpt2_tokens.js <directory of the extracted gpt-3-encoder@1.1.4 package>');
  process.exit(2);
}

const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
if (pkg.name !== 'gpt-3-encoder' || pkg.version !== '1.1.4') {
  console.error(`expected gpt-3-encoder@1.1.4, found ${pkg.name}@${pkg.version}`);
  process.exit(2);
}
const { encode, decode } = require(path.resolve(packageDir, 'index.js'));

const FORTUNES = '/usr/share/games/fortunes';

function fortunes(file) {
  const text = fs.readFileSync(path.join(FORTUNES, file), 'utf8');
  return text.split(/\n%\n/).map(f => f.replace(/^%\n/, '').replace(/\n%\n?$/, '')).filter(f => f.trim().length > 0);
}

// Characters on which gpt-3-encoder differs from GPT-2's encoder.py (see the header).
function safe(text) {
  if (/[\u0085\ufeff]/.test(text)) return false;
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return false;
  return true;
}

const picks = [];
const taken = new Set();

function pick(file, label, predicate) {
  const list = fortunes(file);
  for (let i = 0; i < list.length; i++) {
    const text = list[i];
    const source = `${file}#${i}`;
    if (!taken.has(source) && safe(text) && predicate(text)) {
      taken.add(source);
      picks.push({ source: `fortunes/${source}`, label, text });
      return;
    }
  }
  throw new Error(`no fortune in ${file} is ${label}`);
}

const long = t => t.length >= 600;
const contractions = t => t.length >= 150 && /n't/.test(t) && /'(s|ll|re|ve|d|m)\b/.test(t);
const numbers = t => /\d{3,}/.test(t) && /\d[.,:]\d/.test(t);
const punctuation = t => /"/.test(t) && /--/.test(t) && /[;:!?]/.test(t) && t.length >= 120;
const spaces = t => /\S {2,}\S/.test(t) && t.length >= 100;
const newlines = t => /\n\n/.test(t) && /\n\t/.test(t);
const spanish = t => /[ñÑ]/.test(t) && /[áéíóú]/.test(t);
const spanishQuestion = t => /¿/.test(t) || /¡/.test(t);

// English: long paragraphs, contractions, numbers, punctuation, runs of spaces, blank lines and tabs.
pick('literature', 'long paragraph', long);
pick('science', 'long paragraph', long);
pick('computers', 'long paragraph', long);
pick('wisdom', 'contractions', contractions);
pick('people', 'contractions', contractions);
pick('humorists', 'contractions', contractions);
pick('computers', 'numbers', numbers);
pick('science', 'numbers', numbers);
pick('politics', 'numbers', numbers);
pick('law', 'punctuation', punctuation);
pick('work', 'punctuation', punctuation);
pick('education', 'multiple spaces', spaces);
pick('linux', 'multiple spaces', spaces);
pick('songs-poems', 'blank lines and tabs', newlines);
pick('riddles', 'blank lines and tabs', newlines);
pick('fortunes', 'short', t => t.length >= 60);

// Spanish: ñ and accents, ¿? and ¡!, a few long ones.
pick('es/refranes.fortunes', 'ñ and accents', spanish);
pick('es/proverbios.fortunes', 'ñ and accents', spanish);
pick('es/filosofia.fortunes', 'ñ and accents', spanish);
pick('es/vida.fortunes', 'ñ and accents', spanish);
pick('es/informatica.fortunes', '¿? ¡!', spanishQuestion);
pick('es/amistad.fortunes', '¿? ¡!', spanishQuestion);
pick('es/humanos.fortunes', '¿? ¡!', spanishQuestion);
pick('es/lao-tse.fortunes', 'long paragraph', t => t.length >= 400);
pick('es/deprimente.fortunes', 'long paragraph', t => t.length >= 300);
pick('es/schopenhauer.fortunes', 'long paragraph', t => t.length >= 400);
pick('es/asimov.fortunes', 'long paragraph', t => t.length >= 400);
pick('es/nietzsche.fortunes', 'long paragraph', t => t.length >= 300);
pick('es/sabiduria.fortunes', 'ñ and accents', spanish);

// A few written for the purpose: the edge cases of the pre-tokenizer.
const written = [
  ['Hello world', 'greeting'],
  ["I'm sure they'll say it's what we've done, but you'd think they're right and I can't.", 'all contractions'],
  ["DON'T SHOUT: 'S 'T 'RE and ''quoted'' 'tis", 'contractions: upper case and quotes'],
  ['Pi is 3.14159, 1,000,000 is a million; call 555-0123 on 2024-01-31 at 09:30.', 'numbers'],
  ['two  spaces,   three,    four\n\n\nthree newlines \n trailing space \t\ttabs\t \n  ', 'whitespace runs'],
  ['for (int i = 0; i < n; i++) {\n    total += a[i] * b[i];\n}\nreturn total; // done\n', 'code'],
  ['¿Qué tal, señor Núñez? ¡Mañana será otro día! Él comió pingüino en Córdoba.', 'Spanish'],
  ['Emoji 🦙🚀👍🏽 and letters outside the BMP: 𝐛𝐨𝐥𝐝, a𝐇b, 𠀀x, 𝟏𝟐3.', 'outside the BMP'],
];
for (const [text, label] of written) {
  if (!safe(text)) throw new Error(`unsafe written text: ${label}`);
  picks.push({ source: 'written', label, text });
}

const lines = picks.map(({ source, label, text }) => {
  const ids = encode(text);
  if (decode(ids) !== text) throw new Error(`gpt-3-encoder does not round-trip ${source}`);
  return '  ' + JSON.stringify({ source, label, text, ids });
});
process.stdout.write('[\n' + lines.join(',\n') + '\n]\n');
