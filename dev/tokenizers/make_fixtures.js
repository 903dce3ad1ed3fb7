// make_fixtures.js — build the nine small tokenizer fixtures and their HF reference cases.
//   node make_fixtures.js [MAX_MERGES=1500]
// For llama3, llama2, qwen3, gemma3, deepseek_v3: shrink models/NAME.tokenizer.json with shrink.js.
// bert: make_bert.js's bert-base-uncased tokenizer (WordPiece), its vocabulary cut to what the
// cases' text holds.
// Synthetic: flags (shrunk llama3 + added tokens with lstrip/rstrip/single_word/normalized flags),
// normalizers (shrunk qwen3 with NFKC+Prepend+Replace(Regex) normalizer and Digits+Split+ByteLevel
// pre_tokenizer), metaspace (shrunk llama2 with Metaspace pre_tokenizer+decoder, no normalizer).
// Writes mini/NAME/tokenizer.json (compact) and mini/NAME/cases.jsonl: {"text","ids","decoded"} per line,
// computed with HF tokenizers (@anush008/tokenizers napi binding), add_special_tokens=false,
// decode skip_special_tokens=false. Cases: strings.jsonl lines 0..149 shorter than 400 chars, an evenly
// spaced sample of the remaining <400-char lines up to 160, and the first 2,000 chars of line 489
// (the long mixed-script text); flags also gets 20 strings around its added tokens.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('@anush008/tokenizers');
const { shrink, loadStrings } = require('./shrink');
const { referenceLines } = require('./encode');

const MAX_MERGES = +(process.argv[2] || 1500);
const ROOT = process.cwd();
const strings = loadStrings(path.join(ROOT, 'strings.jsonl'));
const clone = (o) => JSON.parse(JSON.stringify(o));

// ---- case selection
function selectCases() {
  const sel = [];
  for (let i = 0; i < 150; i++) if (strings[i].length < 400) sel.push(strings[i]);
  const rest = strings.slice(150).filter((s) => s.length < 400);
  const need = 160 - sel.length;
  for (let k = 0; k < need; k++) sel.push(rest[Math.floor(((k + 0.5) * rest.length) / need)]);
  let long = strings[489].slice(0, 2000);
  if (/[\ud800-\udbff]$/.test(long)) long = long.slice(0, -1);
  sel.push(long);
  return sel;
}
const FLAG_STRINGS = [
  'a  <mask> b', '<mask>', 'x<mask>y', 'a\n\t <mask>b',
  'x [SEP]   y', '[SEP]\n\nz', 'a[SEP]b',
  'cat', 'concat', 'the cat sat', 'cat_', '(cat)', 'cats', 'Cat cat CAT', 'a.cat-b', 'écat cat2 _cat',
  '[NORM] x[NORM]y', 'hello   <both>   world',
  '<mask>[SEP]cat<both>[NORM]', '<|begin_of_text|>cat [SEP] <mask> the cat',
];

// ---- fixtures
function addedTok(id, content, f) {
  return { id, content, single_word: !!f.single_word, lstrip: !!f.lstrip, rstrip: !!f.rstrip, normalized: !!f.normalized, special: !!f.special };
}
function maxId(t) { return Math.max(...Object.values(t.model.vocab), ...t.added_tokens.map((a) => a.id)); }

function build() {
  const fx = {};
  for (const name of ['llama3', 'llama2', 'qwen3', 'gemma3', 'deepseek_v3']) {
    const src = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', name + '.tokenizer.json'), 'utf8'));
    const { tokenizer, stats } = shrink(src, { maxMerges: MAX_MERGES, strings });
    fx[name] = tokenizer;
    console.log(name, JSON.stringify(stats));
  }
  // flags
  const f = clone(fx.llama3);
  let id = maxId(f) + 1;
  f.added_tokens.push(
    addedTok(id++, '<mask>', { lstrip: true, special: true }),
    addedTok(id++, '[SEP]', { rstrip: true, special: true }),
    addedTok(id++, 'cat', { single_word: true, normalized: false }),
    addedTok(id++, '[NORM]', { normalized: true }),
    addedTok(id++, '<both>', { lstrip: true, rstrip: true }),
  );
  fx.flags = f;
  // normalizers
  const n = clone(fx.qwen3);
  n.normalizer = { type: 'Sequence', normalizers: [
    { type: 'NFKC' },
    { type: 'Prepend', prepend: '^' },
    { type: 'Replace', pattern: { Regex: '\\d+' }, content: '#' },
  ] };
  n.pre_tokenizer = { type: 'Sequence', pretokenizers: [
    { type: 'Digits', individual_digits: true },
    { type: 'Split', pattern: { String: ' ' }, behavior: 'MergedWithNext', invert: false },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
  ] };
  fx.normalizers = n;
  // metaspace
  const m = clone(fx.llama2);
  m.normalizer = null;
  m.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true };
  m.decoder = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true };
  fx.metaspace = m;
  fx.bert = shrinkWordPiece(JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'bert.tokenizer.json'), 'utf8')));
  return fx;
}

// bert (make_bert.js's) with only the entries that occur in the cases' text as BERT normalizes
// it (lowercase, accents stripped), the special tokens and the [unused] ones dropped; ids kept.
function shrinkWordPiece(tj) {
  const text = selectCases().join('\n').normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();
  const vocab = {};
  for (const [token, id] of Object.entries(tj.model.vocab)) {
    const bare = token.startsWith('##') ? token.slice(2) : token;
    if (/^\[(PAD|UNK|CLS|SEP|MASK)\]$/.test(token) || (bare.length && text.includes(bare))) vocab[token] = id;
  }
  const t = clone(tj);
  t.model.vocab = vocab;
  return t;
}

function dirSize(d) { return fs.readdirSync(d).reduce((s, f) => s + fs.statSync(path.join(d, f)).size, 0); }

(async () => {
  const fx = build();
  const base = selectCases();
  let ok = true;
  for (const [name, tj] of Object.entries(fx)) {
    const dir = path.join(ROOT, 'mini', name);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'tokenizer.json');
    fs.writeFileSync(file, JSON.stringify(tj));
    let tok;
    try { tok = Tokenizer.fromFile(file); } catch (e) { console.error(`[${name}] HF LOAD FAILED: ${e.message || e}`); ok = false; continue; }
    const texts = name === 'flags' ? [...base, ...FLAG_STRINGS] : base;
    const { lines, tokens: nTok, roundTrip: rt } = await referenceLines(tok, texts);
    fs.writeFileSync(path.join(dir, 'cases.jsonl'), lines.join('\n') + '\n');
    console.log(`[${name}] cases=${texts.length} tokens=${nTok} roundtrip=${rt}/${texts.length} tokenizer.json=${fs.statSync(file).size}B dir=${dirSize(dir)}B`);
  }
  process.exitCode = ok ? 0 : 1;
})();
