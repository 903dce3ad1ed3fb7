// Encode every string in strings.jsonl with each tokenizer.json via @anush008/tokenizers
// (napi binding of HF Rust tokenizers 0.22.2), add_special_tokens=false,
// write ref/NAME.jsonl lines {"text","ids","decoded"} (decode with skip_special_tokens=false).
// referenceLines is the one place such lines are made (make_fixtures.js calls it too).
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('@anush008/tokenizers');

// HF's ids and decoded text for each of `texts`, as JSONL lines, with the token count and how
// many decode back to their text.
async function referenceLines(tok, texts) {
  const lines = [];
  let tokens = 0, roundTrip = 0;
  for (const text of texts) {
    const enc = await tok.encode(text, null, { addSpecialTokens: false });
    const ids = enc.getIds();
    const decoded = await tok.decode(ids, false);
    tokens += ids.length;
    if (decoded === text) roundTrip++;
    lines.push(JSON.stringify({ text, ids, decoded }));
  }
  return { lines, tokens, roundTrip };
}

async function run(name, strings) {
  let tok;
  try {
    tok = Tokenizer.fromFile(path.join(process.cwd(), 'models', name + '.tokenizer.json'));
  } catch (e) {
    console.error(`[${name}] FAILED TO LOAD: ${e && e.message ? e.message : e}`);
    return false;
  }
  const { lines, tokens, roundTrip } = await referenceLines(tok, strings);
  fs.mkdirSync(path.join(process.cwd(), 'ref'), { recursive: true });
  fs.writeFileSync(path.join(process.cwd(), 'ref', name + '.jsonl'), lines.join('\n') + '\n');
  console.log(`[${name}] ${strings.length} strings, ${tokens} tokens total, decode(encode(x))==x for ${roundTrip}/${strings.length}`);
  return true;
}

module.exports = { referenceLines };

if (require.main === module) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : ['llama3', 'llama2', 'qwen3', 'gemma3', 'deepseek_v3'];
  const strings = fs.readFileSync(path.join(process.cwd(), 'strings.jsonl'), 'utf8').split('\n').filter((l) => l.length).map((l) => JSON.parse(l).text);
  (async () => {
    let ok = true;
    for (const n of names) ok = (await run(n, strings)) && ok;
    process.exitCode = ok ? 0 : 1;
  })();
}
