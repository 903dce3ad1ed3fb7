// shrink.js — make a small test fixture from a real HF tokenizer.json.
//   node shrink.js IN.json OUT.json [MAX_MERGES=1500] [STRINGS=strings.jsonl]
// Keeps normalizer / pre_tokenizer / post_processor / decoder and every model field except
// vocab+merges exactly as in IN; shrinks the BPE vocabulary:
//   * byte-level models (pre_tokenizer contains ByteLevel): the 256 GPT-2 bytes_to_unicode chars,
//     then merges in rank order (single pass) whose two parts are already kept, adding each result.
//   * byte-fallback models (model.byte_fallback): unk, <0x00>..<0xFF>, printable-ASCII and "▁"
//     single-char tokens, ~30 other single chars occurring in STRINGS (accented Latin, CJK, Cyrillic),
//     then merges in rank order whose parts are kept (results must exist in the original vocab).
//   * merges whose result is a "\n"/"\t"/"▁" run longer than 16 are skipped (only gemma3 has them).
//   * added_tokens: specials with content < 40 chars (max 20, those occurring in STRINGS first),
//     non-special "\n"/"\t"/"▁" runs (<= 31 long), up to 5 non-special HTML-like tags (gemma3),
//     non-special <tool_call>-style tags and <|...|> ones occurring in STRINGS (qwen3),
//     all normalized=true ones (deepseek_v3). Flags are copied unchanged.
// Ids are renumbered contiguously from 0: kept vocab in old-id order, then added tokens that are not
// in the vocab (old-id order); post_processor special-token ids are remapped. Merges keep their format.
// Exports shrink(json, opts) for make_fixtures.js.
'use strict';
const fs = require('fs');
const path = require('path');

function bytesToUnicode() {
  const bs = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  return cs.map((c) => String.fromCodePoint(c));
}

function loadStrings(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length).map((l) => JSON.parse(l).text);
}

// ~30 other single chars occurring in the strings: top by frequency per script (ties by code point).
function otherChars(strings, vocab) {
  const freq = new Map();
  for (const s of strings) for (const ch of s) freq.set(ch, (freq.get(ch) || 0) + 1);
  const pick = (re, n) => [...freq.keys()]
    .filter((c) => re.test(c) && vocab[c] !== undefined)
    .sort((a, b) => freq.get(b) - freq.get(a) || a.codePointAt(0) - b.codePointAt(0))
    .slice(0, n);
  return [
    ...pick(/^(?=\p{Script=Latin})[^\x00-\x7f]$/u, 10),
    ...pick(/^\p{Script=Han}$/u, 10),
    ...pick(/^\p{Script=Cyrillic}$/u, 10),
  ];
}

function parseMerge(m) { return Array.isArray(m) ? m : [m.slice(0, m.indexOf(' ')), m.slice(m.indexOf(' ') + 1)]; }

function shrink(j, opts = {}) {
  const maxMerges = opts.maxMerges || 1500;
  const maxRun = opts.maxRun || 16;
  const strings = opts.strings || [];
  const all = strings.join('\n');
  const model = j.model;
  if (model.type !== 'BPE') throw new Error('only BPE models supported');
  const vocab = model.vocab;
  const isByteLevel = JSON.stringify(j.pre_tokenizer || null).includes('"type":"ByteLevel"');
  const isByteFallback = model.byte_fallback === true;
  if (!isByteLevel && !isByteFallback) throw new Error('neither byte-level nor byte-fallback');

  // ---- added tokens to keep
  const at = j.added_tokens;
  const keepAdded = new Set();
  const specials = at.filter((t) => t.special && t.content.length < 40);
  const inStr = specials.filter((t) => all.includes(t.content));
  for (const t of [...inStr, ...specials.filter((t) => !inStr.includes(t))].slice(0, 20)) keepAdded.add(t);
  const nonSpecial = at.filter((t) => !t.special);
  for (const t of nonSpecial) {
    if (/^(\n+|\t+|▁+)$/.test(t.content) && [...t.content].length <= 31) keepAdded.add(t);
    if (t.normalized) keepAdded.add(t);
    if (/^<\|[a-z_]+\|>$/.test(t.content) && all.includes(t.content)) keepAdded.add(t);
  }
  const tagLike = nonSpecial.filter((t) => /^<\/?[a-z][a-z0-9_]*>$/.test(t.content) && !/^<(unused\d+|mask)>$/.test(t.content));
  const tagIn = tagLike.filter((t) => all.includes(t.content));
  for (const t of [...tagIn, ...tagLike.filter((t) => !tagIn.includes(t))].slice(0, 5)) keepAdded.add(t);

  // ---- base vocabulary
  const kept = new Set();
  const need = (tok) => { if (vocab[tok] === undefined) throw new Error('base token missing from vocab: ' + JSON.stringify(tok)); kept.add(tok); };
  if (isByteLevel) {
    for (const c of bytesToUnicode()) need(c);
  } else {
    if (model.unk_token) need(model.unk_token);
    for (let b = 0; b < 256; b++) need('<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>');
    for (let c = 0x20; c <= 0x7e; c++) { const ch = String.fromCharCode(c); if (vocab[ch] !== undefined) kept.add(ch); }
    need('▁');
    for (const ch of otherChars(strings, vocab)) kept.add(ch);
  }
  for (const t of keepAdded) if (vocab[t.content] === t.id) kept.add(t.content);

  // ---- merges in rank order, single pass
  const merges = [];
  for (const m of model.merges) {
    if (merges.length >= maxMerges) break;
    const [a, b] = parseMerge(m);
    if (!kept.has(a) || !kept.has(b)) continue;
    const r = a + b;
    if (vocab[r] === undefined) continue; // (never happens for these files)
    // gemma3 starts with ~1,400 merges building "\n"/"\t"/"▁" runs up to 31 long; keep those up to 16 only
    if (/^(\n+|\t+|▁+)$/.test(r) && [...r].length > maxRun) continue;
    merges.push(m);
    kept.add(r);
  }

  // ---- renumber
  const vocabToks = [...kept].sort((x, y) => vocab[x] - vocab[y]);
  const newVocab = {};
  vocabToks.forEach((t, i) => { newVocab[t] = i; });
  let next = vocabToks.length;
  const addedOut = [];
  for (const t of [...keepAdded].sort((x, y) => x.id - y.id)) {
    const nt = { ...t };
    if (vocab[t.content] === t.id) nt.id = newVocab[t.content];
    else nt.id = next++;
    addedOut.push(nt);
  }
  addedOut.sort((x, y) => x.id - y.id);
  const idOf = (content) => {
    if (newVocab[content] !== undefined) return newVocab[content];
    const a = addedOut.find((t) => t.content === content);
    if (!a) throw new Error('post_processor token not kept: ' + content);
    return a.id;
  };

  const remapPost = (p) => {
    if (!p) return p;
    p = JSON.parse(JSON.stringify(p));
    if (p.type === 'Sequence') p.processors = p.processors.map(remapPost);
    if (p.type === 'TemplateProcessing') for (const k of Object.keys(p.special_tokens)) {
      const s = p.special_tokens[k]; s.ids = s.tokens.map(idOf);
    }
    if (p.sep) p.sep = [p.sep[0], idOf(p.sep[0])];
    if (p.cls) p.cls = [p.cls[0], idOf(p.cls[0])];
    return p;
  };

  const out = {};
  for (const k of Object.keys(j)) {
    if (k === 'added_tokens') out[k] = addedOut;
    else if (k === 'post_processor') out[k] = remapPost(j[k]);
    else if (k === 'model') {
      const m = {};
      for (const mk of Object.keys(model)) m[mk] = mk === 'vocab' ? newVocab : mk === 'merges' ? merges : model[mk];
      out[k] = m;
    } else out[k] = j[k];
  }
  return { tokenizer: out, stats: { kind: isByteLevel ? 'byte-level' : 'byte-fallback', vocab: vocabToks.length, merges: merges.length, added: addedOut.length } };
}

module.exports = { shrink, loadStrings, bytesToUnicode };

if (require.main === module) {
  const [inp, outp, mm, sf] = process.argv.slice(2);
  if (!inp || !outp) { console.error('usage: node shrink.js IN.json OUT.json [MAX_MERGES] [STRINGS]'); process.exit(2); }
  const strings = loadStrings(sf || path.join(process.cwd(), 'strings.jsonl'));
  const { tokenizer, stats } = shrink(JSON.parse(fs.readFileSync(inp, 'utf8')), { maxMerges: mm ? +mm : 1500, strings });
  fs.writeFileSync(outp, JSON.stringify(tokenizer));
  const { Tokenizer } = require('@anush008/tokenizers');
  Tokenizer.fromFile(outp); // throws if HF refuses it
  console.log(outp, JSON.stringify(stats), fs.statSync(outp).size, 'bytes; HF load OK');
}
